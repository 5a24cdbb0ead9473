use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "seller_plans")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub service_id: i64,
    pub seller_id: i64,
    pub price_minor: Option<i64>,
    pub currency: Option<String>,
    pub stars_price: Option<i64>,
    pub period_days: i32,
    pub trial_days: i32,
    /// `active`, `paused` or `archived`.
    pub status: String,
    /// Sold as a subscription that renews every period (card payments).
    pub renewing: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
