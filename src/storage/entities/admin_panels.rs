use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "admin_panels")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub chat_id: i64,
    /// The control-center message, once sent.
    pub message_id: Option<i32>,
    pub opened_by: i64,
    /// Names the current screen's buttons; a new screen gets a new one.
    pub nonce: String,
    /// The current screen's button actions (JSON), indexed by the callback data.
    pub actions: String,
    /// The input the panel waits for (JSON), if any.
    pub pending: Option<String>,
    /// The admin whose next message is that input.
    pub waiting_for: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
