//! The support relay: a user's message is admitted and charged by the [`gate`], copied into
//! the user's forum topic in the admin group (or kept in the [`backlog`] until there is room),
//! and an admin's answer in the topic goes back to the user. [`threads`] remembers which
//! topic belongs to whom and which copy answers which message (and what users wrote, which
//! [`search`] finds); [`bot`] holds the handlers.

pub mod backlog;
pub mod bot;
pub mod copy;
pub mod gate;
pub mod search;
pub mod threads;
