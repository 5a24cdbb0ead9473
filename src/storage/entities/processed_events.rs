use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "processed_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Where the event came from: `stripe`, `telegram_update`, `telegram_payment`.
    pub source: String,
    /// The sender's id for it (Stripe `event.id`, Telegram `update_id`, …); unique per source.
    pub external_id: String,
    pub kind: String,
    /// `processing` while claimed, `done` once applied.
    pub status: String,
    pub received_at: DateTimeUtc,
    pub processed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
