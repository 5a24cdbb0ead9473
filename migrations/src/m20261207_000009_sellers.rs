//! Sellers: people who sell paid access to their own Telegram channels and groups.
//!
//! - `sellers`: one row per seller (a Telegram user who went through `/sell`), with status
//!   `active` or `suspended` (by the operator: their links stop selling).
//! - `seller_drafts`: the step of `/sell` (or of a new plan) a seller is in, with what the
//!   earlier steps collected (JSON). One row per user; gone when the dialogue ends.
//! - `seller_services`: a channel or group a seller sells access to (`chat_id` is unique: a chat
//!   belongs to one service), its deep-link `code`, admission (`link` or `join_request`),
//!   status (`active`, `paused`, `archived`) and grace days after the end of a membership.
//! - `seller_plans`: prices of a service (minor units + currency and/or Stars), period and trial
//!   days, status.
//! - `memberships`: one row per buyer and service: status (`active`, `expired`, `revoked`),
//!   `ends_at`, `remove_at` (the end plus the grace), which reminder went out, the single-use
//!   invite link issued to the buyer, joined / left, whitelisting, whether the trial was used.
//!   The sweeper finds due rows through `(status, remove_at)` and `(status, ends_at)`.
//! - `access_orders`: every attempt to pay for a plan, with gross, fee and net per seller; a
//!   Telegram charge id is unique, so a payment delivered twice admits once.
//! - `seller_audit`: every admission, removal, link, alert, payment and manual change, per
//!   seller.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sellers {
    Table,
    Id,
    UserId,
    DisplayName,
    Email,
    Status,
    TermsAcceptedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SellerDrafts {
    Table,
    UserId,
    Step,
    Data,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SellerServices {
    Table,
    Id,
    SellerId,
    Code,
    ChatId,
    ChatKind,
    Title,
    Admission,
    Status,
    GraceDays,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SellerPlans {
    Table,
    Id,
    ServiceId,
    SellerId,
    PriceMinor,
    Currency,
    StarsPrice,
    PeriodDays,
    TrialDays,
    Status,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    Id,
    ServiceId,
    SellerId,
    UserId,
    PlanId,
    Status,
    EndsAt,
    RemoveAt,
    ReminderStage,
    InviteLink,
    LinkIssuedAt,
    JoinedAt,
    LeftAt,
    Whitelisted,
    TrialUsed,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AccessOrders {
    Table,
    Id,
    SellerId,
    ServiceId,
    PlanId,
    UserId,
    Method,
    Status,
    AmountMinor,
    Currency,
    FeeMinor,
    NetMinor,
    TelegramChargeId,
    CreatedAt,
    PaidAt,
}

#[derive(DeriveIden)]
enum SellerAudit {
    Table,
    Id,
    SellerId,
    Actor,
    Action,
    TargetUser,
    Detail,
    CreatedAt,
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden + 'static,
    cols: Vec<impl IntoIden + 'static>,
    unique: bool,
) -> Result<(), DbErr> {
    let mut idx = Index::create();
    idx.name(name).table(table);
    for c in cols {
        idx.col(c);
    }
    if unique {
        idx.unique();
    }
    manager.create_index(idx.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Sellers::Table)
                    .if_not_exists()
                    .col(pk_auto(Sellers::Id).big_integer())
                    .col(big_integer_uniq(Sellers::UserId))
                    .col(string_len(Sellers::DisplayName, 64))
                    .col(string_len(Sellers::Email, 254))
                    .col(string_len(Sellers::Status, 16).default("active"))
                    .col(timestamp_with_time_zone(Sellers::TermsAcceptedAt))
                    .col(timestamp_with_time_zone(Sellers::CreatedAt))
                    .col(timestamp_with_time_zone(Sellers::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SellerDrafts::Table)
                    .if_not_exists()
                    .col(big_integer(SellerDrafts::UserId).primary_key())
                    .col(string_len(SellerDrafts::Step, 32))
                    .col(text(SellerDrafts::Data))
                    .col(timestamp_with_time_zone(SellerDrafts::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SellerServices::Table)
                    .if_not_exists()
                    .col(pk_auto(SellerServices::Id).big_integer())
                    .col(big_integer(SellerServices::SellerId))
                    .col(string_len_uniq(SellerServices::Code, 16))
                    .col(big_integer_uniq(SellerServices::ChatId))
                    .col(string_len(SellerServices::ChatKind, 16))
                    .col(string_len(SellerServices::Title, 128))
                    .col(string_len(SellerServices::Admission, 16).default("link"))
                    .col(string_len(SellerServices::Status, 16).default("active"))
                    .col(integer(SellerServices::GraceDays).default(0))
                    .col(timestamp_with_time_zone(SellerServices::CreatedAt))
                    .col(timestamp_with_time_zone(SellerServices::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_seller_services_seller",
            SellerServices::Table,
            vec![SellerServices::SellerId],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(SellerPlans::Table)
                    .if_not_exists()
                    .col(pk_auto(SellerPlans::Id).big_integer())
                    .col(big_integer(SellerPlans::ServiceId))
                    .col(big_integer(SellerPlans::SellerId))
                    .col(big_integer_null(SellerPlans::PriceMinor))
                    .col(string_len_null(SellerPlans::Currency, 8))
                    .col(big_integer_null(SellerPlans::StarsPrice))
                    .col(integer(SellerPlans::PeriodDays))
                    .col(integer(SellerPlans::TrialDays).default(0))
                    .col(string_len(SellerPlans::Status, 16).default("active"))
                    .col(timestamp_with_time_zone(SellerPlans::CreatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_seller_plans_service",
            SellerPlans::Table,
            vec![SellerPlans::ServiceId],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(Memberships::Table)
                    .if_not_exists()
                    .col(pk_auto(Memberships::Id).big_integer())
                    .col(big_integer(Memberships::ServiceId))
                    .col(big_integer(Memberships::SellerId))
                    .col(big_integer(Memberships::UserId))
                    .col(big_integer_null(Memberships::PlanId))
                    .col(string_len(Memberships::Status, 16))
                    .col(timestamp_with_time_zone_null(Memberships::EndsAt))
                    .col(timestamp_with_time_zone_null(Memberships::RemoveAt))
                    .col(integer(Memberships::ReminderStage).default(0))
                    .col(string_len_null(Memberships::InviteLink, 128))
                    .col(timestamp_with_time_zone_null(Memberships::LinkIssuedAt))
                    .col(timestamp_with_time_zone_null(Memberships::JoinedAt))
                    .col(timestamp_with_time_zone_null(Memberships::LeftAt))
                    .col(boolean(Memberships::Whitelisted).default(false))
                    .col(boolean(Memberships::TrialUsed).default(false))
                    .col(timestamp_with_time_zone(Memberships::CreatedAt))
                    .col(timestamp_with_time_zone(Memberships::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_memberships_service_user",
            Memberships::Table,
            vec![Memberships::ServiceId, Memberships::UserId],
            true,
        )
        .await?;
        index(
            manager,
            "idx_memberships_due_removal",
            Memberships::Table,
            vec![Memberships::Status, Memberships::RemoveAt],
            false,
        )
        .await?;
        index(
            manager,
            "idx_memberships_due_reminder",
            Memberships::Table,
            vec![Memberships::Status, Memberships::EndsAt],
            false,
        )
        .await?;
        index(
            manager,
            "idx_memberships_seller",
            Memberships::Table,
            vec![Memberships::SellerId, Memberships::Status],
            false,
        )
        .await?;
        index(
            manager,
            "idx_memberships_link",
            Memberships::Table,
            vec![Memberships::InviteLink],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(AccessOrders::Table)
                    .if_not_exists()
                    .col(pk_auto(AccessOrders::Id).big_integer())
                    .col(big_integer(AccessOrders::SellerId))
                    .col(big_integer(AccessOrders::ServiceId))
                    .col(big_integer(AccessOrders::PlanId))
                    .col(big_integer(AccessOrders::UserId))
                    .col(string_len(AccessOrders::Method, 16))
                    .col(string_len(AccessOrders::Status, 16))
                    .col(big_integer(AccessOrders::AmountMinor))
                    .col(string_len(AccessOrders::Currency, 8))
                    .col(big_integer(AccessOrders::FeeMinor).default(0))
                    .col(big_integer(AccessOrders::NetMinor).default(0))
                    .col(string_len_null(AccessOrders::TelegramChargeId, 128).unique_key())
                    .col(timestamp_with_time_zone(AccessOrders::CreatedAt))
                    .col(timestamp_with_time_zone_null(AccessOrders::PaidAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_access_orders_seller",
            AccessOrders::Table,
            vec![AccessOrders::SellerId, AccessOrders::Status],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(SellerAudit::Table)
                    .if_not_exists()
                    .col(pk_auto(SellerAudit::Id).big_integer())
                    .col(big_integer(SellerAudit::SellerId))
                    .col(big_integer(SellerAudit::Actor))
                    .col(string_len(SellerAudit::Action, 48))
                    .col(big_integer_null(SellerAudit::TargetUser))
                    .col(text_null(SellerAudit::Detail))
                    .col(timestamp_with_time_zone(SellerAudit::CreatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_seller_audit_seller",
            SellerAudit::Table,
            vec![SellerAudit::SellerId, SellerAudit::Id],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SellerAudit::Table.into_iden(),
            AccessOrders::Table.into_iden(),
            Memberships::Table.into_iden(),
            SellerPlans::Table.into_iden(),
            SellerServices::Table.into_iden(),
            SellerDrafts::Table.into_iden(),
            Sellers::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
