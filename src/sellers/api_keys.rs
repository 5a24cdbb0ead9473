//! Sellers' secret keys to the REST API, their hourly limits and the first answers to
//! `Idempotency-Key`s.
//!
//! A key is `tg_live_…` or `tg_test_…` followed by 40 random hex digits. It is shown once;
//! only its SHA-256 is kept, with its first characters to recognise it in a list. A test key
//! sees and makes test data only (services with `livemode = false` and everything below
//! them), a live key live data only.
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    sea_query::Expr,
};
use sha2::{Digest, Sha256};

use super::catalog::{BadInput, Seller};
use crate::{
    services::ServiceResult,
    storage::{
        Db,
        entities::{api_idempotency, api_keys, sellers},
    },
};

pub type ApiKey = api_keys::Model;

/// Requests an hour a key may make unless set otherwise.
pub const DEFAULT_RATE_LIMIT: i32 = 1000;
/// Keys a seller may hold at once (revoked and expired ones do not count).
pub const MAX_KEYS: usize = 25;
/// How long an `Idempotency-Key`'s first answer is kept.
pub const IDEMPOTENCY_TTL_HOURS: i64 = 24;
/// `last_used_at` is written at most this often per key, so that reads stay reads.
const TOUCH_EVERY_SECONDS: i64 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Live,
    Test,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Live => "live",
            Mode::Test => "test",
        }
    }

    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "live" => Some(Mode::Live),
            "test" => Some(Mode::Test),
            _ => None,
        }
    }

    /// Whether the data this mode sees is live.
    pub fn livemode(self) -> bool {
        self == Mode::Live
    }
}

/// Hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn random_hex(len: usize) -> String {
    let mut s = String::with_capacity(len + 32);
    while s.len() < len {
        s.push_str(&uuid::Uuid::new_v4().simple().to_string());
    }
    s.truncate(len);
    s
}

/// A key's name: 1 to 64 characters, no control characters.
pub fn parse_key_name(s: &str) -> Result<String, BadInput> {
    let s = s.trim();
    if s.is_empty() || s.chars().count() > 64 || s.chars().any(char::is_control) {
        return Err(BadInput::KeyName);
    }
    Ok(s.to_owned())
}

/// What making a key came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    /// The key and its secret, shown this once.
    Key(ApiKey, String),
    /// The seller holds [`MAX_KEYS`] usable keys already.
    TooMany,
}

