//! Drip campaigns: a seller's timed sequences of messages to their contacts, per seller and
//! mode. A campaign has steps (a delay, a text or a media with its caption, optional URL
//! buttons, an optional condition), a trigger that enrols contacts (first contact, a
//! purchase, a membership's expiry, a tag added, or by hand and the API), and an optional
//! goal (a purchase) that ends an enrolment early.
//!
//! This is a service: it stores campaigns and enrolments and hands the runner
//! (`messaging::drip_runner`) what falls due. Exactly once: a due enrolment is claimed by a
//! conditional update; a step's send row (unique per enrolment and step) is written before
//! the message goes, and a step whose row exists is never sent again (at most once: a crash
//! between the row and Telegram's answer loses that one step rather than repeating it).
use std::collections::{HashMap, HashSet};

use base64::{
    Engine as _,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, KeyInit, Mac};
use ring::rand::{SecureRandom, SystemRandom};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
    sea_query::{Expr, OnConflict, Query},
};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::contacts::{self, Contact};
use crate::{
    sellers::tenant::Tenant,
    services::{
        ServiceResult,
        settings::{self, Setting},
    },
    storage::{
        self, Db, StorageError,
        entities::{
            access_orders, contact_stops, drip_campaigns, drip_enrollments, drip_sends, drip_steps,
            orders,
        },
    },
};

/// The operator's own campaigns (the admin center's) run as this reserved tenant: no seller
/// has id 0, and the drip and contact tables have no foreign key to `sellers`. Live mode.
pub const OPERATOR: Tenant = Tenant {
    seller_id: 0,
    livemode: true,
};

pub type Campaign = drip_campaigns::Model;
pub type Step = drip_steps::Model;
pub type Enrollment = drip_enrollments::Model;

/// The prefix of a campaign's public id (`drip_7`).
pub const ID_PREFIX: &str = "drip_";
/// The prefix of an enrolment's public id (`enr_9`).
pub const ENROLLMENT_PREFIX: &str = "enr_";
/// Characters of a campaign's name.
pub const NAME_MAX: usize = 64;
/// Characters of a step's text.
pub const TEXT_MAX: usize = 4096;
/// Characters of a media's caption.
pub const CAPTION_MAX: usize = 1024;
/// The longest delay of a step: a year.
pub const DELAY_MAX_SECS: i64 = 365 * 24 * 3600;
/// Steps a campaign may have.
pub const STEPS_MAX: u64 = 50;
/// Buttons a step may carry.
pub const BUTTONS_MAX: usize = 3;
/// Characters of a button's label.
pub const BUTTON_TEXT_MAX: usize = 64;
/// Campaigns a seller may have per mode.
pub const CAMPAIGNS_MAX: u64 = 100;

pub fn public_id(id: i64) -> String {
    format!("{ID_PREFIX}{id}")
}

pub fn parse_id(s: &str) -> Option<i64> {
    s.strip_prefix(ID_PREFIX)?
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
}

pub fn enrollment_id(id: i64) -> String {
    format!("{ENROLLMENT_PREFIX}{id}")
}

/// What enrols a contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// By hand (the bot) or the API only.
    Manual,
    /// The user becomes the seller's contact.
    FirstContact,
    /// The contact buys from the seller.
    Purchase,
    /// The contact's membership of one of the seller's services ends.
    Expiry,
    /// The seller adds `trigger_tag` to the contact.
    TagAdded,
}

impl Trigger {
    pub const ALL: [Trigger; 5] = [
        Trigger::Manual,
        Trigger::FirstContact,
        Trigger::Purchase,
        Trigger::Expiry,
        Trigger::TagAdded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Manual => "manual",
            Trigger::FirstContact => "first_contact",
            Trigger::Purchase => "purchase",
            Trigger::Expiry => "expiry",
            Trigger::TagAdded => "tag_added",
        }
    }

    pub fn parse(s: &str) -> Option<Trigger> {
        Trigger::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The triggers of the operator's campaigns: the operator's users carry no tags and hold
    /// no memberships, so `tag_added` and `expiry` never fire for them.
    pub const OPERATOR: [Trigger; 3] = [Trigger::FirstContact, Trigger::Purchase, Trigger::Manual];

    pub fn for_operator(self) -> bool {
        Trigger::OPERATOR.contains(&self)
    }
}

/// What ends an enrolment early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goal {
    None,
    /// The contact buys from the seller.
    Paid,
}

impl Goal {
    pub fn as_str(self) -> &'static str {
        match self {
            Goal::None => "none",
            Goal::Paid => "paid",
        }
    }

    pub fn parse(s: &str) -> Option<Goal> {
        match s {
            "none" => Some(Goal::None),
            "paid" => Some(Goal::Paid),
            _ => None,
        }
    }
}

/// Whether a campaign sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Active,
    Paused,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Paused => "paused",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "active" => Some(Status::Active),
            "paused" => Some(Status::Paused),
            _ => None,
        }
    }
}

/// Whom a step goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepCondition {
    /// Contacts who have bought from the seller.
    Paid,
    /// Contacts who have not.
    NotPaid,
    /// Contacts with this tag.
    Tag(String),
}

impl StepCondition {
    pub fn to_db(&self) -> String {
        match self {
            StepCondition::Paid => "paid".into(),
            StepCondition::NotPaid => "not_paid".into(),
            StepCondition::Tag(t) => format!("tag:{t}"),
        }
    }

    pub fn parse(s: &str) -> Option<StepCondition> {
        match s {
            "paid" => Some(StepCondition::Paid),
            "not_paid" => Some(StepCondition::NotPaid),
            _ => {
                let tag = s.strip_prefix("tag:")?;
                contacts::parse_tags(&[tag.to_owned()]).ok()?;
                Some(StepCondition::Tag(tag.to_owned()))
            }
        }
    }
}

/// A step's media.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    Photo,
    Video,
    Document,
}

