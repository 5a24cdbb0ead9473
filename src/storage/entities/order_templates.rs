use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_templates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub seller_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub livemode: bool,
    #[sea_orm(primary_key, auto_increment = false)]
    pub status: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub lang: String,
    /// The text, with `{order}`-style placeholders.
    pub body: String,
    /// The team member who last changed it.
    pub updated_by: i64,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
