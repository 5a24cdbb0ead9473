//! The operator's own drip campaigns: the drip machinery of [`drips`] run as the reserved
//! tenant [`OPERATOR`], for the bot's users (everyone who started it), managed from the
//! admin center.
//!
//! Every user of the bot may be the operator's contact, so a contacts row for the operator is
//! made only when a campaign needs one (an enrolment), not on every `/start`: a new user's
//! first `/start` while a first-contact campaign is active, a first payment while a purchase
//! campaign is, or an admin enrolling a user (or everyone) by hand.
//!
//! This is a service: it takes a `Db` and returns outcomes; the center renders them.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::{
    contacts::{self, Contact, Source},
    drips::{self, BadDrip, Campaign, NewCampaign, OPERATOR, Status, Trigger},
};
use crate::{
    accounts::users,
    domain::UserStatus,
    services::ServiceResult,
    storage::{
        self, Db,
        entities::{drip_campaigns, drip_steps},
    },
};

/// Creates one of the operator's campaigns; its trigger must be one the operator's users can
/// set off (first contact, a purchase, by hand).
pub async fn create(
    db: &Db,
    now: DateTime<Utc>,
    new: NewCampaign,
) -> ServiceResult<Result<Campaign, BadDrip>> {
    if !new.trigger.for_operator() {
        return Ok(Err(BadDrip::OperatorTrigger));
    }
    drips::create(db, now, OPERATOR, new).await
}

/// Whether the operator has an active campaign that `trigger` starts (one indexed look-up, so
/// that the hooks cost nothing while there is none).
async fn any_active(db: &Db, trigger: Trigger) -> ServiceResult<bool> {
    Ok(drip_campaigns::Entity::find()
        .filter(drip_campaigns::Column::SellerId.eq(OPERATOR.seller_id))
        .filter(drip_campaigns::Column::Livemode.eq(OPERATOR.livemode))
        .filter(drip_campaigns::Column::Trigger.eq(trigger.as_str()))
        .filter(drip_campaigns::Column::Status.eq(Status::Active.as_str()))
        .count(db)
        .await?
        > 0)
}

/// `user`'s contacts row of the operator, made now if there was none (no trigger runs).
async fn contact(db: &Db, now: DateTime<Utc>, user: i64) -> ServiceResult<Contact> {
    Ok(contacts::insert(db, now, OPERATOR, user, Source::Bot)
        .await?
        .0)
}

/// A user pressed `/start`; `new` when this made them a user. A new user enrols in the
/// operator's first-contact campaigns. How many enrolments.
pub async fn on_start(db: &Db, now: DateTime<Utc>, user: i64, new: bool) -> ServiceResult<usize> {
    if !new || !any_active(db, Trigger::FirstContact).await? {
        return Ok(0);
    }
    let c = contact(db, now, user).await?;
    drips::on_trigger(db, now, OPERATOR, &c, Trigger::FirstContact, None).await
}

/// A user's order of the operator's (credits or a pass) was paid, once per order: their
/// enrolments with the `paid` goal end and count a conversion, and purchase campaigns enrol
/// them.
pub async fn on_paid(db: &Db, now: DateTime<Utc>, user: i64) -> ServiceResult<()> {
    // Most operators have no campaign at all: one look-up, and payments cost nothing more.
    let none = drip_campaigns::Entity::find()
        .filter(drip_campaigns::Column::SellerId.eq(OPERATOR.seller_id))
        .filter(drip_campaigns::Column::Livemode.eq(OPERATOR.livemode))
        .one(db)
        .await?
        .is_none();
    if none {
        return Ok(());
    }
    if any_active(db, Trigger::Purchase).await? {
        contact(db, now, user).await?;
    }
    drips::on_purchase(db, now, OPERATOR.seller_id, user).await
}

/// The operator's campaign `id`.
pub async fn get(db: &Db, id: i64) -> ServiceResult<Option<Campaign>> {
    drips::get(db, OPERATOR, id).await
}

/// Enrols the bot's user `user` in the operator's campaign by hand: `Ok(true)` when new,
/// `Ok(false)` when they were enrolled already; a user who never started the bot is refused
/// and nothing changes.
pub async fn enrol_user(
    db: &Db,
    now: DateTime<Utc>,
    campaign: &Campaign,
    user: i64,
) -> ServiceResult<Result<bool, BadDrip>> {
    if campaign.seller_id != OPERATOR.seller_id || users::find(db, user).await?.is_none() {
        return Ok(Err(BadDrip::NeverStarted));
    }
    let c = contact(db, now, user).await?;
    Ok(Ok(drips::enroll(db, now, campaign, &c).await?.1))
}

/// Enrols everyone a broadcast to "everyone" reaches (users neither banned nor unreachable),
/// except those who stopped the operator's drips, in two `INSERT … SELECT`s (never all ids in
/// memory). Those enrolled already stay as they are. How many new enrolments.
pub async fn enrol_everyone(
    db: &Db,
    now: DateTime<Utc>,
    campaign: &Campaign,
) -> ServiceResult<u64> {
    if campaign.seller_id != OPERATOR.seller_id {
        return Ok(0);
    }
    let first = drip_steps::Entity::find()
        .filter(drip_steps::Column::CampaignId.eq(campaign.id))
        .filter(drip_steps::Column::Position.eq(1))
        .one(db)
        .await?;
    let (status, next_run_at) = match &first {
        Some(s) => ("active", Some(now + Duration::seconds(s.delay_secs))),
        None => ("completed", None),
    };
    let reachable = format!(
        "u.status NOT IN ('{}', '{}')",
        UserStatus::Unreachable.as_str(),
        UserStatus::Banned.as_str()
    );
    let backend = db.get_database_backend();
    db.execute_raw(sea_orm::Statement::from_sql_and_values(
        backend,
        storage::sql(
            backend,
            &format!(
                "INSERT INTO contacts (seller_id, livemode, user_id, source, tags, attributes, \
                 created_at, updated_at) \
                 SELECT $1, $2, u.id, $3, '[]', '{{}}', $4, $4 FROM users u WHERE {reachable} \
                 ON CONFLICT (seller_id, livemode, user_id) DO NOTHING"
            ),
        ),
        [
            OPERATOR.seller_id.into(),
            OPERATOR.livemode.into(),
            Source::Bot.as_str().into(),
            now.into(),
        ],
    ))
    .await?;
    let done = db
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            storage::sql(
                backend,
                &format!(
                    "INSERT INTO drip_enrollments (campaign_id, seller_id, livemode, contact_id, \
                     user_id, next_position, next_run_at, status, created_at, updated_at) \
                     SELECT $1, c.seller_id, c.livemode, c.id, c.user_id, 1, $2, $3, $4, $4 \
                     FROM contacts c JOIN users u ON u.id = c.user_id \
                     WHERE c.seller_id = $5 AND c.livemode = $6 AND {reachable} \
                     AND NOT EXISTS (SELECT 1 FROM contact_stops s \
                       WHERE s.seller_id = c.seller_id AND s.user_id = c.user_id) \
                     ON CONFLICT (campaign_id, contact_id) DO NOTHING"
                ),
            ),
            [
                campaign.id.into(),
                next_run_at.into(),
                status.into(),
                now.into(),
                OPERATOR.seller_id.into(),
                OPERATOR.livemode.into(),
            ],
        ))
        .await?;
    Ok(done.rows_affected())
}
