//! Sellers, their services (one channel or group each) and the plans they sell. Every lookup a
//! seller makes goes through their own seller id, so one seller never reads or changes
//! another's rows.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
    sea_query::Expr, sea_query::OnConflict,
};

use crate::{
    services::ServiceResult,
    storage::{
        Db,
        entities::{seller_plans, seller_services, sellers},
    },
};

pub type Seller = sellers::Model;
pub type Service = seller_services::Model;
pub type Plan = seller_plans::Model;

/// An answer a seller dialogue step cannot take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BadInput {
    #[error("a display name is 2 to 64 characters")]
    Name,
    #[error("an email address looks like name@example.com")]
    Email,
    #[error("a price in Stars is a whole number from 1 to 100,000")]
    Stars,
    #[error("a period is a whole number of days from 1 to 3,650")]
    Period,
    #[error("trial days are a whole number from 0 to 90")]
    Trial,
    #[error("an alert is 1 to 3,000 characters")]
    Alert,
    #[error("a key's name is 1 to 64 characters")]
    KeyName,
    #[error("an invite link's name is 1 to 32 characters")]
    LinkName,
    #[error("a Star subscription costs a whole number of Stars from 1 to 10,000 a month")]
    SubscriptionPrice,
}

pub fn parse_name(s: &str) -> Result<String, BadInput> {
    let t = s.trim();
    let n = t.chars().count();
    if !(2..=64).contains(&n) || t.chars().any(char::is_control) {
        return Err(BadInput::Name);
    }
    Ok(t.to_owned())
}

/// A plausible address: one `@`, something before it, a dot in the domain, no spaces.
pub fn parse_email(s: &str) -> Result<String, BadInput> {
    let t = s.trim();
    let Some((local, domain)) = t.split_once('@') else {
        return Err(BadInput::Email);
    };
    let ok = !local.is_empty()
        && t.len() <= 254
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !t.chars().any(|c| c.is_whitespace() || c.is_control());
    if !ok {
        return Err(BadInput::Email);
    }
    Ok(t.to_ascii_lowercase())
}

fn whole(s: &str, range: std::ops::RangeInclusive<i64>) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() || s.len() > 7 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok().filter(|n| range.contains(n))
}

pub fn parse_stars(s: &str) -> Result<i64, BadInput> {
    whole(s, 1..=100_000).ok_or(BadInput::Stars)
}

/// The only period Telegram takes for a Star subscription: 30 days, in seconds.
pub const STAR_SUBSCRIPTION_PERIOD: i64 = 2_592_000;
/// The most Stars Telegram lets a Star subscription cost a period.
pub const STAR_SUBSCRIPTION_MAX: i64 = 10_000;

/// The Stars a month of a channel's Star subscription link.
pub fn parse_subscription_price(s: &str) -> Result<i64, BadInput> {
    whole(s, 1..=STAR_SUBSCRIPTION_MAX).ok_or(BadInput::SubscriptionPrice)
}

pub fn parse_period(s: &str) -> Result<i32, BadInput> {
    whole(s, 1..=3650).map(|n| n as i32).ok_or(BadInput::Period)
}

pub fn parse_trial(s: &str) -> Result<i32, BadInput> {
    whole(s, 0..=90).map(|n| n as i32).ok_or(BadInput::Trial)
}

pub fn parse_alert(s: &str) -> Result<String, BadInput> {
    let t = s.trim();
    if t.is_empty() || t.chars().count() > 3000 {
        return Err(BadInput::Alert);
    }
    Ok(t.to_owned())
}

pub async fn seller_of_user(db: &Db, user_id: i64) -> ServiceResult<Option<Seller>> {
    Ok(sellers::Entity::find()
        .filter(sellers::Column::UserId.eq(user_id))
        .one(db)
        .await?)
}

pub async fn seller(db: &Db, id: i64) -> ServiceResult<Option<Seller>> {
    Ok(sellers::Entity::find_by_id(id).one(db).await?)
}

