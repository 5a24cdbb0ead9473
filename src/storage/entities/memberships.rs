use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "memberships")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub service_id: i64,
    pub seller_id: i64,
    pub user_id: i64,
    pub plan_id: Option<i64>,
    /// `active`, `expired` or `revoked` (`pending` before a trial or payment took effect).
    pub status: String,
    pub ends_at: Option<DateTimeUtc>,
    /// The end plus the service's grace: when the sweeper removes the member.
    pub remove_at: Option<DateTimeUtc>,
    /// 0: no reminder yet; 1: the 3-day one went out; 2: the 1-day one too.
    pub reminder_stage: i32,
    /// The single-use invite link issued to the buyer, if any.
    pub invite_link: Option<String>,
    pub link_issued_at: Option<DateTimeUtc>,
    pub joined_at: Option<DateTimeUtc>,
    pub left_at: Option<DateTimeUtc>,
    /// Never removed by the sweeper.
    pub whitelisted: bool,
    pub trial_used: bool,
    /// Who keeps the access: `tollgate` (plans, trials, grants; removed at the end by the
    /// sweeper) or `star_subscription` (a Telegram Star subscription: Telegram charges and
    /// removes the member itself).
    pub source: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
