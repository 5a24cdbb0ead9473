use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "access_orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub seller_id: i64,
    pub service_id: i64,
    pub plan_id: i64,
    pub user_id: i64,
    /// `stars` or `card`.
    pub method: String,
    /// `pending`, `paid`, `refunded` (in full) or `failed`.
    pub status: String,
    /// Gross, in minor units of `currency` (Stars for `XTR`).
    pub amount_minor: i64,
    pub currency: String,
    pub fee_minor: i64,
    pub net_minor: i64,
    pub telegram_charge_id: Option<String>,
    pub stripe_session_id: Option<String>,
    /// Unique: a card payment admits once.
    pub stripe_payment_intent: Option<String>,
    /// The account that took the money: `platform`, `own_key` or `connect` (card payments).
    pub paid_to: Option<String>,
    pub refunded_minor: i64,
    /// The promo code the order was priced with.
    pub promo_code_id: Option<i64>,
    /// What the code took off; `amount_minor + discount_minor` is the list price.
    pub discount_minor: i64,
    /// Where the buyer came from (their latest view's source), when known.
    pub source: Option<String>,
    /// The subscription whose invoice this order is (renewing plans).
    pub subscription_id: Option<i64>,
    /// Unique: an invoice pays once.
    pub stripe_invoice_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub paid_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
