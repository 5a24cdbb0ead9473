use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contacts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub seller_id: i64,
    pub livemode: bool,
    /// The Telegram user.
    pub user_id: i64,
    /// How the contact came: `link` (a seller's deep link), `api`, `otp` (the deep link an
    /// OTP send gave back), or `bot` (a user of the bot, a contact of the operator's drips).
    pub source: String,
    /// A JSON array of strings.
    pub tags: String,
    /// A JSON object.
    pub attributes: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
