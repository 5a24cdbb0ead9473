use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "products")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub code: String,
    /// `credits` or `pass`.
    pub kind: String,
    pub credits: Option<i64>,
    pub pass_kind: Option<String>,
    pub title: String,
    /// Integer minor units (cents) of `currency`.
    pub price_minor: i64,
    pub currency: String,
    pub stars_price: Option<i64>,
    pub active: bool,
    pub sort_order: i32,
    pub stripe_product_id: Option<String>,
    pub stripe_price_id: Option<String>,
    pub stripe_price_amount: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
