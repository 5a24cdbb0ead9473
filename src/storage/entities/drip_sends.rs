use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "drip_sends")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Unique with `step_id`: a step goes to an enrolment at most once.
    pub enrollment_id: i64,
    pub step_id: i64,
    pub campaign_id: i64,
    pub user_id: i64,
    /// `sending` (written before the send), `sent`, `skipped` (its condition did not hold),
    /// `failed` or `unreachable`.
    pub outcome: String,
    pub sent_at: DateTimeUtc,
    pub clicked_at: Option<DateTimeUtc>,
    pub converted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
