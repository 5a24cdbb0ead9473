use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "otp_codes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub seller_id: i64,
    pub livemode: bool,
    pub contact_id: i64,
    pub user_id: i64,
    /// The API key that asked for the code.
    pub key_id: i64,
    /// `login`, `signup` or `verification`.
    pub purpose: String,
    /// Hex HMAC-SHA256 of the code under `salt`; the code itself is never stored.
    pub code_hash: String,
    /// Hex, 16 random bytes.
    pub salt: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub expires_at: DateTimeUtc,
    /// The Telegram message that carried the code.
    pub message_id: Option<i32>,
    pub verified_at: Option<DateTimeUtc>,
    /// When the user said they had not asked for it (the code stops working).
    pub reported_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
