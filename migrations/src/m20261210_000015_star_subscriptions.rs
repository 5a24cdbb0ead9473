//! Telegram Star subscription links for channel services.
//!
//! - `seller_services.star_sub_price`: the Stars a subscriber pays Telegram every 30 days
//!   (Telegram's only period; 1 to 10,000 Stars), NULL while the service offers no
//!   subscription link; `star_sub_link` the link `createChatSubscriptionInviteLink` made
//!   (unique: join tracking finds the service's subscribers by it).
//! - `memberships.source`: who keeps the member's access: `tollgate` (plans, trials, grants;
//!   the sweeper removes them at the end) or `star_subscription` (Telegram charges and removes
//!   them itself; the sweeper leaves them alone).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SellerServices {
    Table,
    StarSubPrice,
    StarSubLink,
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    Source,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        let service_columns = [
            big_integer_null(SellerServices::StarSubPrice).to_owned(),
            string_len_null(SellerServices::StarSubLink, 128).to_owned(),
        ];
        for mut column in service_columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(SellerServices::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Memberships::Table)
                    .add_column(string_len(Memberships::Source, 24).default("tollgate"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_seller_services_star_sub_link")
                    .table(SellerServices::Table)
                    .col(SellerServices::StarSubLink)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_seller_services_star_sub_link")
                    .table(SellerServices::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Memberships::Table)
                    .drop_column(Memberships::Source)
                    .to_owned(),
            )
            .await?;
        for column in [SellerServices::StarSubLink, SellerServices::StarSubPrice] {
            manager
                .alter_table(
                    Table::alter()
                        .table(SellerServices::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
