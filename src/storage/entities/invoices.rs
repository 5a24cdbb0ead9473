use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub seller_id: i64,
    pub livemode: bool,
    pub contact_id: i64,
    pub user_id: i64,
    /// `XTR` (Stars) or a card currency, upper case.
    pub currency: String,
    /// JSON array of `{"description", "quantity", "unit_amount"}`.
    pub lines: String,
    pub total_minor: i64,
    pub note: Option<String>,
    pub due_at: DateTimeUtc,
    /// `draft`, `open`, `paid`, `overdue` or `void`.
    pub status: String,
    /// The customer's message that carries the invoice.
    pub message_id: Option<i32>,
    /// The Stripe PaymentIntent or the Telegram charge id that paid it (unique).
    pub payment_ref: Option<String>,
    /// `stars` or `card`.
    pub paid_via: Option<String>,
    /// The card payment's account (`platform`, `own_key`, `connect`).
    pub paid_to: Option<String>,
    pub fee_minor: i64,
    pub net_minor: i64,
    pub paid_at: Option<DateTimeUtc>,
    pub overdue_at: Option<DateTimeUtc>,
    pub voided_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
