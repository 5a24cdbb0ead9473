//! The admin side: who may act as an admin. The control center's screens will live here too.
pub mod access;

pub use access::{AdminAccess, Standing};
