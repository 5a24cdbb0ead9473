use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "seller_services")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub seller_id: i64,
    /// The deep-link code: `t.me/<bot>?start=s_<code>`.
    pub code: String,
    pub chat_id: i64,
    /// `channel`, `supergroup` or `group`.
    pub chat_kind: String,
    pub title: String,
    /// `link` (single-use invite links) or `join_request` (requests approved when paid).
    pub admission: String,
    /// `active`, `paused` or `archived`.
    pub status: String,
    pub grace_days: i32,
    /// False for test data (made through a test API key).
    pub livemode: bool,
    /// Stars a month for the channel's Telegram Star subscription link (None: no such link).
    pub star_sub_price: Option<i64>,
    /// The subscription link `createChatSubscriptionInviteLink` made.
    pub star_sub_link: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
