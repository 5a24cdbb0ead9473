//! What the API takes and gives, as JSON (and as OpenAPI schemas).
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::sellers::{
    access::{AccessOrder, Membership, Revenue},
    catalog::{Plan, Service},
    tenant::{Page, Stats},
};

/// A list page: `next_cursor` goes into the next request's `cursor` while `has_more`.
macro_rules! list_of {
    ($name:ident, $item:ty) => {
        #[derive(Debug, Serialize, ToSchema)]
        pub struct $name {
            pub data: Vec<$item>,
            pub has_more: bool,
            pub next_cursor: Option<String>,
        }

        impl $name {
            pub fn of<R>(page: Page<R>, id: impl Fn(&R) -> i64, map: impl Fn(R) -> $item) -> Self {
                let next_cursor = if page.more {
                    page.rows.last().map(|r| id(r).to_string())
                } else {
                    None
                };
                Self {
                    has_more: page.more,
                    next_cursor,
                    data: page.rows.into_iter().map(map).collect(),
                }
            }
        }
    };
}

list_of!(ServiceList, ServiceOut);
list_of!(PlanList, PlanOut);
list_of!(MemberList, MemberOut);
list_of!(PaymentList, PaymentOut);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Admission {
    /// Single-use invite links, one per buyer.
    Link,
    /// Buyers ask to join; the bot approves those who paid.
    JoinRequest,
}

