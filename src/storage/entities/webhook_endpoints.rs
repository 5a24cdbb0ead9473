use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoints")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub seller_id: i64,
    /// False: receives only test-mode events.
    pub livemode: bool,
    pub url: String,
    pub description: String,
    /// A JSON list of event types; None for all of them.
    pub events: Option<String>,
    /// `whsec_…`: signs every delivery. Sealed (`v1.…`) when `ENCRYPTION_KEY` is configured.
    pub secret: String,
    /// The secret before the last rotation: it signs too until `previous_secret_expires_at`.
    pub previous_secret: Option<String>,
    pub previous_secret_expires_at: Option<DateTimeUtc>,
    /// `active` or `disabled`.
    pub status: String,
    /// Failed attempts in a row (a success resets it).
    pub consecutive_failures: i32,
    pub disabled_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