/// Registers `user_id` as a seller (or updates the name and email of one who already is).
pub async fn register(
    db: &Db,
    now: DateTime<Utc>,
    user_id: i64,
    name: &str,
    email: &str,
) -> ServiceResult<Seller> {
    sellers::Entity::insert(sellers::ActiveModel {
        user_id: Set(user_id),
        display_name: Set(name.to_owned()),
        email: Set(email.to_owned()),
        status: Set("active".into()),
        terms_accepted_at: Set(now),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(sellers::Column::UserId)
            .update_columns([
                sellers::Column::DisplayName,
                sellers::Column::Email,
                sellers::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    let seller = seller_of_user(db, user_id)
        .await?
        .expect("the seller was just written");
    super::team::add_owner(db, now, &seller).await?;
    Ok(seller)
}

/// Suspends or reinstates a seller; false when there is no such seller.
pub async fn set_seller_status(
    db: &Db,
    now: DateTime<Utc>,
    seller_id: i64,
    suspended: bool,
) -> ServiceResult<bool> {
    let status = if suspended { "suspended" } else { "active" };
    Ok(sellers::Entity::update_many()
        .col_expr(sellers::Column::Status, Expr::value(status))
        .col_expr(sellers::Column::UpdatedAt, Expr::value(now))
        .filter(sellers::Column::Id.eq(seller_id))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

pub async fn all_sellers(db: &Db) -> ServiceResult<Vec<Seller>> {
    Ok(sellers::Entity::find()
        .order_by_asc(sellers::Column::Id)
        .all(db)
        .await?)
}

/// The kind of a connected chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatKind {
    Channel,
    Supergroup,
    Group,
}

impl ChatKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChatKind::Channel => "channel",
            ChatKind::Supergroup => "supergroup",
            ChatKind::Group => "group",
        }
    }
}

/// What connecting a chat came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Connected {
    New(Service),
    /// The seller had connected this chat already.
    Again(Service),
    /// Another seller's service uses this chat (or the same seller's in the other mode).
    Taken,
    /// The seller's platform plan allows no more services.
    Limit(Box<super::platform::LimitReached>),
}

/// A fresh deep-link code: 8 characters of `[a-z0-9]`.
fn code() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..8].to_owned()
}

