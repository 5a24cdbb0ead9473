//! sea-orm entities, one module per table (see `migrations/`).
pub mod admin_audit;
pub mod admin_panels;
pub mod auto_recharge;
pub mod credit_ledger;
pub mod debts;
pub mod dialogue_states;
pub mod jobs;
pub mod orders;
pub mod processed_events;
pub mod products;
pub mod relay_messages;
pub mod settings;
pub mod stripe_customers;
pub mod support_topics;
pub mod tiers;
pub mod time_passes;
pub mod users;
