//! Where a seller stands in `/sell` or another multi-step seller dialogue: one row per user,
//! holding the step and what the earlier steps collected. A step waits at most
//! [`EXPIRES`]; an answer after that finds nothing and changes nothing.
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, sea_query::OnConflict};
use serde::{Deserialize, Serialize};

use crate::{
    services::ServiceResult,
    storage::{Db, StorageError, entities::seller_drafts},
};

/// Who has a step under way that waits for a message, in this process: the router reads it
/// for every private message (a lock and a hash lookup, no query), so a seller's answer is
/// never taken for a message to relay. Loaded from the table at start-up.
#[derive(Clone, Default)]
pub struct Drafting(std::sync::Arc<std::sync::RwLock<std::collections::HashSet<i64>>>);

impl Drafting {
    pub async fn load(db: &Db) -> ServiceResult<Self> {
        let set = drafting(db).await?.into_iter().collect();
        Ok(Self(std::sync::Arc::new(std::sync::RwLock::new(set))))
    }

    pub fn contains(&self, user: i64) -> bool {
        self.0.read().map(|s| s.contains(&user)).unwrap_or(false)
    }

    pub fn insert(&self, user: i64) {
        if let Ok(mut s) = self.0.write() {
            s.insert(user);
        }
    }

    pub fn remove(&self, user: i64) {
        if let Ok(mut s) = self.0.write() {
            s.remove(&user);
        }
    }
}

/// How long a step waits for its answer.
pub const EXPIRES: chrono::Duration = chrono::Duration::hours(1);

/// A step of a seller dialogue and what the steps before it collected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    /// `/sell`: the terms are shown; waiting for "accept".
    Terms,
    /// Waiting for the display name.
    Name,
    /// Waiting for the contact email.
    Email { name: String },
    /// Waiting for a shared chat (the `request_chat` keyboard).
    Chat,
    /// A new plan of `service`: waiting for its Stars price.
    PlanStars { service: i64 },
    /// ... its period in days.
    PlanPeriod { service: i64, stars: i64 },
    /// ... its trial days (0 for none).
    PlanTrial {
        service: i64,
        stars: i64,
        period: i32,
    },
    /// An alert into `service`'s chat: waiting for its text.
    Alert { service: i64 },
    /// A new API key (live or test): waiting for its name and optional days.
    ApiKey { live: bool },
    /// `/payouts`, own Stripe account: waiting for the secret key.
    StripeKey,
    /// ... then for the endpoint's signing secret (the key checked and already sealed).
    StripeWebhookSecret { key_sealed: String, hint: String },
    /// `/payouts`, Stripe Connect: waiting for the connected account id.
    ConnectAccount,
    /// A plan's card price (or `-` to remove it).
    PlanCardPrice { plan: i64 },
    /// A new extra invite link to `service`'s chat: waiting for its name.
    LinkName { service: i64 },
    /// The Star subscription link of `service` (a channel): waiting for its Stars a month, or
    /// `-` to turn it off.
    StarSubPrice { service: i64 },
    /// A new promo code: waiting for the first answer the draft does not hold yet.
    PromoNew(PromoDraft),
    /// A buyer on `service`'s card: waiting for a promo code.
    PromoEnter { service: i64 },
    /// `/branding`: waiting for the brand name.
    BrandName,
    /// ... for the logo (a photo or an image file).
    BrandLogo,
    /// ... for an accent colour, `#RRGGBB`.
    BrandColor,
}

/// What the new-promo-code dialogue collected so far (each field is asked in this order; the
/// duration, last, makes the code).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromoDraft {
    pub code: Option<String>,
    /// `percent` or `amount`, with `value` and `currency`.
    pub kind: Option<String>,
    pub value: i64,
    pub currency: Option<String>,
    /// Max uses; `Some(None)`: unlimited.
    pub uses: Option<Option<i64>>,
    /// Days until it expires; `Some(None)`: never.
    pub expiry_days: Option<Option<i64>>,
    /// Plan ids; empty: all.
    pub plans: Option<Vec<i64>>,
}

impl Step {
    fn name(&self) -> &'static str {
        match self {
            Step::Terms => "terms",
            Step::Name => "name",
            Step::Email { .. } => "email",
            Step::Chat => "chat",
            Step::PlanStars { .. } => "plan_stars",
            Step::PlanPeriod { .. } => "plan_period",
            Step::PlanTrial { .. } => "plan_trial",
            Step::Alert { .. } => "alert",
            Step::ApiKey { .. } => "api_key",
            Step::StripeKey => "stripe_key",
            Step::StripeWebhookSecret { .. } => "stripe_webhook_secret",
            Step::ConnectAccount => "connect_account",
            Step::PlanCardPrice { .. } => "plan_card_price",
            Step::LinkName { .. } => "link_name",
            Step::StarSubPrice { .. } => "star_sub_price",
            Step::PromoNew(_) => "promo_new",
            Step::PromoEnter { .. } => "promo_enter",
            Step::BrandName => "brand_name",
            Step::BrandLogo => "brand_logo",
            Step::BrandColor => "brand_color",
        }
    }
}

/// What a user's answer found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Current {
    Waiting(Step),
    Expired,
    None,
}

pub async fn set(db: &Db, now: DateTime<Utc>, user: i64, step: &Step) -> ServiceResult<()> {
    let data = serde_json::to_string(step)
        .map_err(|e| StorageError::Corrupt(format!("seller draft: {e}")))?;
    seller_drafts::Entity::insert(seller_drafts::ActiveModel {
        user_id: Set(user),
        step: Set(step.name().to_owned()),
        data: Set(data),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(seller_drafts::Column::UserId)
            .update_columns([
                seller_drafts::Column::Step,
                seller_drafts::Column::Data,
                seller_drafts::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

pub async fn current(db: &Db, now: DateTime<Utc>, user: i64) -> ServiceResult<Current> {
    let Some(row) = seller_drafts::Entity::find_by_id(user).one(db).await? else {
        return Ok(Current::None);
    };
    if now - row.updated_at > EXPIRES {
        clear(db, user).await?;
        return Ok(Current::Expired);
    }
    let step = serde_json::from_str(&row.data)
        .map_err(|e| StorageError::Corrupt(format!("seller draft of {user}: {e}")))?;
    Ok(Current::Waiting(step))
}

pub async fn clear(db: &Db, user: i64) -> ServiceResult<()> {
    seller_drafts::Entity::delete_many()
        .filter(seller_drafts::Column::UserId.eq(user))
        .exec(db)
        .await?;
    Ok(())
}

/// Everyone with a step under way (read at start-up to route their answers).
pub async fn drafting(db: &Db) -> ServiceResult<Vec<i64>> {
    Ok(seller_drafts::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.user_id)
        .collect())
}