impl MediaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Photo => "photo",
            MediaKind::Video => "video",
            MediaKind::Document => "document",
        }
    }

    pub fn parse(s: &str) -> Option<MediaKind> {
        match s {
            "photo" => Some(MediaKind::Photo),
            "video" => Some(MediaKind::Video),
            "document" => Some(MediaKind::Document),
            _ => None,
        }
    }
}

/// A URL button under a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    pub text: String,
    pub url: String,
}

/// A step's message as typed: its last lines of the form `Label | https://…` (or `http://`,
/// `tg://`) are its link buttons, in order; the rest is the text. The first line is always text,
/// so a one-line message is never taken for a lone button.
pub fn split_link_buttons(message: &str) -> (String, Vec<Button>) {
    let mut lines: Vec<&str> = message.lines().collect();
    let mut buttons = Vec::new();
    while let Some(last) = lines.last().filter(|_| lines.len() > 1) {
        let Some((label, url)) = last.split_once('|') else {
            break;
        };
        let url = url.trim();
        if !["https://", "http://", "tg://"]
            .iter()
            .any(|p| url.starts_with(p))
        {
            break;
        }
        buttons.push(Button {
            text: label.trim().to_owned(),
            url: url.to_owned(),
        });
        lines.pop();
    }
    buttons.reverse();
    (lines.join("\n").trim().to_owned(), buttons)
}

/// Input that cannot be taken, naming its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadDrip {
    #[error("a name is 1 to 64 characters")]
    Name,
    #[error(
        "the trigger is one of manual, first_contact, purchase, expiry, tag_added (with trigger_tag)"
    )]
    Trigger,
    #[error("trigger_tag: a tag of 1 to 32 letters, digits, '-', '_', ':' or '.', for tag_added")]
    TriggerTag,
    #[error("the goal is none or paid")]
    Goal,
    #[error("the status is active or paused")]
    Status,
    #[error("a step's delay is 1 second to 365 days")]
    Delay,
    #[error("the text is 1 to 4096 characters (a caption with media: at most 1024)")]
    Text,
    #[error("media: a kind (photo, video, document) with a Telegram file id")]
    Media,
    #[error(
        "buttons: at most 3, each a label of 1 to 64 characters and an https:// or http:// URL"
    )]
    Buttons,
    #[error("the condition is paid, not_paid or tag:<tag>")]
    Condition,
    #[error("a campaign has at most 50 steps")]
    TooManySteps,
    #[error("a seller has at most 100 campaigns per mode")]
    TooManyCampaigns,
    #[error("no such contact")]
    Contact,
    #[error("the operator's campaigns start on first contact, a purchase, or by hand")]
    OperatorTrigger,
    #[error("that user never started the bot")]
    NeverStarted,
}

impl BadDrip {
    pub fn field(&self) -> &'static str {
        match self {
            BadDrip::Name | BadDrip::TooManyCampaigns => "name",
            BadDrip::Trigger => "trigger",
            BadDrip::TriggerTag => "trigger_tag",
            BadDrip::Goal => "goal",
            BadDrip::Status => "status",
            BadDrip::Delay => "delay_seconds",
            BadDrip::Text => "text",
            BadDrip::Media => "media_file_id",
            BadDrip::Buttons => "buttons",
            BadDrip::Condition => "condition",
            BadDrip::TooManySteps => "steps",
            BadDrip::Contact => "contact_id",
            BadDrip::OperatorTrigger => "trigger",
            BadDrip::NeverStarted => "user",
        }
    }
}

/// A new campaign, checked.
#[derive(Debug, Clone)]
pub struct NewCampaign {
    pub name: String,
    pub trigger: Trigger,
    pub trigger_tag: Option<String>,
    pub goal: Goal,
}

impl NewCampaign {
    pub fn check(
        name: &str,
        trigger: &str,
        trigger_tag: Option<&str>,
        goal: Option<&str>,
    ) -> Result<NewCampaign, BadDrip> {
        let name = name.trim();
        if !(1..=NAME_MAX).contains(&name.chars().count()) {
            return Err(BadDrip::Name);
        }
        let trigger = Trigger::parse(trigger).ok_or(BadDrip::Trigger)?;
        let trigger_tag = match (trigger, trigger_tag) {
            (Trigger::TagAdded, Some(t)) => {
                contacts::parse_tags(&[t.to_owned()]).map_err(|_| BadDrip::TriggerTag)?;
                Some(t.to_owned())
            }
            (Trigger::TagAdded, None) | (_, Some(_)) => return Err(BadDrip::TriggerTag),
            (_, None) => None,
        };
        let goal = match goal {
            None => Goal::None,
            Some(g) => Goal::parse(g).ok_or(BadDrip::Goal)?,
        };
        Ok(NewCampaign {
            name: name.to_owned(),
            trigger,
            trigger_tag,
            goal,
        })
    }
}

/// A new step, checked.
#[derive(Debug, Clone)]
pub struct NewStep {
    pub delay_secs: i64,
    pub text: String,
    pub media: Option<(MediaKind, String)>,
    pub buttons: Vec<Button>,
    pub condition: Option<StepCondition>,
}

impl NewStep {
    pub fn check(
        delay_secs: i64,
        text: &str,
        media: Option<(&str, &str)>,
        buttons: Vec<Button>,
        condition: Option<&str>,
    ) -> Result<NewStep, BadDrip> {
        if !(1..=DELAY_MAX_SECS).contains(&delay_secs) {
            return Err(BadDrip::Delay);
        }
        let media = match media {
            None => None,
            Some((kind, file)) => {
                let kind = MediaKind::parse(kind).ok_or(BadDrip::Media)?;
                let file = file.trim();
                if file.is_empty() || file.len() > 256 {
                    return Err(BadDrip::Media);
                }
                Some((kind, file.to_owned()))
            }
        };
        let max = if media.is_some() {
            CAPTION_MAX
        } else {
            TEXT_MAX
        };
        let chars = text.chars().count();
        if text.trim().is_empty() && media.is_none() || chars > max {
            return Err(BadDrip::Text);
        }
        if buttons.len() > BUTTONS_MAX
            || !buttons.iter().all(|b| {
                (1..=BUTTON_TEXT_MAX).contains(&b.text.trim().chars().count())
                    && (b.url.starts_with("https://") || b.url.starts_with("http://"))
                    && b.url.len() <= 512
                    && url::Url::parse(&b.url).is_ok()
            })
        {
            return Err(BadDrip::Buttons);
        }
        let condition = match condition {
            None => None,
            Some(c) => Some(StepCondition::parse(c).ok_or(BadDrip::Condition)?),
        };
        Ok(NewStep {
            delay_secs,
            text: text.to_owned(),
            media,
            buttons,
            condition,
        })
    }
}

