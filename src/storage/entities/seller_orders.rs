use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "seller_orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub seller_id: i64,
    pub livemode: bool,
    /// Where the order comes from: `shopify`, `woocommerce`, or the seller's own name for it.
    pub platform: String,
    /// The order's id there.
    pub external_id: String,
    /// The number the customer knows it by (`#1001`), when the shop has one.
    pub reference: Option<String>,
    /// The customer: the seller's contact, and its Telegram user.
    pub contact_id: i64,
    pub user_id: i64,
    /// `new`, `confirmed`, `packing`, `shipped`, `delivered` or `cancelled`.
    pub status: String,
    /// A JSON array of `{name, quantity, packed}`.
    pub items: String,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub tracking_url: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
