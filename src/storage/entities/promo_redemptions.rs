use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "promo_redemptions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub promo_code_id: i64,
    pub seller_id: i64,
    /// Unique: an order redeems once.
    #[sea_orm(unique)]
    pub order_id: i64,
    pub user_id: i64,
    pub amount_off: i64,
    pub currency: String,
    /// `reserved` (order pending), `redeemed` (paid) or `released` (the use went back).
    pub status: String,
    /// This row took one of the code's uses (a `forever` code's later orders do not).
    pub takes_use: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
