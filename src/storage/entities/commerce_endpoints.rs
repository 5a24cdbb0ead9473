use sea_orm::entity::prelude::*;

#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "commerce_endpoints")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub seller_id: i64,
    pub livemode: bool,
    /// `shopify` or `woocommerce`.
    pub platform: String,
    /// The unguessable part of the receiver's URL.
    pub token: String,
    /// Verifies the shop's signatures. Never in `Debug`.
    pub secret: String,
    pub created_at: DateTimeUtc,
    pub rotated_at: DateTimeUtc,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommerceEndpoint")
            .field("id", &self.id)
            .field("seller_id", &self.seller_id)
            .field("livemode", &self.livemode)
            .field("platform", &self.platform)
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