/// Makes a key for `seller`; `expires_at`, when given, must be in the future.
pub async fn create(
    db: &Db,
    now: DateTime<Utc>,
    seller: &Seller,
    created_by: i64,
    name: &str,
    mode: Mode,
    expires_at: Option<DateTime<Utc>>,
) -> ServiceResult<Created> {
    let usable = list(db, seller.id)
        .await?
        .iter()
        .filter(|k| is_usable(k, now))
        .count();
    if usable >= MAX_KEYS {
        return Ok(Created::TooMany);
    }
    let secret = format!("tg_{}_{}", mode.as_str(), random_hex(40));
    let key = api_keys::ActiveModel {
        seller_id: Set(seller.id),
        name: Set(name.to_owned()),
        mode: Set(mode.as_str().to_owned()),
        prefix: Set(secret[..12].to_owned()),
        key_hash: Set(sha256_hex(secret.as_bytes())),
        created_by: Set(created_by),
        rate_limit: Set(DEFAULT_RATE_LIMIT),
        created_at: Set(now),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
        last_used_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(Created::Key(key, secret))
}

pub fn is_usable(key: &ApiKey, now: DateTime<Utc>) -> bool {
    key.revoked_at.is_none() && key.expires_at.is_none_or(|t| t > now)
}

/// The seller's keys, newest first (revoked ones too, for the record).
pub async fn list(db: &Db, seller_id: i64) -> ServiceResult<Vec<ApiKey>> {
    Ok(api_keys::Entity::find()
        .filter(api_keys::Column::SellerId.eq(seller_id))
        .order_by_desc(api_keys::Column::Id)
        .all(db)
        .await?)
}

/// Revokes the seller's key `id`; false when they hold no such usable key.
pub async fn revoke(db: &Db, now: DateTime<Utc>, seller_id: i64, id: i64) -> ServiceResult<bool> {
    let n = api_keys::Entity::update_many()
        .col_expr(api_keys::Column::RevokedAt, Expr::value(now))
        .filter(api_keys::Column::Id.eq(id))
        .filter(api_keys::Column::SellerId.eq(seller_id))
        .filter(api_keys::Column::RevokedAt.is_null())
        .exec(db)
        .await?
        .rows_affected;
    Ok(n == 1)
}

/// Who a request's bearer secret is: the key and its seller, when the key exists, is neither
/// revoked nor expired and its seller is not suspended. Notes the key's use.
pub async fn authenticate(
    db: &Db,
    now: DateTime<Utc>,
    secret: &str,
) -> ServiceResult<Option<(ApiKey, Seller)>> {
    let well_formed = (secret.starts_with("tg_live_") || secret.starts_with("tg_test_"))
        && secret.len() == 48
        && secret[8..].bytes().all(|b| b.is_ascii_hexdigit());
    if !well_formed {
        return Ok(None);
    }
    // One statement for the key and its seller: this runs before every API request.
    let Some((key, Some(seller))) = api_keys::Entity::find()
        .filter(api_keys::Column::KeyHash.eq(sha256_hex(secret.as_bytes())))
        .find_also_related(sellers::Entity)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if !is_usable(&key, now) || Mode::parse(&key.mode).is_none() {
        return Ok(None);
    }
    if seller.status != "active" {
        return Ok(None);
    }
    if key
        .last_used_at
        .is_none_or(|t| now - t >= Duration::seconds(TOUCH_EVERY_SECONDS))
    {
        api_keys::Entity::update_many()
            .col_expr(api_keys::Column::LastUsedAt, Expr::value(now))
            .filter(api_keys::Column::Id.eq(key.id))
            .exec(db)
            .await?;
    }
    Ok(Some((key, seller)))
}

// ---------------------------------------------------------------------------------------------
// Hourly limits

/// What a request's turn against its key's hourly limit came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rate {
    Allowed {
        remaining: u32,
    },
    /// Over the limit: try again in this many seconds (when the hour turns).
    Limited {
        retry_after: u64,
    },
}

/// What a local count is kept by: the scope (`api_rate`, `plan_rate`), the key or seller,
/// and the hour.
type Window = (&'static str, i64, i64);

/// Counts requests per key (and per seller, for their plan) and clock hour: in Redis when
/// configured (so that replicas share one limit), else in this process.
#[derive(Clone)]
pub struct RateLimiter {
    redis: Option<(redis::aio::ConnectionManager, Arc<str>)>,
    local: Arc<Mutex<HashMap<Window, u32>>>,
}

impl RateLimiter {
    pub fn local() -> Self {
        Self {
            redis: None,
            local: Arc::default(),
        }
    }

    /// Counts in Redis at `url`, under keys starting with `prefix`.
    pub async fn redis(url: &str, prefix: &str) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let conn = redis::aio::ConnectionManager::new(client).await?;
        Ok(Self {
            redis: Some((conn, prefix.into())),
            local: Arc::default(),
        })
    }

    /// Counts one request of `key` (allowed `limit` an hour).
    pub async fn hit(&self, key: i64, limit: i32, now: DateTime<Utc>) -> Rate {
        self.hit_in("api_rate", key, i64::from(limit), now).await
    }

    /// Counts one request of any key of `seller` (their platform plan allows `limit` an
    /// hour).
    pub async fn hit_seller(&self, seller: i64, limit: i64, now: DateTime<Utc>) -> Rate {
        self.hit_in("plan_rate", seller, limit, now).await
    }

    async fn hit_in(&self, scope: &'static str, key: i64, limit: i64, now: DateTime<Utc>) -> Rate {
        let hour = now.timestamp().div_euclid(3600);
        let retry_after = (3600 - now.timestamp().rem_euclid(3600)) as u64;
        let limit = u32::try_from(limit.max(0)).unwrap_or(u32::MAX);
        let count = match &self.redis {
            Some((conn, prefix)) => {
                let name = format!("{prefix}{scope}:{key}:{hour}");
                let mut conn = conn.clone();
                let counted: Result<(u32,), _> = redis::pipe()
                    .incr(&name, 1)
                    .cmd("EXPIRE")
                    .arg(&name)
                    .arg(3700)
                    .arg("NX")
                    .ignore()
                    .query_async(&mut conn)
                    .await;
                match counted {
                    Ok((n,)) => n,
                    Err(e) => {
                        // Redis being away must not take the API down: count here meanwhile.
                        tracing::warn!(error = %e, "api rate limit: redis unavailable");
                        self.count_locally(scope, key, hour)
                    }
                }
            }
            None => self.count_locally(scope, key, hour),
        };
        if count > limit {
            Rate::Limited { retry_after }
        } else {
            Rate::Allowed {
                remaining: limit - count,
            }
        }
    }

    fn count_locally(&self, scope: &'static str, key: i64, hour: i64) -> u32 {
        let mut counts = self.local.lock().expect("rate counts");
        if counts.len() > 10_000 {
            counts.retain(|(_, _, h), _| *h == hour);
        }
        let n = counts.entry((scope, key, hour)).or_insert(0);
        *n = n.saturating_add(1);
        *n
    }
}