pub fn buttons_of(s: &Step) -> Vec<Button> {
    s.buttons
        .as_deref()
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or_default()
}

pub fn condition_of(s: &Step) -> Option<StepCondition> {
    s.condition.as_deref().and_then(StepCondition::parse)
}

/// Creates a campaign, active, without steps.
pub async fn create(
    db: &Db,
    now: DateTime<Utc>,
    t: Tenant,
    new: NewCampaign,
) -> ServiceResult<Result<Campaign, BadDrip>> {
    let count = drip_campaigns::Entity::find()
        .filter(drip_campaigns::Column::SellerId.eq(t.seller_id))
        .filter(drip_campaigns::Column::Livemode.eq(t.livemode))
        .count(db)
        .await?;
    if count >= CAMPAIGNS_MAX {
        return Ok(Err(BadDrip::TooManyCampaigns));
    }
    let row = drip_campaigns::Entity::insert(drip_campaigns::ActiveModel {
        seller_id: Set(t.seller_id),
        livemode: Set(t.livemode),
        name: Set(new.name),
        trigger: Set(new.trigger.as_str().to_owned()),
        trigger_tag: Set(new.trigger_tag),
        goal: Set(new.goal.as_str().to_owned()),
        status: Set(Status::Active.as_str().to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?;
    Ok(Ok(row))
}

/// The tenant's campaigns, oldest first.
pub async fn list(db: &Db, t: Tenant) -> ServiceResult<Vec<Campaign>> {
    Ok(drip_campaigns::Entity::find()
        .filter(drip_campaigns::Column::SellerId.eq(t.seller_id))
        .filter(drip_campaigns::Column::Livemode.eq(t.livemode))
        .order_by_asc(drip_campaigns::Column::Id)
        .all(db)
        .await?)
}

/// The tenant's campaign `id`.
pub async fn get(db: &Db, t: Tenant, id: i64) -> ServiceResult<Option<Campaign>> {
    Ok(drip_campaigns::Entity::find_by_id(id)
        .filter(drip_campaigns::Column::SellerId.eq(t.seller_id))
        .filter(drip_campaigns::Column::Livemode.eq(t.livemode))
        .one(db)
        .await?)
}

/// A campaign by id, whoever's (for the runner).
pub async fn find(db: &Db, id: i64) -> ServiceResult<Option<Campaign>> {
    Ok(drip_campaigns::Entity::find_by_id(id).one(db).await?)
}

/// Pauses or resumes a campaign; None when it is not the tenant's. A paused campaign keeps
/// its enrolments where they are; on resuming, steps that fell due meanwhile go out.
pub async fn set_status(
    db: &Db,
    now: DateTime<Utc>,
    t: Tenant,
    id: i64,
    status: Status,
) -> ServiceResult<Option<Campaign>> {
    if get(db, t, id).await?.is_none() {
        return Ok(None);
    }
    drip_campaigns::Entity::update_many()
        .col_expr(drip_campaigns::Column::Status, Expr::value(status.as_str()))
        .col_expr(drip_campaigns::Column::UpdatedAt, Expr::value(now))
        .filter(drip_campaigns::Column::Id.eq(id))
        .exec(db)
        .await?;
    get(db, t, id).await
}

/// A campaign's steps in order.
pub async fn steps(db: &Db, campaign_id: i64) -> ServiceResult<Vec<Step>> {
    Ok(drip_steps::Entity::find()
        .filter(drip_steps::Column::CampaignId.eq(campaign_id))
        .order_by_asc(drip_steps::Column::Position)
        .all(db)
        .await?)
}

/// Adds a step after the campaign's last one.
pub async fn add_step(
    db: &Db,
    now: DateTime<Utc>,
    campaign: &Campaign,
    new: NewStep,
) -> ServiceResult<Result<Step, BadDrip>> {
    let existing = steps(db, campaign.id).await?;
    if existing.len() as u64 >= STEPS_MAX {
        return Ok(Err(BadDrip::TooManySteps));
    }
    let position = existing.last().map_or(1, |s| s.position + 1);
    let buttons = if new.buttons.is_empty() {
        None
    } else {
        Some(serde_json::to_string(&new.buttons).unwrap_or_else(|_| "[]".into()))
    };
    let row = drip_steps::Entity::insert(drip_steps::ActiveModel {
        campaign_id: Set(campaign.id),
        position: Set(position),
        delay_secs: Set(new.delay_secs),
        text: Set(new.text),
        media_kind: Set(new.media.as_ref().map(|(k, _)| k.as_str().to_owned())),
        media_file_id: Set(new.media.map(|(_, f)| f)),
        buttons: Set(buttons),
        condition: Set(new.condition.map(|c| c.to_db())),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?;
    // Enrolments that had run out of steps wait for this one, from now.
    drip_enrollments::Entity::update_many()
        .col_expr(
            drip_enrollments::Column::NextRunAt,
            Expr::value(now + Duration::seconds(row.delay_secs)),
        )
        .col_expr(drip_enrollments::Column::Status, Expr::value("active"))
        .filter(drip_enrollments::Column::CampaignId.eq(campaign.id))
        .filter(drip_enrollments::Column::Status.eq("completed"))
        .filter(drip_enrollments::Column::NextPosition.eq(position))
        .exec(db)
        .await?;
    Ok(Ok(row))
}

/// Enrols `contact` in `campaign`, once: enrolling again gives the enrolment there is. The
/// enrolment and whether it is new.
pub async fn enroll(
    db: &Db,
    now: DateTime<Utc>,
    campaign: &Campaign,
    contact: &Contact,
) -> ServiceResult<(Enrollment, bool)> {
    let first = drip_steps::Entity::find()
        .filter(drip_steps::Column::CampaignId.eq(campaign.id))
        .filter(drip_steps::Column::Position.eq(1))
        .one(db)
        .await?;
    let (status, next_run_at) = match &first {
        Some(s) => ("active", Some(now + Duration::seconds(s.delay_secs))),
        None => ("completed", None),
    };
    let inserted = drip_enrollments::Entity::insert(drip_enrollments::ActiveModel {
        campaign_id: Set(campaign.id),
        seller_id: Set(campaign.seller_id),
        livemode: Set(campaign.livemode),
        contact_id: Set(contact.id),
        user_id: Set(contact.user_id),
        next_position: Set(1),
        next_run_at: Set(next_run_at),
        status: Set(status.to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            drip_enrollments::Column::CampaignId,
            drip_enrollments::Column::ContactId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    let row = drip_enrollments::Entity::find()
        .filter(drip_enrollments::Column::CampaignId.eq(campaign.id))
        .filter(drip_enrollments::Column::ContactId.eq(contact.id))
        .one(db)
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("an enrolment just made".into()))?;
    Ok((row, inserted == 1))
}

/// Enrols `contact` in the tenant's active campaigns that `trigger` starts (those of
/// `tag_added` only for `tag`). How many new enrolments.
pub async fn on_trigger(
    db: &Db,
    now: DateTime<Utc>,
    t: Tenant,
    contact: &Contact,
    trigger: Trigger,
    tag: Option<&str>,
) -> ServiceResult<usize> {
    let mut q = drip_campaigns::Entity::find()
        .filter(drip_campaigns::Column::SellerId.eq(t.seller_id))
        .filter(drip_campaigns::Column::Livemode.eq(t.livemode))
        .filter(drip_campaigns::Column::Trigger.eq(trigger.as_str()))
        .filter(drip_campaigns::Column::Status.eq(Status::Active.as_str()));
    if let Some(tag) = tag {
        q = q.filter(drip_campaigns::Column::TriggerTag.eq(tag));
    }
    let mut n = 0;
    for c in q.all(db).await? {
        if enroll(db, now, &c, contact).await?.1 {
            n += 1;
        }
    }
    Ok(n)
}

/// Enrols the contact in the campaigns of each tag it has that was not in `before`.
pub async fn on_tags_changed(
    db: &Db,
    now: DateTime<Utc>,
    t: Tenant,
    contact: &Contact,
    before: &[String],
) -> ServiceResult<usize> {
    let mut n = 0;
    for tag in contacts::tags_of(contact) {
        if !before.contains(&tag) {
            n += on_trigger(db, now, t, contact, Trigger::TagAdded, Some(&tag)).await?;
        }
    }
    Ok(n)
}

/// The contact `user` bought from the seller: their enrolments in campaigns whose goal is a
/// purchase end (`goal_met`), the last step each of their enrolments received counts a
/// conversion, and campaigns triggered by a purchase enrol them (in live mode).
pub async fn on_purchase(
    db: &Db,
    now: DateTime<Utc>,
    seller_id: i64,
    user: i64,
) -> ServiceResult<()> {
    let active = drip_enrollments::Entity::find()
        .filter(drip_enrollments::Column::SellerId.eq(seller_id))
        .filter(drip_enrollments::Column::UserId.eq(user))
        .filter(drip_enrollments::Column::Status.eq("active"))
        .all(db)
        .await?;
    for e in &active {
        let last = drip_sends::Entity::find()
            .filter(drip_sends::Column::EnrollmentId.eq(e.id))
            .filter(drip_sends::Column::Outcome.eq("sent"))
            .order_by_desc(drip_sends::Column::Id)
            .one(db)
            .await?;
        if let Some(last) = last {
            drip_sends::Entity::update_many()
                .col_expr(drip_sends::Column::ConvertedAt, Expr::value(now))
                .filter(drip_sends::Column::Id.eq(last.id))
                .filter(drip_sends::Column::ConvertedAt.is_null())
                .exec(db)
                .await?;
        }
    }
    let goal_paid = Query::select()
        .column(drip_campaigns::Column::Id)
        .from(drip_campaigns::Entity)
        .and_where(drip_campaigns::Column::Goal.eq(Goal::Paid.as_str()))
        .to_owned();
    drip_enrollments::Entity::update_many()
        .col_expr(drip_enrollments::Column::Status, Expr::value("goal_met"))
        .col_expr(
            drip_enrollments::Column::NextRunAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(drip_enrollments::Column::UpdatedAt, Expr::value(now))
        .filter(drip_enrollments::Column::SellerId.eq(seller_id))
        .filter(drip_enrollments::Column::UserId.eq(user))
        .filter(drip_enrollments::Column::Status.eq("active"))
        .filter(drip_enrollments::Column::CampaignId.in_subquery(goal_paid))
        .exec(db)
        .await?;
    let t = Tenant {
        seller_id,
        livemode: true,
    };
    if let Some(contact) = contacts::by_user(db, t, user).await? {
        on_trigger(db, now, t, &contact, Trigger::Purchase, None).await?;
    }
    Ok(())
}

/// Memberships ended, as (seller, user): campaigns triggered by an expiry enrol those who
/// are the seller's contacts (in live mode). One query when no seller has such a campaign.
pub async fn on_expiries(db: &Db, now: DateTime<Utc>, ended: &[(i64, i64)]) -> ServiceResult<()> {
    if ended.is_empty() {
        return Ok(());
    }
    let sellers: Vec<i64> = drip_campaigns::Entity::find()
        .select_only()
        .column(drip_campaigns::Column::SellerId)
        .distinct()
        .filter(drip_campaigns::Column::SellerId.is_in(ended.iter().map(|(s, _)| *s)))
        .filter(drip_campaigns::Column::Trigger.eq(Trigger::Expiry.as_str()))
        .filter(drip_campaigns::Column::Status.eq(Status::Active.as_str()))
        .into_tuple()
        .all(db)
        .await?;
    for (seller_id, user) in ended.iter().filter(|(s, _)| sellers.contains(s)) {
        let t = Tenant {
            seller_id: *seller_id,
            livemode: true,
        };
        if let Some(contact) = contacts::by_user(db, t, *user).await? {
            on_trigger(db, now, t, &contact, Trigger::Expiry, None).await?;
        }
    }
    Ok(())
}

/// Whether `user` has bought from the seller; from the operator ([`OPERATOR`]): a paid order
/// of credits or a pass (refunded later or not, as for sellers).
pub async fn has_paid(db: &Db, seller_id: i64, user: i64) -> ServiceResult<bool> {
    if seller_id == OPERATOR.seller_id {
        return Ok(orders::Entity::find()
            .filter(orders::Column::UserId.eq(user))
            .filter(orders::Column::PaidAt.is_not_null())
            .one(db)
            .await?
            .is_some());
    }
    Ok(access_orders::Entity::find()
        .filter(access_orders::Column::SellerId.eq(seller_id))
        .filter(access_orders::Column::UserId.eq(user))
        .filter(access_orders::Column::Status.is_in(["paid", "refunded"]))
        .one(db)
        .await?
        .is_some())
}

/// Whether `step`'s condition holds for the enrolment's contact.
pub async fn condition_holds(db: &Db, e: &Enrollment, step: &Step) -> ServiceResult<bool> {
    Ok(match condition_of(step) {
        None => true,
        Some(StepCondition::Paid) => has_paid(db, e.seller_id, e.user_id).await?,
        Some(StepCondition::NotPaid) => !has_paid(db, e.seller_id, e.user_id).await?,
        Some(StepCondition::Tag(tag)) => {
            let t = Tenant {
                seller_id: e.seller_id,
                livemode: e.livemode,
            };
            match contacts::get(db, t, e.contact_id).await? {
                Some(c) => contacts::tags_of(&c).contains(&tag),
                None => false,
            }
        }
    })
}

/// The campaign's enrolments after `after`, oldest first.
pub async fn enrollments(
    db: &Db,
    campaign_id: i64,
    after: Option<i64>,
    limit: u64,
) -> ServiceResult<crate::sellers::tenant::Page<Enrollment>> {
    let mut rows = drip_enrollments::Entity::find()
        .filter(drip_enrollments::Column::CampaignId.eq(campaign_id))
        .filter(drip_enrollments::Column::Id.gt(after.unwrap_or(0)))
        .order_by_asc(drip_enrollments::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    Ok(crate::sellers::tenant::Page { rows, more })
}

/// One step's numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepStats {
    pub position: i32,
    pub sent: u64,
    pub skipped: u64,
    pub clicks: u64,
    pub conversions: u64,
}

/// A campaign's numbers: its enrolments by status, and each step's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub enrolled: u64,
    pub active: u64,
    pub completed: u64,
    pub goal_met: u64,
    pub exited: u64,
    pub steps: Vec<StepStats>,
}

pub async fn stats(db: &Db, campaign_id: i64) -> ServiceResult<Stats> {
    let by_status: Vec<(String, i64)> = drip_enrollments::Entity::find()
        .select_only()
        .column(drip_enrollments::Column::Status)
        .column_as(drip_enrollments::Column::Id.count(), "n")
        .filter(drip_enrollments::Column::CampaignId.eq(campaign_id))
        .group_by(drip_enrollments::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let mut out = Stats::default();
    for (status, n) in by_status {
        let n = n as u64;
        out.enrolled += n;
        match status.as_str() {
            "active" => out.active += n,
            "completed" => out.completed += n,
            "goal_met" => out.goal_met += n,
            _ => out.exited += n,
        }
    }
    let rows: Vec<(i64, String, i64, i64, i64)> = drip_sends::Entity::find()
        .select_only()
        .column(drip_sends::Column::StepId)
        .column(drip_sends::Column::Outcome)
        .column_as(drip_sends::Column::Id.count(), "n")
        .column_as(drip_sends::Column::ClickedAt.count(), "clicks")
        .column_as(drip_sends::Column::ConvertedAt.count(), "conversions")
        .filter(drip_sends::Column::CampaignId.eq(campaign_id))
        .group_by(drip_sends::Column::StepId)
        .group_by(drip_sends::Column::Outcome)
        .into_tuple()
        .all(db)
        .await?;
    let mut per_step: HashMap<i64, StepStats> = HashMap::new();
    for (step, outcome, n, clicks, conversions) in rows {
        let s = per_step.entry(step).or_default();
        match outcome.as_str() {
            "sent" => s.sent += n as u64,
            "skipped" => s.skipped += n as u64,
            _ => {}
        }
        s.clicks += clicks as u64;
        s.conversions += conversions as u64;
    }
    for step in steps(db, campaign_id).await? {
        let mut s = per_step.remove(&step.id).unwrap_or_default();
        s.position = step.position;
        out.steps.push(s);
    }
    Ok(out)
}

// The runner's side.

/// How long a claim holds an enrolment before another runner may take it.
pub const LEASE: Duration = Duration::seconds(60);

/// Claims up to `limit` due enrolments of active campaigns for `me` (a fresh token per
/// round), by a conditional update: a row another runner holds is not taken.
pub async fn claim(
    db: &Db,
    me: &str,
    now: DateTime<Utc>,
    limit: u64,
) -> ServiceResult<Vec<Enrollment>> {
    let active_campaigns = Query::select()
        .column(drip_campaigns::Column::Id)
        .from(drip_campaigns::Entity)
        .and_where(drip_campaigns::Column::Status.eq(Status::Active.as_str()))
        .to_owned();
    let free = Condition::any()
        .add(drip_enrollments::Column::ClaimedUntil.is_null())
        .add(drip_enrollments::Column::ClaimedUntil.lt(now));
    let ids: Vec<i64> = drip_enrollments::Entity::find()
        .select_only()
        .column(drip_enrollments::Column::Id)
        .filter(drip_enrollments::Column::Status.eq("active"))
        .filter(drip_enrollments::Column::NextRunAt.lte(now))
        .filter(free.clone())
        .filter(drip_enrollments::Column::CampaignId.in_subquery(active_campaigns))
        .order_by_asc(drip_enrollments::Column::NextRunAt)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    drip_enrollments::Entity::update_many()
        .col_expr(drip_enrollments::Column::ClaimedBy, Expr::value(me))
        .col_expr(
            drip_enrollments::Column::ClaimedUntil,
            Expr::value(now + LEASE),
        )
        .filter(drip_enrollments::Column::Id.is_in(ids.iter().copied()))
        .filter(drip_enrollments::Column::Status.eq("active"))
        .filter(free)
        .exec(db)
        .await?;
    Ok(drip_enrollments::Entity::find()
        .filter(drip_enrollments::Column::Id.is_in(ids))
        .filter(drip_enrollments::Column::ClaimedBy.eq(me))
        .order_by_asc(drip_enrollments::Column::NextRunAt)
        .all(db)
        .await?)
}

/// The step at the enrolment's next position.
pub async fn step_at(db: &Db, campaign_id: i64, position: i32) -> ServiceResult<Option<Step>> {
    Ok(drip_steps::Entity::find()
        .filter(drip_steps::Column::CampaignId.eq(campaign_id))
        .filter(drip_steps::Column::Position.eq(position))
        .one(db)
        .await?)
}

/// Writes the send row of `step` to `e` before it goes: its id, or None when the row exists
/// already (the step went, or was begun, before: it is not sent again). One statement.
pub async fn begin_send(
    db: &Db,
    now: DateTime<Utc>,
    e: &Enrollment,
    step: &Step,
    outcome: &str,
) -> ServiceResult<Option<i64>> {
    let rows = storage::query_all(
        db,
        "INSERT INTO drip_sends (enrollment_id, step_id, campaign_id, user_id, outcome, sent_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (enrollment_id, step_id) DO NOTHING \
         RETURNING id",
        vec![
            e.id.into(),
            step.id.into(),
            e.campaign_id.into(),
            e.user_id.into(),
            outcome.into(),
            now.into(),
        ],
    )
    .await?;
    match rows.first() {
        Some(row) => Ok(Some(row.try_get_by_index::<i64>(0)?)),
        None => Ok(None),
    }
}

/// Removes a send row whose message Telegram did not take, so that the step goes later.
pub async fn forget_send(db: &Db, send_id: i64) -> ServiceResult<()> {
    drip_sends::Entity::delete_by_id(send_id).exec(db).await?;
    Ok(())
}

/// Records how a send went.
pub async fn finish_send(db: &Db, send_id: i64, outcome: &str) -> ServiceResult<()> {
    drip_sends::Entity::update_many()
        .col_expr(drip_sends::Column::Outcome, Expr::value(outcome))
        .filter(drip_sends::Column::Id.eq(send_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Moves the enrolment past `step` to `next` (the step after it), due its delay from now,
/// or completed when there is none. Only while `me` holds it.
pub async fn advance(
    db: &Db,
    me: &str,
    now: DateTime<Utc>,
    e: &Enrollment,
    step: &Step,
    next: Option<&Step>,
) -> ServiceResult<()> {
    let (status, at) = match next {
        Some(n) => ("active", Some(now + Duration::seconds(n.delay_secs))),
        None => ("completed", None),
    };
    drip_enrollments::Entity::update_many()
        .col_expr(
            drip_enrollments::Column::NextPosition,
            Expr::value(step.position + 1),
        )
        .col_expr(drip_enrollments::Column::NextRunAt, Expr::value(at))
        .col_expr(drip_enrollments::Column::Status, Expr::value(status))
        .col_expr(
            drip_enrollments::Column::ClaimedBy,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            drip_enrollments::Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(drip_enrollments::Column::UpdatedAt, Expr::value(now))
        .filter(drip_enrollments::Column::Id.eq(e.id))
        .filter(drip_enrollments::Column::ClaimedBy.eq(me))
        .filter(drip_enrollments::Column::Status.eq("active"))
        .exec(db)
        .await?;
    Ok(())
}

/// An enrolment past a step, to be recorded with the rest of its round ([`record_moves`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    pub enrollment_id: i64,
    /// The step's send row and how it went (`sent`, `failed`), when this round wrote it
    /// `sending`.
    pub send: Option<(i64, &'static str)>,
    /// The position after the step.
    pub next_position: i32,
    /// The next step's delay, or None when the step was the last.
    pub next_delay_secs: Option<i64>,
}

/// Of the claimed enrolments, the (seller, user) pairs whose user stopped the seller's
/// messages: one statement for a round.
pub async fn stopped_among(db: &Db, batch: &[Enrollment]) -> ServiceResult<HashSet<(i64, i64)>> {
    if batch.is_empty() {
        return Ok(HashSet::new());
    }
    let sellers: HashSet<i64> = batch.iter().map(|e| e.seller_id).collect();
    let users: HashSet<i64> = batch.iter().map(|e| e.user_id).collect();
    let rows: Vec<(i64, i64)> = contact_stops::Entity::find()
        .select_only()
        .column(contact_stops::Column::SellerId)
        .column(contact_stops::Column::UserId)
        .filter(contact_stops::Column::SellerId.is_in(sellers))
        .filter(contact_stops::Column::UserId.is_in(users))
        .into_tuple()
        .all(db)
        .await?;
    let wanted: HashSet<(i64, i64)> = batch.iter().map(|e| (e.seller_id, e.user_id)).collect();
    Ok(rows.into_iter().filter(|p| wanted.contains(p)).collect())
}

/// Records a round's moves in one transaction: each send row's outcome, each enrolment moved
/// to its next step (due its delay from `base`, when the round took it) or completed, only
/// while `me` holds it. A few statements for the whole round (one per outcome, one per kind of
/// move), where each step made two of its own.
pub async fn record_moves(
    db: &Db,
    me: &str,
    base: DateTime<Utc>,
    now: DateTime<Utc>,
    moves: &[Move],
) -> ServiceResult<()> {
    if moves.is_empty() {
        return Ok(());
    }
    let txn = db.begin().await?;
    let mut outcomes: HashMap<&'static str, Vec<i64>> = HashMap::new();
    let mut advances: HashMap<(i32, Option<i64>), Vec<i64>> = HashMap::new();
    for m in moves {
        if let Some((send, outcome)) = m.send {
            outcomes.entry(outcome).or_default().push(send);
        }
        advances
            .entry((m.next_position, m.next_delay_secs))
            .or_default()
            .push(m.enrollment_id);
    }
    for (outcome, ids) in outcomes {
        drip_sends::Entity::update_many()
            .col_expr(drip_sends::Column::Outcome, Expr::value(outcome))
            .filter(drip_sends::Column::Id.is_in(ids))
            .exec(&txn)
            .await?;
    }
    for ((position, delay), ids) in advances {
        let (status, at) = match delay {
            Some(d) => ("active", Some(base + Duration::seconds(d))),
            None => ("completed", None),
        };
        drip_enrollments::Entity::update_many()
            .col_expr(
                drip_enrollments::Column::NextPosition,
                Expr::value(position),
            )
            .col_expr(drip_enrollments::Column::NextRunAt, Expr::value(at))
            .col_expr(drip_enrollments::Column::Status, Expr::value(status))
            .col_expr(
                drip_enrollments::Column::ClaimedBy,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                drip_enrollments::Column::ClaimedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(drip_enrollments::Column::UpdatedAt, Expr::value(now))
            .filter(drip_enrollments::Column::Id.is_in(ids))
            .filter(drip_enrollments::Column::ClaimedBy.eq(me))
            .filter(drip_enrollments::Column::Status.eq("active"))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Ends the enrolment: `completed` (no step left), `exited` with `reason`.
pub async fn end(
    db: &Db,
    now: DateTime<Utc>,
    id: i64,
    status: &str,
    reason: Option<&str>,
) -> ServiceResult<()> {
    drip_enrollments::Entity::update_many()
        .col_expr(drip_enrollments::Column::Status, Expr::value(status))
        .col_expr(
            drip_enrollments::Column::ExitReason,
            Expr::value(reason.map(str::to_owned)),
        )
        .col_expr(
            drip_enrollments::Column::NextRunAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            drip_enrollments::Column::ClaimedBy,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            drip_enrollments::Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(drip_enrollments::Column::UpdatedAt, Expr::value(now))
        .filter(drip_enrollments::Column::Id.eq(id))
        .filter(drip_enrollments::Column::Status.eq("active"))
        .exec(db)
        .await?;
    Ok(())
}

/// Gives a claimed enrolment back, due again at `at`.
pub async fn release(db: &Db, me: &str, id: i64, at: DateTime<Utc>) -> ServiceResult<()> {
    drip_enrollments::Entity::update_many()
        .col_expr(drip_enrollments::Column::NextRunAt, Expr::value(at))
        .col_expr(
            drip_enrollments::Column::ClaimedBy,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            drip_enrollments::Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(drip_enrollments::Column::Id.eq(id))
        .filter(drip_enrollments::Column::ClaimedBy.eq(me))
        .exec(db)
        .await?;
    Ok(())
}

/// Ends every active enrolment of the seller's user: the user stopped the seller.
pub async fn on_stop(db: &Db, now: DateTime<Utc>, seller_id: i64, user: i64) -> ServiceResult<()> {
    drip_enrollments::Entity::update_many()
        .col_expr(drip_enrollments::Column::Status, Expr::value("exited"))
        .col_expr(drip_enrollments::Column::ExitReason, Expr::value("stopped"))
        .col_expr(
            drip_enrollments::Column::NextRunAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(drip_enrollments::Column::UpdatedAt, Expr::value(now))
        .filter(drip_enrollments::Column::SellerId.eq(seller_id))
        .filter(drip_enrollments::Column::UserId.eq(user))
        .filter(drip_enrollments::Column::Status.eq("active"))
        .exec(db)
        .await?;
    Ok(())
}

/// The setting that keeps the key signing drip click links (base64 of 32 random bytes).
const LINK_KEY: Setting<String> = Setting {
    key: "drip_link_key",
    default: String::new,
};

/// Bytes of a click link's signature (a truncated HMAC-SHA256).
const SIGNATURE_BYTES: usize = 12;

/// The key that signs drip click links, so a link names its send and button and nobody can
/// make a valid link for another send by counting. Made at random on first need and kept in
/// the settings, so every replica and every restart signs alike.
#[derive(Clone)]
pub struct LinkKey(Vec<u8>);

impl std::fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkKey(***)")
    }
}

impl LinkKey {
    fn mac(&self, send_id: i64, index: usize) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .expect("HMAC takes a key of any length");
        mac.update(format!("drip-click:{send_id}:{index}").as_bytes());
        mac
    }

    /// The signature of button `index` of send `send_id` (URL-safe base64).
    pub fn sign(&self, send_id: i64, index: usize) -> String {
        let tag = self.mac(send_id, index).finalize().into_bytes();
        URL_SAFE_NO_PAD.encode(&tag[..SIGNATURE_BYTES])
    }

    /// Whether `signature` is the one of button `index` of send `send_id` (in constant time).
    pub fn verify(&self, send_id: i64, index: usize, signature: &str) -> bool {
        match URL_SAFE_NO_PAD.decode(signature) {
            Ok(bytes) if bytes.len() == SIGNATURE_BYTES => self
                .mac(send_id, index)
                .verify_truncated_left(&bytes)
                .is_ok(),
            _ => false,
        }
    }
}

/// The key that signs click links: the stored one, or a new random one stored now.
pub async fn link_key(db: &Db, now: DateTime<Utc>) -> ServiceResult<LinkKey> {
    let stored = settings::get_or_init(db, now, &LINK_KEY, || {
        let mut bytes = [0u8; 32];
        SystemRandom::new()
            .fill(&mut bytes)
            .expect("the system's random source");
        STANDARD.encode(bytes)
    })
    .await?;
    let bytes = STANDARD
        .decode(stored.trim())
        .ok()
        .filter(|b| b.len() >= 16)
        .ok_or_else(|| StorageError::Corrupt(format!("setting {} is not a key", LINK_KEY.key)))?;
    Ok(LinkKey(bytes))
}

/// A click on button `index` of send `send_id` through a link signed `signature`: counted
/// once per send. The button's URL; none for a link that is not signed by [`link_key`] or
/// names no button.
pub async fn click(
    db: &Db,
    now: DateTime<Utc>,
    send_id: i64,
    index: usize,
    signature: &str,
) -> ServiceResult<Option<String>> {
    if !link_key(db, now).await?.verify(send_id, index, signature) {
        return Ok(None);
    }
    let Some(send) = drip_sends::Entity::find_by_id(send_id).one(db).await? else {
        return Ok(None);
    };
    let Some(step) = drip_steps::Entity::find_by_id(send.step_id).one(db).await? else {
        return Ok(None);
    };
    let Some(button) = buttons_of(&step).into_iter().nth(index) else {
        return Ok(None);
    };
    drip_sends::Entity::update_many()
        .col_expr(drip_sends::Column::ClickedAt, Expr::value(now))
        .filter(drip_sends::Column::Id.eq(send_id))
        .filter(drip_sends::Column::ClickedAt.is_null())
        .exec(db)
        .await?;
    Ok(Some(button.url))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_messages_last_label_url_lines_are_its_buttons() {
        let (text, buttons) = split_link_buttons(
            "Hello | there\nSee more\nGuide | https://example.com/g\n Chat | tg://resolve?domain=x ",
        );
        assert_eq!(text, "Hello | there\nSee more");
        let got: Vec<_> = buttons.iter().map(|b| (&*b.text, &*b.url)).collect();
        assert_eq!(
            got,
            vec![
                ("Guide", "https://example.com/g"),
                ("Chat", "tg://resolve?domain=x")
            ]
        );
        // A button line above a text line is text; one line is always text.
        let (text, buttons) = split_link_buttons("Guide | https://example.com/g\nBye");
        assert_eq!(
            (text.as_str(), buttons.len()),
            ("Guide | https://example.com/g\nBye", 0)
        );
        let (text, buttons) = split_link_buttons("Guide | https://example.com/g");
        assert_eq!(
            (text.as_str(), buttons.len()),
            ("Guide | https://example.com/g", 0)
        );
        let (text, buttons) = split_link_buttons("Hi\nNot a link | ftp://x");
        assert_eq!(
            (text.as_str(), buttons.len()),
            ("Hi\nNot a link | ftp://x", 0)
        );
    }

    #[test]
    fn steps_are_bounded() {
        assert!(NewStep::check(1, "hi", None, vec![], None).is_ok());
        assert_eq!(
            NewStep::check(0, "hi", None, vec![], None).unwrap_err(),
            BadDrip::Delay
        );
        assert_eq!(
            NewStep::check(DELAY_MAX_SECS + 1, "hi", None, vec![], None).unwrap_err(),
            BadDrip::Delay
        );
        assert_eq!(
            NewStep::check(5, &"x".repeat(4097), None, vec![], None).unwrap_err(),
            BadDrip::Text
        );
        assert_eq!(
            NewStep::check(5, &"x".repeat(1025), Some(("photo", "AgAD")), vec![], None)
                .unwrap_err(),
            BadDrip::Text
        );
        assert_eq!(
            NewStep::check(5, "  ", None, vec![], None).unwrap_err(),
            BadDrip::Text
        );
        let b = |url: &str| Button {
            text: "Go".into(),
            url: url.into(),
        };
        assert!(NewStep::check(5, "hi", None, vec![b("https://x.example/a")], None).is_ok());
        assert_eq!(
            NewStep::check(5, "hi", None, vec![b("javascript:alert(1)")], None).unwrap_err(),
            BadDrip::Buttons
        );
        assert_eq!(
            NewStep::check(5, "hi", None, vec![], Some("tag:bad tag")).unwrap_err(),
            BadDrip::Condition
        );
        assert_eq!(
            StepCondition::parse("tag:vip"),
            Some(StepCondition::Tag("vip".into()))
        );
    }

    #[test]
    fn campaigns_are_checked() {
        assert!(NewCampaign::check("Welcome", "manual", None, None).is_ok());
        assert_eq!(
            NewCampaign::check("", "manual", None, None).unwrap_err(),
            BadDrip::Name
        );
        assert_eq!(
            NewCampaign::check("W", "whenever", None, None).unwrap_err(),
            BadDrip::Trigger
        );
        assert_eq!(
            NewCampaign::check("W", "tag_added", None, None).unwrap_err(),
            BadDrip::TriggerTag
        );
        assert_eq!(
            NewCampaign::check("W", "manual", None, Some("rich")).unwrap_err(),
            BadDrip::Goal
        );
        assert_eq!(parse_id(&public_id(7)), Some(7));
        assert_eq!(parse_id("drip_x"), None);
    }
}
