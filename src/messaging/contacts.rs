//! A seller's contacts: Telegram users who opened one of the seller's links, or whom the seller
//! added through the API. Each is kept per seller and mode with the seller's own tags and
//! attributes. A user may stop a seller's messages (`/stop`) whatever the mode; only the user
//! can take that back, and every kind of seller message asks [`may_message`] first.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, OnConflict},
};

use crate::{
    sellers::tenant::{Page, Tenant},
    services::ServiceResult,
    storage::{
        Db,
        entities::{contact_stops, contacts, sellers, users},
    },
};

pub type Contact = contacts::Model;

/// The prefix of a contact's public id (`ct_42`).
pub const ID_PREFIX: &str = "ct_";
/// Tags a contact may carry.
pub const TAGS_MAX: usize = 20;
/// Characters of one tag.
pub const TAG_MAX: usize = 32;
/// Bytes of a contact's attributes, as compact JSON.
pub const ATTRIBUTES_MAX_BYTES: usize = 4096;
/// Keys of a contact's attributes.
pub const ATTRIBUTE_KEYS_MAX: usize = 50;
/// Sellers `/stop` lists at most.
pub const SELLERS_LISTED: u64 = 30;

/// `ct_<n>` for a contact id.
pub fn public_id(id: i64) -> String {
    format!("{ID_PREFIX}{id}")
}

/// The row id of a `ct_<n>` public id.
pub fn parse_id(s: &str) -> Option<i64> {
    s.strip_prefix(ID_PREFIX)?
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
}

/// How a contact came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The user opened one of the seller's deep links.
    Link,
    /// The seller added them through the API.
    Api,
    /// The user opened the deep link an OTP send gave back.
    Otp,
    /// The user started the bot: a contact of the operator's own campaigns.
    Bot,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Link => "link",
            Source::Api => "api",
            Source::Otp => "otp",
            Source::Bot => "bot",
        }
    }
}

/// Where a contact stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Never started the bot: nothing can reach them yet.
    Pending,
    /// Started the bot and hears from the seller.
    Active,
    /// Stopped the seller's messages.
    Stopped,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Active => "active",
            Status::Stopped => "stopped",
        }
    }
}

/// Input that cannot be taken, naming its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadContact {
    #[error("a Telegram user id is a positive number")]
    TelegramId,
    #[error("tags: at most 20, each 1 to 32 letters, digits, '-', '_', ':' or '.', no duplicates")]
    Tags,
    #[error("attributes: a JSON object of at most 50 keys and 4096 bytes")]
    Attributes,
}

impl BadContact {
    pub fn field(&self) -> &'static str {
        match self {
            BadContact::TelegramId => "telegram_user_id",
            BadContact::Tags => "tags",
            BadContact::Attributes => "attributes",
        }
    }
}

pub fn check_user(id: i64) -> Result<i64, BadContact> {
    if id > 0 {
        Ok(id)
    } else {
        Err(BadContact::TelegramId)
    }
}

fn tag_ok(t: &str) -> bool {
    (1..=TAG_MAX).contains(&t.chars().count())
        && t.chars().all(|c| c.is_alphanumeric() || "-_:.".contains(c))
}

/// Tags as stored: a JSON array of distinct valid tags.
pub fn parse_tags(tags: &[String]) -> Result<String, BadContact> {
    let mut seen = HashSet::new();
    if tags.len() > TAGS_MAX || !tags.iter().all(|t| tag_ok(t) && seen.insert(t.as_str())) {
        return Err(BadContact::Tags);
    }
    Ok(serde_json::to_string(tags).unwrap_or_else(|_| "[]".into()))
}

/// Attributes as stored: a JSON object within the bounds.
pub fn parse_attributes(value: &serde_json::Value) -> Result<String, BadContact> {
    let Some(map) = value.as_object() else {
        return Err(BadContact::Attributes);
    };
    let text = serde_json::to_string(value).map_err(|_| BadContact::Attributes)?;
    if map.len() > ATTRIBUTE_KEYS_MAX || text.len() > ATTRIBUTES_MAX_BYTES {
        return Err(BadContact::Attributes);
    }
    Ok(text)
}

