use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "platform_subscriptions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub seller_id: i64,
    pub plan_code: String,
    /// Stripe's subscription id (`sub_…`): unique.
    pub external_id: String,
    /// Stripe's status: `active`, `trialing`, `past_due`, `canceled`, …
    pub status: String,
    pub cancel_at_period_end: bool,
    pub current_period_end: Option<DateTimeUtc>,
    /// When Stripe created the subscription: the newest live one is the seller's plan.
    pub started_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
