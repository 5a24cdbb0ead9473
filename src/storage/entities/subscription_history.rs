use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "subscription_history")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub subscription_id: i64,
    pub seller_id: i64,
    /// `started`, `renewed`, `payment_failed`, `recovered`, `cancel_scheduled`, `resumed`,
    /// `retention_accepted`, `ended`.
    pub kind: String,
    pub detail: String,
    /// Unique: derived from what caused the change.
    pub dedupe_key: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
