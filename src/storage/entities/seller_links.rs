use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "seller_links")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub seller_id: i64,
    pub service_id: i64,
    /// The seller's name for it (shown in Telegram's list of the chat's links too).
    pub name: String,
    #[sea_orm(unique)]
    pub invite_link: String,
    /// Joining through it files a join request (the service admitted by requests when it was
    /// made); otherwise it lets people in directly.
    pub creates_join_request: bool,
    /// People who joined the chat through it.
    pub joins: i64,
    /// The Telegram user who made it.
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    /// When it was revoked; None while it works.
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
