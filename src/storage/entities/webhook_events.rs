use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `evt_…`, what receivers see (and dedupe by).
    pub public_id: String,
    pub seller_id: i64,
    pub livemode: bool,
    /// `member.joined`, `payment.succeeded`, …
    pub event_type: String,
    /// The exact JSON body that is delivered.
    pub payload: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
