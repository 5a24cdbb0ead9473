use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "platform_plans")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `free`, `pro`, `enterprise`: unique.
    pub code: String,
    pub name: String,
    /// The price every `period_days` (0: no charge).
    pub price_minor: i64,
    pub currency: String,
    pub period_days: i32,
    /// None: no limit.
    pub max_services: Option<i64>,
    pub max_members: Option<i64>,
    pub max_api_calls_per_hour: Option<i64>,
    /// The platform's fee on the seller's sales.
    pub fee_percent: i32,
    pub position: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
