use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "relay_messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub user_message_id: i32,
    pub admin_chat_id: i64,
    pub admin_message_id: i32,
    /// `in` (user to admins) or `out` (admins to user).
    pub direction: String,
    pub created_at: DateTimeUtc,
    /// The text or caption of a user's message (`in`), at most [`crate::relay::threads::TEXT_MAX`]
    /// characters; None without text, for answers, and for rows older than the column.
    pub text: Option<String>,
    /// `text` folded to lower case, what the search compares with.
    pub search_text: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
