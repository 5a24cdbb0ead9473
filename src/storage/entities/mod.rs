//! sea-orm entities, one module per table (see `migrations/`).
pub mod dialogue_states;
pub mod jobs;
pub mod processed_events;
pub mod settings;
pub mod users;