pub fn tags_of(c: &Contact) -> Vec<String> {
    serde_json::from_str(&c.tags).unwrap_or_default()
}

pub fn attributes_of(c: &Contact) -> serde_json::Value {
    serde_json::from_str(&c.attributes).unwrap_or_else(|_| serde_json::json!({}))
}

/// Makes `user` the tenant's contact, once: an existing contact is left as it is. The
/// contact, new or not, and whether it is new. A new contact enrols in the tenant's
/// first-contact campaigns.
pub async fn record(
    db: &Db,
    now: DateTime<Utc>,
    t: Tenant,
    user: i64,
    source: Source,
) -> ServiceResult<(Contact, bool)> {
    let (contact, new) = insert(db, now, t, user, source).await?;
    if new {
        super::drips::on_trigger(
            db,
            now,
            t,
            &contact,
            super::drips::Trigger::FirstContact,
            None,
        )
        .await?;
    }
    Ok((contact, new))
}

/// [`record`] without the first-contact trigger: for the operator's contacts, whose row is
/// made when a campaign first needs it, not when the user first came.
pub async fn insert(
    db: &Db,
    now: DateTime<Utc>,
    t: Tenant,
    user: i64,
    source: Source,
) -> ServiceResult<(Contact, bool)> {
    let inserted = contacts::Entity::insert(contacts::ActiveModel {
        seller_id: Set(t.seller_id),
        livemode: Set(t.livemode),
        user_id: Set(user),
        source: Set(source.as_str().to_owned()),
        tags: Set("[]".into()),
        attributes: Set("{}".into()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            contacts::Column::SellerId,
            contacts::Column::Livemode,
            contacts::Column::UserId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    let contact = by_user(db, t, user)
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("a contact just recorded".into()))?;
    Ok((contact, inserted == 1))
}

/// Adds a contact through the API; `Err` with the existing one when the user is a contact
/// already (which is left unchanged).
pub async fn create(
    db: &Db,
    now: DateTime<Utc>,
    t: Tenant,
    user: i64,
    tags: String,
    attributes: String,
) -> ServiceResult<Result<Contact, Contact>> {
    if let Some(existing) = by_user(db, t, user).await? {
        return Ok(Err(existing));
    }
    let (contact, new) = record(db, now, t, user, Source::Api).await?;
    if !new {
        return Ok(Err(contact));
    }
    contacts::Entity::update_many()
        .col_expr(contacts::Column::Tags, Expr::value(tags))
        .col_expr(contacts::Column::Attributes, Expr::value(attributes))
        .filter(contacts::Column::Id.eq(contact.id))
        .exec(db)
        .await?;
    let contact = get(db, t, contact.id).await?.unwrap_or(contact);
    super::drips::on_tags_changed(db, now, t, &contact, &[]).await?;
    Ok(Ok(contact))
}

/// The tenant's contact `id`.
pub async fn get(db: &Db, t: Tenant, id: i64) -> ServiceResult<Option<Contact>> {
    Ok(contacts::Entity::find_by_id(id)
        .filter(contacts::Column::SellerId.eq(t.seller_id))
        .filter(contacts::Column::Livemode.eq(t.livemode))
        .one(db)
        .await?)
}

/// The tenant's contact for Telegram user `user`.
pub async fn by_user(db: &Db, t: Tenant, user: i64) -> ServiceResult<Option<Contact>> {
    Ok(contacts::Entity::find()
        .filter(contacts::Column::SellerId.eq(t.seller_id))
        .filter(contacts::Column::Livemode.eq(t.livemode))
        .filter(contacts::Column::UserId.eq(user))
        .one(db)
        .await?)
}

/// The tenant's contacts by id after `after`, optionally those with `tag`.
pub async fn list(
    db: &Db,
    t: Tenant,
    after: Option<i64>,
    limit: u64,
    tag: Option<&str>,
) -> ServiceResult<Page<Contact>> {
    let mut q = contacts::Entity::find()
        .filter(contacts::Column::SellerId.eq(t.seller_id))
        .filter(contacts::Column::Livemode.eq(t.livemode))
        .filter(contacts::Column::Id.gt(after.unwrap_or(0)));
    if let Some(tag) = tag {
        // Tags are checked to hold no quotes, so the quoted tag matches a whole element.
        q = q.filter(contacts::Column::Tags.contains(format!("\"{tag}\"")));
    }
    let mut rows = q
        .order_by_asc(contacts::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    Ok(Page { rows, more })
}

/// Replaces a contact's tags and/or attributes (already checked); None when it is not the
/// tenant's.
pub async fn update(
    db: &Db,
    now: DateTime<Utc>,
    t: Tenant,
    id: i64,
    tags: Option<String>,
    attributes: Option<String>,
) -> ServiceResult<Option<Contact>> {
    let Some(contact) = get(db, t, id).await? else {
        return Ok(None);
    };
    let mut q = contacts::Entity::update_many()
        .col_expr(contacts::Column::UpdatedAt, Expr::value(now))
        .filter(contacts::Column::Id.eq(contact.id));
    if let Some(tags) = tags {
        q = q.col_expr(contacts::Column::Tags, Expr::value(tags));
    }
    if let Some(attributes) = attributes {
        q = q.col_expr(contacts::Column::Attributes, Expr::value(attributes));
    }
    q.exec(db).await?;
    let updated = get(db, t, id).await?;
    if let Some(c) = &updated {
        super::drips::on_tags_changed(db, now, t, c, &tags_of(&contact)).await?;
    }
    Ok(updated)
}

/// Where each of `users` stands with the seller.
pub async fn statuses(
    db: &Db,
    seller_id: i64,
    users_: &[i64],
) -> ServiceResult<HashMap<i64, Status>> {
    if users_.is_empty() {
        return Ok(HashMap::new());
    }
    let started: HashSet<i64> = users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .filter(users::Column::Id.is_in(users_.iter().copied()))
        .into_tuple::<i64>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let stopped: HashSet<i64> = contact_stops::Entity::find()
        .select_only()
        .column(contact_stops::Column::UserId)
        .filter(contact_stops::Column::SellerId.eq(seller_id))
        .filter(contact_stops::Column::UserId.is_in(users_.iter().copied()))
        .into_tuple::<i64>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(users_
        .iter()
        .map(|u| {
            let status = if stopped.contains(u) {
                Status::Stopped
            } else if started.contains(u) {
                Status::Active
            } else {
                Status::Pending
            };
            (*u, status)
        })
        .collect())
}

/// Where `user` stands with the seller.
pub async fn status(db: &Db, seller_id: i64, user: i64) -> ServiceResult<Status> {
    Ok(statuses(db, seller_id, &[user])
        .await?
        .remove(&user)
        .unwrap_or(Status::Pending))
}

/// Whether the seller may send `user` anything: false once the user stopped the seller. Every
/// kind of seller message (codes, invoices, order notices, drip steps) asks this first.
pub async fn may_message(db: &Db, seller_id: i64, user: i64) -> ServiceResult<bool> {
    Ok(contact_stops::Entity::find_by_id((seller_id, user))
        .one(db)
        .await?
        .is_none())
}

/// The user stops the seller's messages; true when they had not already.
pub async fn stop(db: &Db, now: DateTime<Utc>, seller_id: i64, user: i64) -> ServiceResult<bool> {
    let n = contact_stops::Entity::insert(contact_stops::ActiveModel {
        seller_id: Set(seller_id),
        user_id: Set(user),
        stopped_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            contact_stops::Column::SellerId,
            contact_stops::Column::UserId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    // Drip campaigns stop too: their enrolments exit `stopped`.
    super::drips::on_stop(db, now, seller_id, user).await?;
    Ok(n == 1)
}

/// The user hears from the seller again; true when they had stopped them.
pub async fn resume(db: &Db, seller_id: i64, user: i64) -> ServiceResult<bool> {
    let r = contact_stops::Entity::delete_many()
        .filter(contact_stops::Column::SellerId.eq(seller_id))
        .filter(contact_stops::Column::UserId.eq(user))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// A seller a user hears from (or stopped), as `/stop` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heard {
    pub seller_id: i64,
    pub name: String,
    pub stopped: bool,
}

/// The sellers `user` is a contact of, or stopped, by name; the operator
/// ([`OPERATOR`](super::drips::OPERATOR), whose drip messages they hear) as `operator_name`.
pub async fn sellers_of(db: &Db, user: i64, operator_name: &str) -> ServiceResult<Vec<Heard>> {
    let mut ids: Vec<i64> = contacts::Entity::find()
        .select_only()
        .column(contacts::Column::SellerId)
        .distinct()
        .filter(contacts::Column::UserId.eq(user))
        .limit(SELLERS_LISTED)
        .into_tuple::<i64>()
        .all(db)
        .await?;
    let stopped: HashSet<i64> = contact_stops::Entity::find()
        .select_only()
        .column(contact_stops::Column::SellerId)
        .filter(contact_stops::Column::UserId.eq(user))
        .into_tuple::<i64>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    ids.extend(stopped.iter().copied());
    ids.sort_unstable();
    ids.dedup();
    let operator = super::drips::OPERATOR.seller_id;
    let hears_operator = ids.contains(&operator);
    let mut out: Vec<Heard> = sellers::Entity::find()
        .filter(sellers::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| Heard {
            stopped: stopped.contains(&s.id),
            seller_id: s.id,
            name: s.display_name,
        })
        .collect();
    if hears_operator {
        out.push(Heard {
            seller_id: operator,
            name: operator_name.to_owned(),
            stopped: stopped.contains(&operator),
        });
    }
    out.sort_by_key(|a| a.name.to_lowercase());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_ids_round_trip_and_others_are_refused() {
        assert_eq!(parse_id(&public_id(42)), Some(42));
        for bad in ["42", "ct_", "ct_-1", "ct_0", "svc_4", "ct_4x"] {
            assert_eq!(parse_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn tags_and_attributes_are_bounded() {
        assert_eq!(
            parse_tags(&["vip".into(), "lead:2024".into()]).unwrap(),
            r#"["vip","lead:2024"]"#
        );
        for bad in [
            vec!["".to_owned()],
            vec!["has space".into()],
            vec!["quo\"te".into()],
            vec!["a".repeat(33)],
            vec!["x".into(), "x".into()],
            (0..21).map(|i| format!("t{i}")).collect(),
        ] {
            assert_eq!(parse_tags(&bad), Err(BadContact::Tags), "{bad:?}");
        }
        assert!(parse_attributes(&serde_json::json!({"plan": "gold", "n": 2})).is_ok());
        assert_eq!(
            parse_attributes(&serde_json::json!(["not", "an", "object"])),
            Err(BadContact::Attributes)
        );
        let big = serde_json::json!({"blob": "x".repeat(ATTRIBUTES_MAX_BYTES)});
        assert_eq!(parse_attributes(&big), Err(BadContact::Attributes));
        let many: serde_json::Map<String, serde_json::Value> =
            (0..51).map(|i| (format!("k{i}"), 1.into())).collect();
        assert_eq!(
            parse_attributes(&serde_json::Value::Object(many)),
            Err(BadContact::Attributes)
        );
        assert_eq!(check_user(0), Err(BadContact::TelegramId));
    }
}
