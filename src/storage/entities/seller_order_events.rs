use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "seller_order_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_id: i64,
    pub seller_id: i64,
    pub livemode: bool,
    /// The change: `confirmed`, `packing`, `item_packed`, `shipped`, `delivered`, `cancelled`.
    pub status: String,
    /// The item packed (`item_packed`), else empty.
    pub item: String,
    /// `queued`, `sending`, then `sent`, `stopped`, `unreachable` or `uncertain`.
    pub outcome: String,
    pub message_id: Option<i32>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
