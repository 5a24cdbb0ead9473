//! Sellers' branding: the name, logo and accent colour shown on their checkout pages (Stripe
//! Checkout and our return pages), share cards and alert posts.
//!
//! - `seller_branding`: at most one row per seller (`seller_id` is the key). `name` overrides
//!   the seller's display name on public pages (NULL: the display name); `accent_color` is
//!   `#rrggbb` (NULL: the default colour); `logo_file_id` / `logo_file_unique_id` name the
//!   photo the seller sent the bot (NULL: no logo), `logo_size` its size in bytes as Telegram
//!   reported it. `updated_by` is the team member who last changed it.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SellerBranding {
    Table,
    SellerId,
    Name,
    AccentColor,
    LogoFileId,
    LogoFileUniqueId,
    LogoSize,
    UpdatedBy,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SellerBranding::Table)
                    .if_not_exists()
                    .col(big_integer(SellerBranding::SellerId).primary_key())
                    .col(string_len_null(SellerBranding::Name, 64))
                    .col(string_len_null(SellerBranding::AccentColor, 7))
                    .col(text_null(SellerBranding::LogoFileId))
                    .col(string_len_null(SellerBranding::LogoFileUniqueId, 64))
                    .col(big_integer_null(SellerBranding::LogoSize))
                    .col(big_integer(SellerBranding::UpdatedBy))
                    .col(timestamp_with_time_zone(SellerBranding::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(SellerBranding::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}
