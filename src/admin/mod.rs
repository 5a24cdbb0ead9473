//! The admin side: who may act as an admin ([`access`]) and the admin group's commands
//! ([`bot`]). The control center's screens live here too.

pub mod access;
pub mod bot;

pub use access::{AdminAccess, Standing};
