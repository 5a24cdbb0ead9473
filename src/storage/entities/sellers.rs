use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sellers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub display_name: String,
    pub email: String,
    /// `active` or `suspended`.
    pub status: String,
    pub terms_accepted_at: DateTimeUtc,
    /// Who takes card payments: `platform`, `own_key` or `connect`.
    pub pay_mode: String,
    /// The seller's own Stripe secret key, sealed with `ENCRYPTION_KEY`.
    pub stripe_key_sealed: Option<String>,
    /// What the seller sees of their key (`sk_live_…wxyz`).
    pub stripe_key_hint: Option<String>,
    /// The endpoint secret of the seller's own Stripe webhook, sealed.
    pub stripe_webhook_secret_sealed: Option<String>,
    /// The seller's connected account, `acct_…`.
    pub connect_account_id: Option<String>,
    /// The connected account's flags as Stripe last reported them.
    pub connect_charges_enabled: bool,
    pub connect_payouts_enabled: bool,
    pub connect_details_submitted: bool,
    /// What Stripe needs now (`requirements.currently_due`), comma-separated.
    pub connect_requirements: Option<String>,
    /// Tollgate created the account (Express), so it hands out onboarding links for it.
    pub connect_onboarding: bool,
    pub connect_checked_at: Option<DateTimeUtc>,
    /// The one-time discount on the next period offered to a buyer who cancels.
    pub retention_percent: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
