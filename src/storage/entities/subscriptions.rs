use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "subscriptions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub seller_id: i64,
    pub livemode: bool,
    pub service_id: i64,
    pub plan_id: i64,
    pub user_id: i64,
    /// `stripe`.
    pub provider: String,
    /// The provider's id (`sub_…`); unique with `provider`.
    pub external_id: String,
    /// The account that takes the money: `platform`, `own_key` or `connect`.
    pub paid_to: String,
    /// `active`, `past_due`, `canceled` (ended), or the provider's other states.
    pub status: String,
    pub cancel_at_period_end: bool,
    pub current_period_end: Option<DateTimeUtc>,
    /// Where the buyer pays the open invoice while it is past due.
    pub pay_url: Option<String>,
    /// The retention offer was made (it is made once, taken or not).
    pub retention_used: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub ended_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
