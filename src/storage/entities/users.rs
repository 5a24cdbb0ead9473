use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    /// The Telegram user id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub first_name: String,
    pub last_name: Option<String>,
    pub username: Option<String>,
    pub language_code: Option<String>,
    /// The language the user picked, overriding `language_code`.
    pub locale: Option<String>,
    pub status: String,
    pub start_payload: Option<String>,
    pub created_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
    pub unreachable_at: Option<DateTimeUtc>,
    /// The cached balance; the ledger is the truth and both change in one transaction.
    pub credits: i64,
    pub tier_id: Option<i64>,
    /// A banned user is told once that their messages are not delivered.
    pub banned_notice_sent: bool,
    /// Set when a payment dispute was opened: the team should look.
    pub flagged_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
