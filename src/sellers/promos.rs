//! Promo and access codes: a seller's codes that take a percentage or a fixed amount off their
//! plans, for a limited number of buyers, until a date, on some plans or all, for the buyer's
//! first order or for every later one too.
//!
//! Pricing ([`quote`]) is a read; the use is taken when the order is created
//! ([`reserve`], inside the order's transaction) by a conditional
//! `UPDATE … SET used = used + 1 WHERE used < max_uses`, so however many buyers press at once,
//! no more than the limit get the discount. A use goes back ([`release`]) when the order's
//! checkout expires or fails, and is kept ([`redeem`]) when it is paid. A refund keeps the use
//! spent.
//!
//! The rules, decided here:
//! - A discount rounds down (the seller keeps the fraction). A price never goes below zero: a
//!   fixed amount above the price takes the whole price. A price in Stars stays at least 1
//!   unless the code covers all of it (100 %, or an amount at least the price): rounding never
//!   makes an order free by accident.
//! - An order the code makes free (0) is admitted at once, without Telegram or Stripe.
//! - A fixed amount in Stars (`XTR`) takes Stars off; one in a card currency takes that off
//!   the card price and the same fraction off the Stars price (a plan priced in another
//!   currency is not discounted by it).
//! - Each buyer uses a code once. With `forever`, the buyer's later orders of the code's plans
//!   keep the discount (without taking another use) while the seller has not deactivated the
//!   code, even after it expired or ran out: it was redeemed while valid.
//! - An unpaid Stars invoice holds its use for [`STARS_HOLD`]; after that the use may go to
//!   someone else and the old invoice is refused at pre-checkout. A Stripe Checkout holds it
//!   until Stripe says the session expired (a session with a code expires after
//!   [`CARD_HOLD`]).
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait, sea_query::Expr, sea_query::ExprTrait as _,
    sea_query::OnConflict,
};

use super::{
    audit,
    catalog::{self, Plan},
    tenant::{Page, Tenant},
};
use crate::{
    services::ServiceResult,
    storage::{
        Db,
        entities::{access_orders, promo_codes, promo_redemptions, seller_plans, seller_services},
    },
};

pub type PromoCode = promo_codes::Model;
pub type Redemption = promo_redemptions::Model;

/// How long an unpaid Stars invoice holds a code's use.
pub const STARS_HOLD: Duration = Duration::hours(1);
/// How long a Stripe Checkout Session with a code stays open (Stripe's shortest).
pub const CARD_HOLD: Duration = Duration::minutes(30);
/// The longest code: `s_<service>_<code>` stays within Telegram's 64 characters.
pub const CODE_MAX: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Percent,
    Amount,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Percent => "percent",
            Kind::Amount => "amount",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "percent" => Some(Kind::Percent),
            "amount" => Some(Kind::Amount),
            _ => None,
        }
    }
}

/// For how many of a buyer's orders a code applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Term {
    /// The first order only.
    Once,
    /// Every later order of the code's plans too.
    Forever,
}

impl Term {
    pub fn as_str(self) -> &'static str {
        match self {
            Term::Once => "once",
            Term::Forever => "forever",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "once" => Some(Term::Once),
            "forever" => Some(Term::Forever),
            _ => None,
        }
    }
}

/// An answer (in the bot or the API) a new code cannot take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BadPromo {
    #[error("a code is 3 to 32 letters, digits or dashes")]
    Code,
    #[error("a discount is a percentage from 1 to 100 (20%) or an amount (4.99 USD, 50 XTR)")]
    Discount,
    #[error("uses are a whole number from 1 to 1,000,000, or - for unlimited")]
    Uses,
    #[error("expiry is a whole number of days from 1 to 3,650, or - for never")]
    Expiry,
    #[error("plans are plan numbers separated by commas, or - for all")]
    Plans,
    #[error("the duration is once or forever")]
    Term,
}

impl BadPromo {
    /// The field of the API body this answer is.
    pub fn field(self) -> &'static str {
        match self {
            BadPromo::Code => "code",
            BadPromo::Discount => "value",
            BadPromo::Uses => "max_uses",
            BadPromo::Expiry => "expires_at",
            BadPromo::Plans => "plan_ids",
            BadPromo::Term => "duration",
        }
    }
}