impl Admission {
    pub fn as_str(self) -> &'static str {
        match self {
            Admission::Link => "link",
            Admission::JoinRequest => "join_request",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Active,
    Paused,
    Archived,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Paused => "paused",
            Status::Archived => "archived",
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceOut {
    pub id: i64,
    pub title: String,
    /// The Telegram chat sold.
    pub chat_id: i64,
    /// `channel`, `supergroup` or `group`.
    pub chat_kind: String,
    /// The deep-link code: `https://t.me/<bot>?start=s_<code>`.
    pub code: String,
    pub deep_link: Option<String>,
    /// `link` or `join_request`.
    pub admission: String,
    /// `active`, `paused` or `archived`.
    pub status: String,
    /// Days a member keeps access after the end of their period.
    pub grace_days: i32,
    pub livemode: bool,
    /// The channel's Telegram Star subscription link, when the seller turned one on in the bot.
    pub star_subscription: Option<StarSubscriptionOut>,
    pub created_at: DateTime<Utc>,
}

/// A Telegram Star subscription link: Telegram charges its subscribers every period and
/// removes them when they stop.
#[derive(Debug, Serialize, ToSchema)]
pub struct StarSubscriptionOut {
    /// Stars a period.
    pub price_stars: i64,
    /// Always 30: the only period Telegram offers.
    pub period_days: i32,
    pub link: String,
}

impl ServiceOut {
    pub fn of(s: Service, bot: Option<&str>) -> Self {
        Self {
            deep_link: bot.map(|b| format!("https://t.me/{b}?start=s_{}", s.code)),
            id: s.id,
            title: s.title,
            chat_id: s.chat_id,
            chat_kind: s.chat_kind,
            code: s.code,
            admission: s.admission,
            status: s.status,
            grace_days: s.grace_days,
            livemode: s.livemode,
            star_subscription: match (s.star_sub_price, s.star_sub_link) {
                (Some(price_stars), Some(link)) => Some(StarSubscriptionOut {
                    price_stars,
                    period_days: 30,
                    link,
                }),
                _ => None,
            },
            created_at: s.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewService {
    /// A channel or group where the bot is an administrator (invite users, ban users; for a
    /// channel, post messages) and so is the key's seller.
    pub chat_id: i64,
    pub admission: Option<Admission>,
    /// 0 to 30.
    pub grace_days: Option<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServicePatch {
    /// 1 to 128 characters.
    pub title: Option<String>,
    pub status: Option<Status>,
    pub admission: Option<Admission>,
    /// 0 to 30.
    pub grace_days: Option<i32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanOut {
    pub id: i64,
    pub service_id: i64,
    pub stars_price: Option<i64>,
    /// Card price in minor units of `currency` (None: Stars only).
    pub price_minor: Option<i64>,
    /// Lowercase ISO currency of the card price.
    pub currency: Option<String>,
    pub period_days: i32,
    pub trial_days: i32,
    /// `active`, `paused` or `archived`.
    pub status: String,
    pub created_at: DateTime<Utc>,
}

impl From<Plan> for PlanOut {
    fn from(p: Plan) -> Self {
        Self {
            id: p.id,
            service_id: p.service_id,
            stars_price: p.stars_price,
            price_minor: p.price_minor,
            currency: p.currency,
            period_days: p.period_days,
            trial_days: p.trial_days,
            status: p.status,
            created_at: p.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPlan {
    /// Price in Telegram Stars, 1 to 100,000. A plan has a Stars price, a card price, or both.
    pub stars_price: Option<i64>,
    /// Card price in minor units (1 to 100,000,000), paid through Stripe Checkout on the
    /// account the seller's payout mode names; with `currency`.
    pub price_minor: Option<i64>,
    /// Three-letter ISO currency of `price_minor` (`usd`, `eur`, …).
    pub currency: Option<String>,
    /// 1 to 3,650.
    pub period_days: i32,
    /// 0 to 90; a buyer takes a service's trial once.
    pub trial_days: Option<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanPatch {
    pub status: Status,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberOut {
    pub id: i64,
    pub service_id: i64,
    pub telegram_user_id: i64,
    pub plan_id: Option<i64>,
    /// `active`, `expired` or `revoked`.
    pub status: String,
    pub ends_at: Option<DateTime<Utc>>,
    /// When the member is removed: the end plus the service's grace.
    pub remove_at: Option<DateTime<Utc>>,
    pub joined_at: Option<DateTime<Utc>>,
    pub left_at: Option<DateTime<Utc>>,
    pub whitelisted: bool,
    pub trial_used: bool,
    /// Who keeps the access: `tollgate` (plans, trials, grants) or `star_subscription` (a
    /// Telegram Star subscription: Telegram charges and removes the member, `remove_at` is
    /// null).
    pub source: String,
    pub created_at: DateTime<Utc>,
}

impl From<Membership> for MemberOut {
    fn from(m: Membership) -> Self {
        Self {
            id: m.id,
            service_id: m.service_id,
            telegram_user_id: m.user_id,
            plan_id: m.plan_id,
            status: m.status,
            ends_at: m.ends_at,
            remove_at: m.remove_at,
            joined_at: m.joined_at,
            left_at: m.left_at,
            whitelisted: m.whitelisted,
            trial_used: m.trial_used,
            source: m.source,
            created_at: m.created_at,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    Active,
    Expired,
    Revoked,
}

impl MemberStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberStatus::Active => "active",
            MemberStatus::Expired => "expired",
            MemberStatus::Revoked => "revoked",
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberParams {
    pub status: Option<MemberStatus>,
    pub cursor: Option<String>,
    pub limit: Option<u64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGrant {
    pub telegram_user_id: i64,
    /// Days of access, 1 to 3,650; or give `plan_id` for that plan's period.
    pub days: Option<i32>,
    pub plan_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GrantOut {
    pub member: MemberOut,
    /// The member's personal invite link; none when they are in the chat already, or while
    /// Telegram could not be reached (`link_pending`: the bot sends it as soon as it can).
    pub invite_link: Option<String>,
    pub link_pending: bool,
    /// Whether the user has started the bot, so that it messages them the link itself.
    pub user_started_bot: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentOut {
    pub id: i64,
    pub service_id: i64,
    pub plan_id: i64,
    pub telegram_user_id: i64,
    /// `stars` or `stripe`.
    pub method: String,
    /// Gross, in minor units of `currency` (Stars for `XTR`).
    pub amount: i64,
    pub currency: String,
    pub fee: i64,
    pub net: i64,
    pub paid_at: Option<DateTime<Utc>>,
}

impl From<AccessOrder> for PaymentOut {
    fn from(o: AccessOrder) -> Self {
        Self {
            id: o.id,
            service_id: o.service_id,
            plan_id: o.plan_id,
            telegram_user_id: o.user_id,
            method: o.method,
            amount: o.amount_minor,
            currency: o.currency,
            fee: o.fee_minor,
            net: o.net_minor,
            paid_at: o.paid_at,
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PaymentParams {
    /// Only payments made at or after this time (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    pub cursor: Option<String>,
    pub limit: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevenueOut {
    pub currency: String,
    pub gross: i64,
    pub fee: i64,
    pub net: i64,
    pub payments: i64,
}

impl From<Revenue> for RevenueOut {
    fn from(r: Revenue) -> Self {
        Self {
            currency: r.currency,
            gross: r.gross,
            fee: r.fee,
            net: r.net,
            payments: r.payments,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatsOut {
    /// Services not archived.
    pub services: u64,
    pub active_members: u64,
    pub members_all_time: u64,
    pub revenue_30_days: Vec<RevenueOut>,
    pub revenue_all_time: Vec<RevenueOut>,
    /// When these figures were counted (at most 5 seconds before the request).
    pub as_of: DateTime<Utc>,
}

impl StatsOut {
    pub fn of(s: Stats, as_of: DateTime<Utc>) -> Self {
        Self {
            as_of,
            services: s.services,
            active_members: s.active_members,
            members_all_time: s.members_all_time,
            revenue_30_days: s.revenue_30_days.into_iter().map(Into::into).collect(),
            revenue_all_time: s.revenue_all_time.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Buy,
    Sell,
    Long,
    Short,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
            Side::Long => "long",
            Side::Short => "short",
        }
    }
}

/// A trading alert, formatted by the bot the way `/alert` posts it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Signal {
    /// 1 to 20 letters, digits, `.`, `/`, `-` or `_`.
    pub symbol: String,
    pub action: Side,
    pub entry: f64,
    pub target: f64,
    pub stop_loss: f64,
    pub note: Option<String>,
}

/// Exactly one of `text` (posted as it is) and `signal`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAlert {
    /// 1 to 3,000 characters.
    pub text: Option<String>,
    pub signal: Option<Signal>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertOut {
    pub service_id: i64,
    /// The message posted into the chat.
    pub message_id: i32,
}
