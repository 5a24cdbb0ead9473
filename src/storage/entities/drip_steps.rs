use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "drip_steps")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub campaign_id: i64,
    /// 1, 2, … (unique per campaign).
    pub position: i32,
    /// Seconds after the step before (after the enrolment for the first).
    pub delay_secs: i64,
    /// The text, or the caption of the media.
    pub text: String,
    /// `photo`, `video` or `document`, with `media_file_id`.
    pub media_kind: Option<String>,
    pub media_file_id: Option<String>,
    /// A JSON array of `{"text", "url"}`.
    pub buttons: Option<String>,
    /// `paid`, `not_paid` or `tag:<tag>`: the step goes only to contacts it holds for.
    pub condition: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
