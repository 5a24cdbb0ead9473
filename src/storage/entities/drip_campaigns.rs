use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "drip_campaigns")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub seller_id: i64,
    pub livemode: bool,
    pub name: String,
    /// `manual`, `first_contact`, `tag_added`, `purchase` or `expiry`.
    pub trigger: String,
    /// The tag whose adding enrols (`tag_added`).
    pub trigger_tag: Option<String>,
    /// `none`, or `paid` (a purchase from the seller ends the enrolment).
    pub goal: String,
    /// `active` or `paused`.
    pub status: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
