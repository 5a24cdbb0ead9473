use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "drip_enrollments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub campaign_id: i64,
    pub seller_id: i64,
    pub livemode: bool,
    pub contact_id: i64,
    /// The contact's Telegram user.
    pub user_id: i64,
    /// The position of the step that goes next.
    pub next_position: i32,
    /// When that step falls due; none once the enrolment ended.
    pub next_run_at: Option<DateTimeUtc>,
    /// `active`, `completed`, `exited` or `goal_met`.
    pub status: String,
    /// Why it exited: `stopped`, `unreachable`, `manual`.
    pub exit_reason: Option<String>,
    /// The runner holding the row, until `claimed_until`.
    pub claimed_by: Option<String>,
    pub claimed_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
