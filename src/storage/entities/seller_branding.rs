use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "seller_branding")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub seller_id: i64,
    /// Shown instead of the seller's display name on public pages; None: the display name.
    pub name: Option<String>,
    /// `#rrggbb`; None: the default colour.
    pub accent_color: Option<String>,
    /// The logo: a photo the seller sent the bot.
    pub logo_file_id: Option<String>,
    pub logo_file_unique_id: Option<String>,
    /// Its size in bytes, as Telegram reported it.
    pub logo_size: Option<i64>,
    /// The team member who last changed it.
    pub updated_by: i64,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
