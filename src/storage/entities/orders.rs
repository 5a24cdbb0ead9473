use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub product_id: i64,
    /// `stripe`, `stars` or `provider`.
    pub method: String,
    pub status: OrderStatus,
    pub amount_minor: i64,
    pub currency: String,
    pub stripe_session_id: Option<String>,
    pub stripe_payment_intent: Option<String>,
    pub telegram_charge_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub paid_at: Option<DateTimeUtc>,
    /// How much Stripe has refunded so far (cumulative), in minor units.
    pub refunded_minor: i64,
}

/// Where an order stands. It only moves forward: pending (or failed / expired, which a late
/// payment may still settle) → paid → partially refunded → refunded; a refund that arrives
/// before the payment moves it straight to refunded. Stored as its snake_case name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum OrderStatus {
    /// Created; the payment has not arrived.
    #[sea_orm(string_value = "pending")]
    Pending,
    /// Paid and fulfilled.
    #[sea_orm(string_value = "paid")]
    Paid,
    /// The payment failed (a late success still settles it).
    #[sea_orm(string_value = "failed")]
    Failed,
    /// The Checkout Session expired (a late success still settles it).
    #[sea_orm(string_value = "expired")]
    Expired,
    /// Part of the amount was refunded.
    #[sea_orm(string_value = "partially_refunded")]
    PartiallyRefunded,
    /// The whole amount was refunded, or the payment was refunded before it was applied.
    #[sea_orm(string_value = "refunded")]
    Refunded,
}

impl OrderStatus {
    /// The statuses a payment may still settle.
    pub const PAYABLE: [OrderStatus; 3] = [Self::Pending, Self::Failed, Self::Expired];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Paid => "paid",
            Self::Failed => "failed",
            Self::Expired => "expired",
            Self::PartiallyRefunded => "partially_refunded",
            Self::Refunded => "refunded",
        }
    }

    /// The status stored as `s`, if it is one.
    pub fn parse(s: &str) -> Option<Self> {
        <Self as sea_orm::Iterable>::iter().find(|st| st.as_str() == s)
    }

    /// A payment arriving now would settle the order.
    pub fn is_payable(self) -> bool {
        Self::PAYABLE.contains(&self)
    }

    /// Money was taken and not all of it given back: a refund can apply.
    pub fn is_refundable(self) -> bool {
        matches!(self, Self::Paid | Self::PartiallyRefunded)
    }
}

impl std::fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
