//! Tollgate's schema, as append-only sea-orm migrations.
//!
//! Never edit a migration that has shipped: add a new one. Each migration is
//! written with the schema builder so the same code runs on SQLite and
//! PostgreSQL.
pub use sea_orm_migration::prelude::*;

mod m20261121_000001_foundation;
mod m20261121_000002_credits_and_relay;
mod m20261121_000003_payments;
mod m20261121_000004_auto_recharge;
mod m20261204_000005_profile_versions;
mod m20261205_000006_refunds_relay_claims_backlog;
mod m20261206_000007_campaigns;
mod m20261206_000008_admin_center;
mod m20261207_000009_sellers;
mod m20261208_000010_seller_api;
mod m20261208_000011_relay_text;
mod m20261208_000012_webhooks;
mod m20261209_000013_seller_card_payments;
mod m20261209_000014_seller_links;
mod m20261210_000015_star_subscriptions;
mod m20261210_000016_promo_codes;
mod m20261210_000017_member_indexes;
mod m20261210_000018_connect_onboarding;
mod m20261210_000019_seller_teams;
mod m20261210_000020_seller_analytics;
mod m20261211_000021_messaging_contacts_otp;
mod m20261211_000022_seller_branding;
mod m20261211_000023_renewing_subscriptions;
mod m20261212_000024_platform_plans;
mod m20261212_000025_seller_invoices;
mod m20261212_000026_seller_orders;
mod m20261212_000027_drip_campaigns;
mod m20261213_000028_sealed_webhook_secrets;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_foundation::Migration),
            Box::new(m20261121_000002_credits_and_relay::Migration),
            Box::new(m20261121_000003_payments::Migration),
            Box::new(m20261121_000004_auto_recharge::Migration),
            Box::new(m20261204_000005_profile_versions::Migration),
            Box::new(m20261205_000006_refunds_relay_claims_backlog::Migration),
            Box::new(m20261206_000007_campaigns::Migration),
            Box::new(m20261206_000008_admin_center::Migration),
            Box::new(m20261207_000009_sellers::Migration),
            Box::new(m20261208_000010_seller_api::Migration),
            Box::new(m20261208_000011_relay_text::Migration),
            Box::new(m20261208_000012_webhooks::Migration),
            Box::new(m20261209_000013_seller_card_payments::Migration),
            Box::new(m20261209_000014_seller_links::Migration),
            Box::new(m20261210_000015_star_subscriptions::Migration),
            Box::new(m20261210_000016_promo_codes::Migration),
            Box::new(m20261210_000017_member_indexes::Migration),
            Box::new(m20261210_000018_connect_onboarding::Migration),
            Box::new(m20261210_000019_seller_teams::Migration),
            Box::new(m20261210_000020_seller_analytics::Migration),
            Box::new(m20261211_000021_messaging_contacts_otp::Migration),
            Box::new(m20261211_000022_seller_branding::Migration),
            Box::new(m20261211_000023_renewing_subscriptions::Migration),
            Box::new(m20261212_000024_platform_plans::Migration),
            Box::new(m20261212_000025_seller_invoices::Migration),
            Box::new(m20261212_000026_seller_orders::Migration),
            Box::new(m20261212_000027_drip_campaigns::Migration),
            Box::new(m20261213_000028_sealed_webhook_secrets::Migration),
        ]
    }
}