/// A code as typed: letters, digits and dashes (no underscore: it separates the code from
/// the service in a deep link).
pub fn parse_code(s: &str) -> Result<String, BadPromo> {
    let t = s.trim();
    let ok = (3..=CODE_MAX).contains(&t.len())
        && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !ok {
        return Err(BadPromo::Code);
    }
    Ok(t.to_owned())
}

/// The form a code is looked up by.
pub fn normalise(code: &str) -> String {
    code.trim().to_ascii_lowercase()
}

/// A discount as typed: `20%`, `4.99 USD`, `50 XTR` (or `50 stars`).
pub fn parse_discount(s: &str) -> Result<(Kind, i64, Option<String>), BadPromo> {
    let t = s.trim();
    if let Some(p) = t.strip_suffix('%') {
        let p = p.trim();
        let n = p
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=100).contains(n) && p.bytes().all(|b| b.is_ascii_digit()))
            .ok_or(BadPromo::Discount)?;
        return Ok((Kind::Percent, n, None));
    }
    let mut words = t.split_whitespace();
    if let (Some(n), Some(unit), None) = (words.next(), words.next(), words.next())
        && matches!(unit.to_ascii_lowercase().as_str(), "xtr" | "stars" | "⭐")
    {
        let stars = catalog::parse_stars(n).map_err(|_| BadPromo::Discount)?;
        return Ok((Kind::Amount, stars, Some("XTR".into())));
    }
    let (minor, currency) =
        crate::billing::catalog::parse_price(t).map_err(|_| BadPromo::Discount)?;
    Ok((Kind::Amount, minor, Some(currency)))
}

/// Checks a discount given as parts (the API): kind, value, currency.
pub fn check_discount(
    kind: Kind,
    value: i64,
    currency: Option<&str>,
) -> Result<Option<String>, BadPromo> {
    match kind {
        Kind::Percent if (1..=100).contains(&value) && currency.is_none() => Ok(None),
        Kind::Amount if (1..=100_000_000).contains(&value) => {
            let c = currency.ok_or(BadPromo::Discount)?;
            if c.eq_ignore_ascii_case("xtr") {
                return if value <= 100_000 {
                    Ok(Some("XTR".into()))
                } else {
                    Err(BadPromo::Discount)
                };
            }
            let c = c.to_ascii_lowercase();
            if c.len() == 3 && c.bytes().all(|b| b.is_ascii_lowercase()) {
                Ok(Some(c))
            } else {
                Err(BadPromo::Discount)
            }
        }
        _ => Err(BadPromo::Discount),
    }
}

fn dash(s: &str) -> bool {
    matches!(s.trim(), "-" | "" | "∞")
}

pub fn parse_uses(s: &str) -> Result<Option<i64>, BadPromo> {
    if dash(s) {
        return Ok(None);
    }
    let t = s.trim();
    t.parse::<i64>()
        .ok()
        .filter(|n| (1..=1_000_000).contains(n) && t.bytes().all(|b| b.is_ascii_digit()))
        .map(Some)
        .ok_or(BadPromo::Uses)
}

/// Days until the code expires, or `-` for never.
pub fn parse_expiry_days(s: &str) -> Result<Option<i64>, BadPromo> {
    if dash(s) {
        return Ok(None);
    }
    let t = s.trim();
    t.parse::<i64>()
        .ok()
        .filter(|n| (1..=3650).contains(n) && t.bytes().all(|b| b.is_ascii_digit()))
        .map(Some)
        .ok_or(BadPromo::Expiry)
}