// ---------------------------------------------------------------------------------------------
// Idempotency keys

/// What an `Idempotency-Key` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Idempotent {
    /// First use: run the request, then [`finish`] (or [`forget`] when it failed).
    Fresh,
    /// Used before for the same request: its first answer.
    Replay { status: u16, body: String },
    /// Used before for another request.
    Mismatch,
    /// The first request with this key is still running.
    InFlight,
}

/// Claims `idem_key` of `key` for a request hashing to `request_hash`.
pub async fn idempotency_begin(
    db: &Db,
    now: DateTime<Utc>,
    key: i64,
    idem_key: &str,
    request_hash: &str,
) -> ServiceResult<Idempotent> {
    let cutoff = now - Duration::hours(IDEMPOTENCY_TTL_HOURS);
    for _ in 0..3 {
        let found = api_idempotency::Entity::find()
            .filter(api_idempotency::Column::ApiKeyId.eq(key))
            .filter(api_idempotency::Column::IdemKey.eq(idem_key))
            .one(db)
            .await?;
        if let Some(row) = found {
            if row.created_at < cutoff {
                api_idempotency::Entity::delete_by_id(row.id)
                    .exec(db)
                    .await?;
                continue;
            }
            return Ok(if row.request_hash != request_hash {
                Idempotent::Mismatch
            } else if row.status == 0 {
                Idempotent::InFlight
            } else {
                Idempotent::Replay {
                    status: row.status as u16,
                    body: row.body,
                }
            });
        }
        let inserted = api_idempotency::ActiveModel {
            api_key_id: Set(key),
            idem_key: Set(idem_key.to_owned()),
            request_hash: Set(request_hash.to_owned()),
            status: Set(0),
            body: Set(String::new()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await;
        match inserted {
            Ok(_) => return Ok(Idempotent::Fresh),
            // Another request took the key between the look and the insert: look again.
            Err(e) if is_unique_violation(&e) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Idempotent::InFlight)
}

fn is_unique_violation(e: &sea_orm::DbErr) -> bool {
    matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// Keeps the first answer to `idem_key`.
pub async fn idempotency_finish(
    db: &Db,
    key: i64,
    idem_key: &str,
    status: u16,
    body: &str,
) -> ServiceResult<()> {
    api_idempotency::Entity::update_many()
        .col_expr(
            api_idempotency::Column::Status,
            Expr::value(i32::from(status)),
        )
        .col_expr(api_idempotency::Column::Body, Expr::value(body))
        .filter(api_idempotency::Column::ApiKeyId.eq(key))
        .filter(api_idempotency::Column::IdemKey.eq(idem_key))
        .exec(db)
        .await?;
    Ok(())
}

/// Lets `idem_key` be used again (its request failed on our side and changed nothing).
pub async fn idempotency_forget(db: &Db, key: i64, idem_key: &str) -> ServiceResult<()> {
    api_idempotency::Entity::delete_many()
        .filter(api_idempotency::Column::ApiKeyId.eq(key))
        .filter(api_idempotency::Column::IdemKey.eq(idem_key))
        .exec(db)
        .await?;
    Ok(())
}
