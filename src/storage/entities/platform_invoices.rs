use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "platform_invoices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Stripe's invoice id (`in_…`): unique.
    pub invoice_id: String,
    pub seller_id: i64,
    pub subscription_id: i64,
    pub plan_code: String,
    pub amount_minor: i64,
    pub currency: String,
    pub period_end: DateTimeUtc,
    pub paid_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