pub async fn connect_chat(
    db: &Db,
    now: DateTime<Utc>,
    seller: &Seller,
    chat_id: i64,
    kind: ChatKind,
    title: &str,
    livemode: bool,
) -> ServiceResult<Connected> {
    let ours = |s: &Service| s.seller_id == seller.id && s.livemode == livemode;
    if let Some(existing) = service_by_chat(db, chat_id).await? {
        return Ok(if ours(&existing) {
            Connected::Again(existing)
        } else {
            Connected::Taken
        });
    }
    if let Err(reached) = super::platform::may_add_service(db, seller.id, livemode).await? {
        return Ok(Connected::Limit(Box::new(reached)));
    }
    let title: String = title.chars().take(128).collect();
    let inserted = seller_services::Entity::insert(seller_services::ActiveModel {
        seller_id: Set(seller.id),
        code: Set(code()),
        chat_id: Set(chat_id),
        chat_kind: Set(kind.as_str().to_owned()),
        title: Set(title),
        admission: Set("link".into()),
        status: Set("active".into()),
        grace_days: Set(0),
        livemode: Set(livemode),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(seller_services::Column::ChatId)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    let service = service_by_chat(db, chat_id)
        .await?
        .expect("the service was just written");
    Ok(match (inserted, ours(&service)) {
        (1, true) => Connected::New(service),
        (_, true) => Connected::Again(service),
        _ => Connected::Taken,
    })
}

pub async fn service_by_chat(db: &Db, chat_id: i64) -> ServiceResult<Option<Service>> {
    Ok(seller_services::Entity::find()
        .filter(seller_services::Column::ChatId.eq(chat_id))
        .one(db)
        .await?)
}

pub async fn service_by_code(db: &Db, code: &str) -> ServiceResult<Option<Service>> {
    Ok(seller_services::Entity::find()
        .filter(seller_services::Column::Code.eq(code))
        .one(db)
        .await?)
}

pub async fn service(db: &Db, id: i64) -> ServiceResult<Option<Service>> {
    Ok(seller_services::Entity::find_by_id(id).one(db).await?)
}

/// A service, only if it is `seller_id`'s.
pub async fn own_service(db: &Db, seller_id: i64, id: i64) -> ServiceResult<Option<Service>> {
    Ok(service(db, id).await?.filter(|s| s.seller_id == seller_id))
}

/// A seller's services, not archived ones, oldest first.
pub async fn services_of(db: &Db, seller_id: i64) -> ServiceResult<Vec<Service>> {
    Ok(seller_services::Entity::find()
        .filter(seller_services::Column::SellerId.eq(seller_id))
        .filter(seller_services::Column::Status.ne("archived"))
        .order_by_asc(seller_services::Column::Id)
        .all(db)
        .await?)
}

/// Pauses, resumes or archives a service of `seller_id`; false when it is not theirs.
pub async fn set_service_status(
    db: &Db,
    now: DateTime<Utc>,
    seller_id: i64,
    service_id: i64,
    status: &str,
) -> ServiceResult<bool> {
    Ok(seller_services::Entity::update_many()
        .col_expr(seller_services::Column::Status, Expr::value(status))
        .col_expr(seller_services::Column::UpdatedAt, Expr::value(now))
        .filter(seller_services::Column::Id.eq(service_id))
        .filter(seller_services::Column::SellerId.eq(seller_id))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// Switches a service between single-use links and join requests.
pub async fn set_admission(
    db: &Db,
    now: DateTime<Utc>,
    seller_id: i64,
    service_id: i64,
    join_requests: bool,
) -> ServiceResult<bool> {
    let admission = if join_requests {
        "join_request"
    } else {
        "link"
    };
    Ok(seller_services::Entity::update_many()
        .col_expr(seller_services::Column::Admission, Expr::value(admission))
        .col_expr(seller_services::Column::UpdatedAt, Expr::value(now))
        .filter(seller_services::Column::Id.eq(service_id))
        .filter(seller_services::Column::SellerId.eq(seller_id))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// Why a service cannot have a Star subscription link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoSubscription {
    /// Telegram offers Star subscriptions in channels only.
    NotAChannel,
    /// Test data sells nothing.
    TestMode,
}

/// Whether `service` may offer a Star subscription link.
pub fn subscription_allowed(service: &Service) -> Result<(), NoSubscription> {
    if service.chat_kind != ChatKind::Channel.as_str() {
        return Err(NoSubscription::NotAChannel);
    }
    if !service.livemode {
        return Err(NoSubscription::TestMode);
    }
    Ok(())
}

/// Records the Star subscription link of one of the seller's channel services (with None,
/// that it has none any more), with the audit entry; false when the service is not theirs.
pub async fn set_star_subscription(
    db: &Db,
    now: DateTime<Utc>,
    seller_id: i64,
    service_id: i64,
    actor: i64,
    subscription: Option<(i64, &str)>,
) -> ServiceResult<bool> {
    let txn = db.begin().await?;
    let n = seller_services::Entity::update_many()
        .col_expr(
            seller_services::Column::StarSubPrice,
            Expr::value(subscription.map(|s| s.0)),
        )
        .col_expr(
            seller_services::Column::StarSubLink,
            Expr::value(subscription.map(|s| s.1.to_owned())),
        )
        .col_expr(seller_services::Column::UpdatedAt, Expr::value(now))
        .filter(seller_services::Column::Id.eq(service_id))
        .filter(seller_services::Column::SellerId.eq(seller_id))
        .exec(&txn)
        .await?
        .rows_affected;
    if n != 1 {
        txn.rollback().await?;
        return Ok(false);
    }
    let detail = match subscription {
        Some((stars, link)) => format!("service {service_id}: {stars} XTR / 30 days, {link}"),
        None => format!("service {service_id}: off"),
    };
    super::audit::record(
        &txn,
        now,
        seller_id,
        actor,
        "star_subscription",
        None,
        detail,
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

pub struct NewPlan {
    pub stars_price: Option<i64>,
    /// Price by card: minor units and a lowercase ISO currency.
    pub card: Option<(i64, String)>,
    pub period_days: i32,
    pub trial_days: i32,
}

pub async fn add_plan(
    db: &Db,
    now: DateTime<Utc>,
    service: &Service,
    plan: NewPlan,
) -> ServiceResult<Plan> {
    let res = seller_plans::Entity::insert(seller_plans::ActiveModel {
        service_id: Set(service.id),
        seller_id: Set(service.seller_id),
        price_minor: Set(plan.card.as_ref().map(|c| c.0)),
        currency: Set(plan.card.map(|c| c.1)),
        stars_price: Set(plan.stars_price),
        period_days: Set(plan.period_days),
        trial_days: Set(plan.trial_days),
        status: Set("active".into()),
        created_at: Set(now),
        ..Default::default()
    })
    .exec(db)
    .await?;
    Ok(seller_plans::Entity::find_by_id(res.last_insert_id)
        .one(db)
        .await?
        .expect("the plan was just written"))
}

/// Sets (or with None removes) the card price of one of the seller's plans; false when the plan
/// is not theirs, is archived, or would be left with no price at all.
pub async fn set_card_price(
    db: &Db,
    seller_id: i64,
    plan_id: i64,
    card: Option<(i64, String)>,
) -> ServiceResult<bool> {
    let mut update = seller_plans::Entity::update_many()
        .col_expr(
            seller_plans::Column::PriceMinor,
            Expr::value(card.as_ref().map(|c| c.0)),
        )
        .col_expr(
            seller_plans::Column::Currency,
            Expr::value(card.as_ref().map(|c| c.1.clone())),
        )
        .filter(seller_plans::Column::Id.eq(plan_id))
        .filter(seller_plans::Column::SellerId.eq(seller_id))
        .filter(seller_plans::Column::Status.ne("archived"));
    if card.is_none() {
        update = update.filter(seller_plans::Column::StarsPrice.is_not_null());
    }
    Ok(update.exec(db).await?.rows_affected == 1)
}

/// One of the seller's plans (another seller's id: None).
pub async fn own_plan(db: &Db, seller_id: i64, id: i64) -> ServiceResult<Option<Plan>> {
    Ok(plan(db, id).await?.filter(|p| p.seller_id == seller_id))
}

pub async fn plan(db: &Db, id: i64) -> ServiceResult<Option<Plan>> {
    Ok(seller_plans::Entity::find_by_id(id).one(db).await?)
}

/// A service's plans; only those on sale when `on_sale`.
pub async fn plans_of(db: &Db, service_id: i64, on_sale: bool) -> ServiceResult<Vec<Plan>> {
    let mut q = seller_plans::Entity::find().filter(seller_plans::Column::ServiceId.eq(service_id));
    q = if on_sale {
        q.filter(seller_plans::Column::Status.eq("active"))
    } else {
        q.filter(seller_plans::Column::Status.ne("archived"))
    };
    Ok(q.order_by_asc(seller_plans::Column::Id).all(db).await?)
}

/// Pauses, resumes or archives a plan of `seller_id`; false when it is not theirs.
pub async fn set_plan_status(
    db: &Db,
    seller_id: i64,
    plan_id: i64,
    status: &str,
) -> ServiceResult<bool> {
    Ok(seller_plans::Entity::update_many()
        .col_expr(seller_plans::Column::Status, Expr::value(status))
        .filter(seller_plans::Column::Id.eq(plan_id))
        .filter(seller_plans::Column::SellerId.eq(seller_id))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// Why a plan cannot be bought right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotForSale {
    /// No such plan, or it is paused or archived.
    Plan,
    /// Its service is paused or archived.
    Service,
    /// Its seller is suspended.
    Seller,
    /// Its service is test data (made through a test API key): nothing real is sold there.
    TestMode,
}

/// The plan, its service and seller, if the plan is on sale now.
pub async fn on_sale(
    db: &Db,
    plan_id: i64,
) -> ServiceResult<Result<(Plan, Service, Seller), NotForSale>> {
    let Some(plan) = plan(db, plan_id).await?.filter(|p| p.status == "active") else {
        return Ok(Err(NotForSale::Plan));
    };
    let Some(service) = service(db, plan.service_id)
        .await?
        .filter(|s| s.status == "active")
    else {
        return Ok(Err(NotForSale::Service));
    };
    if !service.livemode {
        return Ok(Err(NotForSale::TestMode));
    }
    let Some(seller) = seller(db, service.seller_id)
        .await?
        .filter(|s| s.status == "active")
    else {
        return Ok(Err(NotForSale::Seller));
    };
    Ok(Ok((plan, service, seller)))
}

/// An alert went out into `service`'s chat: the audit entry and the `alert.posted` event,
/// together. `line` is what the seller wrote, `text` what the chat got.
pub async fn alert_posted(
    db: &Db,
    now: DateTime<Utc>,
    service: &Service,
    actor: i64,
    line: &str,
    text: &str,
) -> ServiceResult<()> {
    let txn = db.begin().await?;
    super::audit::record(
        &txn,
        now,
        service.seller_id,
        actor,
        "alert",
        None,
        line.chars().take(200).collect::<String>(),
    )
    .await?;
    super::webhooks::emit(
        &txn,
        now,
        service.seller_id,
        service.livemode,
        super::webhooks::EventType::AlertPosted,
        serde_json::json!({
            "service": service.id,
            "chat": service.chat_id,
            "alert": line,
            "text": text,
            "by": actor,
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialogue_answers_are_checked() {
        assert_eq!(parse_name("  Signals Pro "), Ok("Signals Pro".into()));
        assert_eq!(parse_name("x"), Err(BadInput::Name));
        assert_eq!(parse_email("Ann@Example.com"), Ok("ann@example.com".into()));
        for bad in [
            "",
            "ann",
            "ann@",
            "@x.com",
            "a@b",
            "a b@c.com",
            "a@b@c.com",
            "a@.com",
        ] {
            assert_eq!(parse_email(bad), Err(BadInput::Email), "{bad}");
        }
        assert_eq!(parse_stars("250"), Ok(250));
        for bad in ["0", "-5", "1.5", "abc", "100001", ""] {
            assert_eq!(parse_stars(bad), Err(BadInput::Stars), "{bad}");
        }
        assert_eq!(parse_period("30"), Ok(30));
        assert_eq!(parse_period("0"), Err(BadInput::Period));
        assert_eq!(parse_trial("0"), Ok(0));
        assert_eq!(parse_trial("91"), Err(BadInput::Trial));
        assert_eq!(parse_alert("  "), Err(BadInput::Alert));
        assert_eq!(parse_subscription_price("1"), Ok(1));
        assert_eq!(parse_subscription_price(" 10000 "), Ok(10_000));
        for bad in ["0", "10001", "-3", "2.5", "ten", "", "99999999"] {
            assert_eq!(
                parse_subscription_price(bad),
                Err(BadInput::SubscriptionPrice),
                "{bad}"
            );
        }
    }
}
