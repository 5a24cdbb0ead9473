use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "promo_codes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub seller_id: i64,
    pub livemode: bool,
    /// As the seller typed it.
    pub code: String,
    /// Lowercase: unique per seller and mode.
    pub code_norm: String,
    /// `percent` or `amount`.
    pub kind: String,
    /// Percent (1..=100), or minor units of `currency`.
    pub value: i64,
    /// Lowercase ISO currency, or `XTR` for Stars (amount codes only).
    pub currency: Option<String>,
    /// None: unlimited.
    pub max_uses: Option<i64>,
    /// Uses reserved or redeemed.
    pub used: i64,
    pub expires_at: Option<DateTimeUtc>,
    /// Comma-separated plan ids; empty: all the seller's plans.
    pub plan_ids: String,
    /// `once` or `forever`.
    pub duration: String,
    pub active: bool,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub deactivated_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