/// Plan numbers separated by commas or spaces, or `-` (or `all`) for all the seller's plans.
pub fn parse_plans(s: &str) -> Result<Vec<i64>, BadPromo> {
    if dash(s) || s.trim().eq_ignore_ascii_case("all") {
        return Ok(Vec::new());
    }
    let mut ids = Vec::new();
    for part in s.split([',', ' ']).filter(|p| !p.trim().is_empty()) {
        let p = part.trim().trim_start_matches('#');
        let id = p
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or(BadPromo::Plans)?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.is_empty() || ids.len() > 50 {
        return Err(BadPromo::Plans);
    }
    Ok(ids)
}

/// The plans a code is bound to (empty: all).
pub fn plan_ids(code: &PromoCode) -> Vec<i64> {
    code.plan_ids
        .split(',')
        .filter_map(|p| p.trim().parse().ok())
        .collect()
}

pub fn kind_of(code: &PromoCode) -> Kind {
    Kind::parse(&code.kind).unwrap_or(Kind::Percent)
}

pub fn term_of(code: &PromoCode) -> Term {
    Term::parse(&code.duration).unwrap_or(Term::Once)
}

/// What a code takes off, formatted (`20%`, `$5.00`, `⭐ 50`).
pub fn discount_label(code: &PromoCode) -> String {
    match (kind_of(code), &code.currency) {
        (Kind::Amount, Some(c)) => crate::billing::orders::format_price(code.value, c),
        _ => format!("{}%", code.value),
    }
}

/// A new code, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPromo {
    pub code: String,
    pub kind: Kind,
    pub value: i64,
    pub currency: Option<String>,
    pub max_uses: Option<i64>,
    pub expires_at: Option<DateTime<Utc>>,
    pub plan_ids: Vec<i64>,
    pub term: Term,
}

/// Why a code was not made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotCreated {
    /// The seller has a code with this text (in any case) in this mode.
    Taken,
    /// A plan it names is not one of the seller's in this mode.
    UnknownPlan(i64),
}

/// Whether `plan` is the tenant's (its service in the tenant's mode).
async fn tenant_plan(db: &Db, t: Tenant, plan: i64) -> ServiceResult<bool> {
    let Some(plan) = catalog::own_plan(db, t.seller_id, plan).await? else {
        return Ok(false);
    };
    Ok(catalog::service(db, plan.service_id)
        .await?
        .is_some_and(|s| s.livemode == t.livemode))
}

