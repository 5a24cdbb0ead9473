//! The admin side: who may act as an admin ([`access`]) and the admin group's commands
//! ([`bot`]). The control center's screens live here too.

pub mod access;
pub mod analytics;
pub mod audit;
pub mod bot;
pub mod charts;
pub mod conversations;
pub mod notes;
pub mod panels;
pub mod quick_replies;
pub mod stats;

pub use access::{AdminAccess, Standing};