/// Makes a code for the tenant; `actor` is who made it (for the audit trail).
pub async fn create(
    db: &Db,
    now: DateTime<Utc>,
    t: Tenant,
    actor: i64,
    new: NewPromo,
) -> ServiceResult<Result<PromoCode, NotCreated>> {
    for &plan in &new.plan_ids {
        if !tenant_plan(db, t, plan).await? {
            return Ok(Err(NotCreated::UnknownPlan(plan)));
        }
    }
    let norm = normalise(&new.code);
    let plans = new
        .plan_ids
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let txn = db.begin().await?;
    let inserted = promo_codes::Entity::insert(promo_codes::ActiveModel {
        seller_id: Set(t.seller_id),
        livemode: Set(t.livemode),
        code: Set(new.code.clone()),
        code_norm: Set(norm.clone()),
        kind: Set(new.kind.as_str().into()),
        value: Set(new.value),
        currency: Set(new.currency.clone()),
        max_uses: Set(new.max_uses),
        used: Set(0),
        expires_at: Set(new.expires_at),
        plan_ids: Set(plans.clone()),
        duration: Set(new.term.as_str().into()),
        active: Set(true),
        created_by: Set(actor),
        created_at: Set(now),
        deactivated_at: Set(None),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            promo_codes::Column::SellerId,
            promo_codes::Column::Livemode,
            promo_codes::Column::CodeNorm,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if inserted == 0 {
        txn.rollback().await?;
        return Ok(Err(NotCreated::Taken));
    }
    let code = promo_codes::Entity::find()
        .filter(promo_codes::Column::SellerId.eq(t.seller_id))
        .filter(promo_codes::Column::Livemode.eq(t.livemode))
        .filter(promo_codes::Column::CodeNorm.eq(norm))
        .one(&txn)
        .await?
        .expect("the code was just written");
    audit::record(
        &txn,
        now,
        t.seller_id,
        actor,
        "promo_created",
        None,
        format!(
            "{} (#{}): {} off, {} uses, {}, plans {}, until {}",
            code.code,
            code.id,
            discount_label(&code),
            code.max_uses.map_or("unlimited".into(), |n| n.to_string()),
            code.duration,
            if plans.is_empty() { "all" } else { &plans },
            super::access::fmt_time(code.expires_at),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(Ok(code))
}

/// The tenant's codes, newest first, after the cursor (an id).
pub async fn list(
    db: &Db,
    t: Tenant,
    before: Option<i64>,
    limit: u64,
) -> ServiceResult<Page<PromoCode>> {
    let mut q = promo_codes::Entity::find()
        .filter(promo_codes::Column::SellerId.eq(t.seller_id))
        .filter(promo_codes::Column::Livemode.eq(t.livemode));
    if let Some(before) = before {
        q = q.filter(promo_codes::Column::Id.lt(before));
    }
    let mut rows = q
        .order_by_desc(promo_codes::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    Ok(Page { rows, more })
}

/// One of the tenant's codes (anyone else's id: None).
pub async fn own(db: &Db, t: Tenant, id: i64) -> ServiceResult<Option<PromoCode>> {
    Ok(promo_codes::Entity::find_by_id(id)
        .filter(promo_codes::Column::SellerId.eq(t.seller_id))
        .filter(promo_codes::Column::Livemode.eq(t.livemode))
        .one(db)
        .await?)
}

pub async fn by_id(db: &impl ConnectionTrait, id: i64) -> ServiceResult<Option<PromoCode>> {
    Ok(promo_codes::Entity::find_by_id(id).one(db).await?)
}

/// Deactivates one of the tenant's codes: nobody can use it from now on (orders already
/// created with it keep their price). None: not theirs. Deactivating twice changes nothing.
pub async fn deactivate(
    db: &Db,
    now: DateTime<Utc>,
    t: Tenant,
    id: i64,
    actor: i64,
) -> ServiceResult<Option<PromoCode>> {
    let Some(code) = own(db, t, id).await? else {
        return Ok(None);
    };
    if code.active {
        let txn = db.begin().await?;
        let n = promo_codes::Entity::update_many()
            .col_expr(promo_codes::Column::Active, Expr::value(false))
            .col_expr(promo_codes::Column::DeactivatedAt, Expr::value(now))
            .filter(promo_codes::Column::Id.eq(id))
            .filter(promo_codes::Column::Active.eq(true))
            .exec(&txn)
            .await?
            .rows_affected;
        if n == 1 {
            audit::record(
                &txn,
                now,
                t.seller_id,
                actor,
                "promo_deactivated",
                None,
                format!("{} (#{id}), {} used", code.code, code.used),
            )
            .await?;
        }
        txn.commit().await?;
    }
    own(db, t, id).await
}

/// A price before and after a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Price {
    pub list: i64,
    pub amount: i64,
    pub currency: String,
}

impl Price {
    pub fn discount(&self) -> i64 {
        self.list - self.amount
    }
}

/// What a code does to a plan for a buyer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    pub code: PromoCode,
    /// The Stars price after the code (None: the plan has none).
    pub stars: Option<Price>,
    /// The card price after the code (None: the plan has none).
    pub card: Option<Price>,
    /// A `forever` code the buyer redeemed before: no use is taken.
    pub repeat: bool,
}

impl Quote {
    pub fn price(&self, stars: bool) -> Option<&Price> {
        if stars {
            self.stars.as_ref()
        } else {
            self.card.as_ref()
        }
    }
}

/// Why a code does not apply; nothing changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalid {
    /// No such code of this seller.
    Unknown,
    /// The seller deactivated it.
    Inactive,
    Expired,
    /// Every use is taken.
    UsedUp,
    /// It is bound to other plans.
    WrongPlan,
    /// An amount in a currency this plan is not priced in.
    WrongCurrency,
    /// The buyer used it already.
    AlreadyUsed,
    /// The buyer has a card payment with it open: finish it or wait until it expires.
    Pending,
}

/// What the code takes off a list price: rounded down, never more than the price.
fn off(code: &PromoCode, list: i64, currency: &str, card: Option<(i64, &str)>) -> Option<i64> {
    let list = Ord::max(list, 0);
    match kind_of(code) {
        Kind::Percent => Some(list.saturating_mul(code.value.clamp(0, 100)) / 100),
        Kind::Amount => {
            let cc = code.currency.as_deref()?;
            if cc.eq_ignore_ascii_case(currency) {
                return Some(code.value.clamp(0, list));
            }
            // An amount in the card's currency off a Stars price: the same fraction.
            let (card_minor, card_currency) = card?;
            if currency.eq_ignore_ascii_case("XTR")
                && cc.eq_ignore_ascii_case(card_currency)
                && card_minor > 0
            {
                let v = code.value.clamp(0, card_minor);
                return Some((i128::from(list) * i128::from(v) / i128::from(card_minor)) as i64);
            }
            None
        }
    }
}

/// The plan's prices after `code` (None for a method it has no price for, or one the code
/// cannot discount).
pub fn prices(code: &PromoCode, plan: &Plan) -> (Option<Price>, Option<Price>) {
    let card_list = match (plan.price_minor, &plan.currency) {
        (Some(m), Some(c)) if m > 0 => Some((m, c.as_str())),
        _ => None,
    };
    let stars = plan.stars_price.and_then(|s| {
        off(code, s, "XTR", card_list).map(|o| Price {
            list: s,
            amount: s - o,
            currency: "XTR".into(),
        })
    });
    let card = card_list.and_then(|(m, c)| {
        off(code, m, c, None).map(|o| Price {
            list: m,
            amount: m - o,
            currency: c.to_owned(),
        })
    });
    (stars, card)
}

async fn held(db: &Db, code: i64, buyer: i64) -> ServiceResult<Option<Redemption>> {
    Ok(promo_redemptions::Entity::find()
        .filter(promo_redemptions::Column::PromoCodeId.eq(code))
        .filter(promo_redemptions::Column::UserId.eq(buyer))
        .filter(promo_redemptions::Column::TakesUse.eq(true))
        .filter(promo_redemptions::Column::Status.ne("released"))
        .one(db)
        .await?)
}

/// The seller's code with this text in this mode.
pub async fn find(
    db: &Db,
    seller_id: i64,
    livemode: bool,
    text: &str,
) -> ServiceResult<Option<PromoCode>> {
    if parse_code(text).is_err() {
        return Ok(None);
    }
    Ok(promo_codes::Entity::find()
        .filter(promo_codes::Column::SellerId.eq(seller_id))
        .filter(promo_codes::Column::Livemode.eq(livemode))
        .filter(promo_codes::Column::CodeNorm.eq(normalise(text)))
        .one(db)
        .await?)
}

/// What `text` does to `plan` for `buyer` at `now`: the discounted prices, or why it does not
/// apply. A read: nothing is taken until the order is created.
pub async fn quote(
    db: &Db,
    plan: &Plan,
    text: &str,
    buyer: i64,
    now: DateTime<Utc>,
) -> ServiceResult<Result<Quote, Invalid>> {
    let livemode = catalog::service(db, plan.service_id)
        .await?
        .is_none_or(|s| s.livemode);
    let Some(code) = find(db, plan.seller_id, livemode, text).await? else {
        return Ok(Err(Invalid::Unknown));
    };
    quote_code(db, plan, code, buyer, now).await
}

/// [`quote`] for a code already found.
pub async fn quote_code(
    db: &Db,
    plan: &Plan,
    code: PromoCode,
    buyer: i64,
    now: DateTime<Utc>,
) -> ServiceResult<Result<Quote, Invalid>> {
    if code.seller_id != plan.seller_id {
        return Ok(Err(Invalid::Unknown));
    }
    if !code.active {
        return Ok(Err(Invalid::Inactive));
    }
    let bound = plan_ids(&code);
    if !bound.is_empty() && !bound.contains(&plan.id) {
        return Ok(Err(Invalid::WrongPlan));
    }
    let mut repeat = false;
    if let Some(h) = held(db, code.id, buyer).await? {
        match (h.status.as_str(), term_of(&code)) {
            ("redeemed", Term::Forever) => repeat = true,
            ("redeemed", Term::Once) => return Ok(Err(Invalid::AlreadyUsed)),
            // A pending order of theirs holds the use; creating a new order decides.
            _ => {}
        }
    }
    if !repeat {
        if code.expires_at.is_some_and(|e| e <= now) {
            return Ok(Err(Invalid::Expired));
        }
        if code.max_uses.is_some_and(|m| code.used >= m)
            && release_stale(db, now, &code).await? == 0
        {
            // A held use of this buyer's own is not "used up" for them.
            if held(db, code.id, buyer).await?.is_none() {
                return Ok(Err(Invalid::UsedUp));
            }
        }
    }
    let (stars, card) = prices(&code, plan);
    if stars.is_none() && card.is_none() {
        return Ok(Err(Invalid::WrongCurrency));
    }
    Ok(Ok(Quote {
        code,
        stars,
        card,
        repeat,
    }))
}

/// Gives back the uses of this code held by Stars invoices unpaid for [`STARS_HOLD`]: their
/// orders fail (pre-checkout refuses them from now on). Returns how many went back.
pub async fn release_stale(db: &Db, now: DateTime<Utc>, code: &PromoCode) -> ServiceResult<u64> {
    let reserved: Vec<i64> = promo_redemptions::Entity::find()
        .select_only()
        .column(promo_redemptions::Column::OrderId)
        .filter(promo_redemptions::Column::PromoCodeId.eq(code.id))
        .filter(promo_redemptions::Column::Status.eq("reserved"))
        .into_tuple()
        .all(db)
        .await?;
    if reserved.is_empty() {
        return Ok(0);
    }
    let stale: Vec<i64> = access_orders::Entity::find()
        .select_only()
        .column(access_orders::Column::Id)
        .filter(access_orders::Column::Id.is_in(reserved))
        .filter(access_orders::Column::Method.eq("stars"))
        .filter(access_orders::Column::Status.eq("pending"))
        .filter(access_orders::Column::CreatedAt.lt(now - STARS_HOLD))
        .into_tuple()
        .all(db)
        .await?;
    let mut released = 0;
    for order in stale {
        let txn = db.begin().await?;
        let failed = access_orders::Entity::update_many()
            .col_expr(access_orders::Column::Status, Expr::value("failed"))
            .filter(access_orders::Column::Id.eq(order))
            .filter(access_orders::Column::Status.eq("pending"))
            .exec(&txn)
            .await?
            .rows_affected;
        if failed == 1 && release(&txn, now, order).await? {
            released += 1;
        }
        txn.commit().await?;
    }
    Ok(released)
}

/// Takes a use of `quote`'s code for `order` (inside the order's transaction): false when
/// none is left (or the code expired or was deactivated meanwhile, or the buyer holds one
/// already), and the caller rolls back.
pub(super) async fn reserve(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    quote: &Quote,
    price: &Price,
    order: i64,
    buyer: i64,
) -> ServiceResult<Result<(), Invalid>> {
    let code = &quote.code;
    if !quote.repeat {
        let taken = promo_codes::Entity::update_many()
            .col_expr(
                promo_codes::Column::Used,
                Expr::col(promo_codes::Column::Used).add(1),
            )
            .filter(promo_codes::Column::Id.eq(code.id))
            .filter(promo_codes::Column::Active.eq(true))
            .filter(
                sea_orm::Condition::any()
                    .add(promo_codes::Column::MaxUses.is_null())
                    .add(
                        Expr::col(promo_codes::Column::Used)
                            .lt(Expr::col(promo_codes::Column::MaxUses)),
                    ),
            )
            .filter(
                sea_orm::Condition::any()
                    .add(promo_codes::Column::ExpiresAt.is_null())
                    .add(promo_codes::Column::ExpiresAt.gt(now)),
            )
            .exec(txn)
            .await?
            .rows_affected;
        if taken != 1 {
            let now_code = by_id(txn, code.id).await?;
            return Ok(Err(match now_code {
                Some(c) if !c.active => Invalid::Inactive,
                Some(c) if c.expires_at.is_some_and(|e| e <= now) => Invalid::Expired,
                _ => Invalid::UsedUp,
            }));
        }
    } else if !by_id(txn, code.id).await?.is_some_and(|c| c.active) {
        return Ok(Err(Invalid::Inactive));
    }
    let inserted = promo_redemptions::Entity::insert(promo_redemptions::ActiveModel {
        promo_code_id: Set(code.id),
        seller_id: Set(code.seller_id),
        order_id: Set(order),
        user_id: Set(buyer),
        amount_off: Set(price.discount()),
        currency: Set(price.currency.clone()),
        status: Set("reserved".into()),
        takes_use: Set(!quote.repeat),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec_without_returning(txn)
    .await;
    match inserted {
        Ok(_) => Ok(Ok(())),
        // The buyer holds a use of this code already (the partial unique index).
        Err(e) if super::access::is_unique_violation(&e) => Ok(Err(Invalid::AlreadyUsed)),
        Err(e) => Err(e.into()),
    }
}

/// The buyer's pending order holding a use of this code, if any: (order id, by Stars).
pub(super) async fn pending_hold(
    db: &Db,
    code: i64,
    buyer: i64,
) -> ServiceResult<Option<(i64, bool)>> {
    let Some(h) = held(db, code, buyer)
        .await?
        .filter(|h| h.status == "reserved")
    else {
        return Ok(None);
    };
    let order = access_orders::Entity::find_by_id(h.order_id)
        .one(db)
        .await?;
    Ok(order
        .filter(|o| o.status == "pending")
        .map(|o| (o.id, o.method == "stars")))
}

/// The order is paid: its use is spent for good.
pub(super) async fn redeem(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    order: i64,
) -> ServiceResult<()> {
    promo_redemptions::Entity::update_many()
        .col_expr(promo_redemptions::Column::Status, Expr::value("redeemed"))
        .col_expr(promo_redemptions::Column::UpdatedAt, Expr::value(now))
        .filter(promo_redemptions::Column::OrderId.eq(order))
        .filter(promo_redemptions::Column::Status.eq("reserved"))
        .exec(txn)
        .await?;
    Ok(())
}

/// The order's checkout expired or failed: its use goes back, once. True when one did.
pub(super) async fn release(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    order: i64,
) -> ServiceResult<bool> {
    let Some(r) = promo_redemptions::Entity::find()
        .filter(promo_redemptions::Column::OrderId.eq(order))
        .filter(promo_redemptions::Column::Status.eq("reserved"))
        .one(txn)
        .await?
    else {
        return Ok(false);
    };
    let n = promo_redemptions::Entity::update_many()
        .col_expr(promo_redemptions::Column::Status, Expr::value("released"))
        .col_expr(promo_redemptions::Column::UpdatedAt, Expr::value(now))
        .filter(promo_redemptions::Column::Id.eq(r.id))
        .filter(promo_redemptions::Column::Status.eq("reserved"))
        .exec(txn)
        .await?
        .rows_affected;
    if n != 1 || !r.takes_use {
        return Ok(false);
    }
    promo_codes::Entity::update_many()
        .col_expr(
            promo_codes::Column::Used,
            Expr::col(promo_codes::Column::Used).sub(1),
        )
        .filter(promo_codes::Column::Id.eq(r.promo_code_id))
        .filter(promo_codes::Column::Used.gt(0))
        .exec(txn)
        .await?;
    Ok(true)
}

/// The redemption of an order, if a code priced it.
pub async fn redemption_of(db: &Db, order: i64) -> ServiceResult<Option<Redemption>> {
    Ok(promo_redemptions::Entity::find()
        .filter(promo_redemptions::Column::OrderId.eq(order))
        .one(db)
        .await?)
}

/// The seller's plans in live mode that a code can be bound to, with their services' titles
/// (for the bot's dialogue).
pub async fn live_plans(db: &Db, seller_id: i64) -> ServiceResult<Vec<(Plan, String)>> {
    let services = seller_services::Entity::find()
        .filter(seller_services::Column::SellerId.eq(seller_id))
        .filter(seller_services::Column::Livemode.eq(true))
        .filter(seller_services::Column::Status.ne("archived"))
        .order_by_asc(seller_services::Column::Id)
        .all(db)
        .await?;
    let mut out = Vec::new();
    for s in services {
        let plans = seller_plans::Entity::find()
            .filter(seller_plans::Column::ServiceId.eq(s.id))
            .filter(seller_plans::Column::Status.ne("archived"))
            .order_by_asc(seller_plans::Column::Id)
            .all(db)
            .await?;
        out.extend(plans.into_iter().map(|p| (p, s.title.clone())));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(kind: Kind, value: i64, currency: Option<&str>) -> PromoCode {
        PromoCode {
            id: 1,
            seller_id: 1,
            livemode: true,
            code: "X".into(),
            code_norm: "x".into(),
            kind: kind.as_str().into(),
            value,
            currency: currency.map(str::to_owned),
            max_uses: None,
            used: 0,
            expires_at: None,
            plan_ids: String::new(),
            duration: "once".into(),
            active: true,
            created_by: 1,
            created_at: Utc::now(),
            deactivated_at: None,
        }
    }

    fn plan(stars: Option<i64>, card: Option<(i64, &str)>) -> Plan {
        Plan {
            id: 1,
            service_id: 1,
            seller_id: 1,
            price_minor: card.map(|c| c.0),
            currency: card.map(|c| c.1.to_owned()),
            stars_price: stars,
            period_days: 30,
            trial_days: 0,
            status: "active".into(),
            renewing: false,
            created_at: Utc::now(),
        }
    }

    fn amounts(c: &PromoCode, p: &Plan) -> (Option<i64>, Option<i64>) {
        let (s, k) = prices(c, p);
        (s.map(|s| s.amount), k.map(|k| k.amount))
    }

    #[test]
    fn discounts_round_down_and_never_go_below_zero() {
        let p = plan(Some(50), Some((999, "usd")));
        assert_eq!(
            amounts(&code(Kind::Percent, 20, None), &p),
            (Some(40), Some(800))
        );
        // 99 % of 50 Stars is 49.5: 49 off, the buyer still pays 1; of $9.99, 989.01 cents:
        // 989 off, 10 left.
        assert_eq!(
            amounts(&code(Kind::Percent, 99, None), &p),
            (Some(1), Some(10))
        );
        assert_eq!(
            amounts(&code(Kind::Percent, 100, None), &p),
            (Some(0), Some(0))
        );
        // $5 off $9.99, and the same fraction (500/999) of 50 Stars: 25.02 → 25 off.
        assert_eq!(
            amounts(&code(Kind::Amount, 500, Some("usd")), &p),
            (Some(25), Some(499))
        );
        // More than the price takes the price, no more.
        assert_eq!(
            amounts(&code(Kind::Amount, 5000, Some("usd")), &p),
            (Some(0), Some(0))
        );
        assert_eq!(
            amounts(&code(Kind::Amount, 10, Some("XTR")), &p),
            (Some(40), None)
        );
        assert_eq!(
            amounts(&code(Kind::Amount, 80, Some("XTR")), &p),
            (Some(0), None)
        );
        // Another currency discounts nothing.
        assert_eq!(
            amounts(&code(Kind::Amount, 100, Some("eur")), &p),
            (None, None)
        );
        assert_eq!(
            amounts(&code(Kind::Percent, 10, None), &plan(Some(1), None)),
            (Some(1), None)
        );
    }

    #[test]
    fn answers_are_checked() {
        assert_eq!(parse_code(" Spring-26 "), Ok("Spring-26".into()));
        for bad in ["ab", "has space", "under_score", "ünï", &"x".repeat(33)] {
            assert_eq!(parse_code(bad), Err(BadPromo::Code), "{bad}");
        }
        assert_eq!(parse_discount("20%"), Ok((Kind::Percent, 20, None)));
        assert_eq!(parse_discount("100 %"), Ok((Kind::Percent, 100, None)));
        assert_eq!(
            parse_discount("4.99 EUR"),
            Ok((Kind::Amount, 499, Some("eur".into())))
        );
        assert_eq!(
            parse_discount("50 stars"),
            Ok((Kind::Amount, 50, Some("XTR".into())))
        );
        for bad in ["0%", "101%", "-5%", "5", "abc", "1.5%"] {
            assert_eq!(parse_discount(bad), Err(BadPromo::Discount), "{bad}");
        }
        assert_eq!(parse_uses("-"), Ok(None));
        assert_eq!(parse_uses("100"), Ok(Some(100)));
        assert_eq!(parse_uses("0"), Err(BadPromo::Uses));
        assert_eq!(parse_expiry_days("30"), Ok(Some(30)));
        assert_eq!(parse_expiry_days("0"), Err(BadPromo::Expiry));
        assert_eq!(parse_plans("-"), Ok(vec![]));
        assert_eq!(parse_plans("#3, 4 4"), Ok(vec![3, 4]));
        assert_eq!(parse_plans("x"), Err(BadPromo::Plans));
        assert_eq!(Term::parse(" Forever "), Some(Term::Forever));
        assert_eq!(
            check_discount(Kind::Amount, 500, Some("USD")),
            Ok(Some("usd".into()))
        );
        assert_eq!(
            check_discount(Kind::Percent, 10, Some("usd")),
            Err(BadPromo::Discount)
        );
    }
}
