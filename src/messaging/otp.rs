//! One-time codes sent over Telegram for a seller: a user proves to the seller's site that
//! they hold this Telegram account.
//!
//! A code is 6 digits, lives [`CODE_TTL`], and may be tried [`MAX_ATTEMPTS`] times. Only an
//! HMAC-SHA256 of it under a random per-code salt is stored; the code itself exists in the
//! message to the user and nowhere else (its `Debug` is redacted, it is never logged and no API
//! answer carries it). Attempts are counted by a conditional update before the comparison, so
//! however many verifications run at once, no more than [`MAX_ATTEMPTS`] codes are compared.
//! Sends are held back per recipient ([`RESEND_COOLDOWN`], [`Limits::per_user_hour`]) and per
//! API key ([`Limits::per_key_hour`]), decided one at a time per key and recipient, and count against the seller's daily OTP limit
//! ([`usage`](super::usage)).
use chrono::{DateTime, Duration, Utc};
use ring::{
    hmac,
    rand::{SecureRandom, SystemRandom},
};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    TransactionTrait,
    sea_query::{Expr, ExprTrait as _},
};

use super::usage::{self, Metric};
use crate::{
    sellers::tenant::Tenant,
    services::ServiceResult,
    storage::{self, Db, entities::otp_codes},
};

pub type OtpCode = otp_codes::Model;

/// The prefix of a code's public id (`otp_42`).
pub const ID_PREFIX: &str = "otp_";
/// How long a code works.
pub const CODE_TTL: Duration = Duration::minutes(5);
/// Tries per code.
pub const MAX_ATTEMPTS: i32 = 5;
/// Digits of a code.
pub const DIGITS: usize = 6;
/// The least time between two codes for the same seller and user.
pub const RESEND_COOLDOWN: Duration = Duration::seconds(30);

pub fn public_id(id: i64) -> String {
    format!("{ID_PREFIX}{id}")
}

pub fn parse_id(s: &str) -> Option<i64> {
    s.strip_prefix(ID_PREFIX)?
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
}

/// What a code is for; named in the message to the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Login,
    Signup,
    Verification,
}

impl Purpose {
    pub fn parse(s: &str) -> Option<Purpose> {
        match s {
            "login" => Some(Purpose::Login),
            "signup" => Some(Purpose::Signup),
            "verification" => Some(Purpose::Verification),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Login => "login",
            Purpose::Signup => "signup",
            Purpose::Verification => "verification",
        }
    }
}

/// Send limits besides the cooldown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Codes per seller and user in an hour.
    pub per_user_hour: u64,
    /// Codes per API key in an hour.
    pub per_key_hour: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            per_user_hour: 5,
            per_key_hour: 1000,
        }
    }
}

/// A fresh code. Never logged: `Debug` shows no digits.
pub struct Code(String);

impl Code {
    /// The digits, for the message to the user.
    pub fn reveal(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Code(******)")
    }
}

/// Six uniformly random digits.
fn new_code(rng: &SystemRandom) -> Code {
    // The largest multiple of 10^6 below 2^32: values above it would favour low codes.
    const BOUND: u32 = 4_294_000_000;
    loop {
        let mut b = [0u8; 4];
        rng.fill(&mut b).expect("the system's random source");
        let n = u32::from_le_bytes(b);
        if n < BOUND {
            return Code(format!("{:06}", n % 1_000_000));
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

/// HMAC-SHA256 of `code` under `salt`.
fn digest(salt: &[u8], code: &str) -> Vec<u8> {
    let key = hmac::Key::new(hmac::HMAC_SHA256, salt);
    hmac::sign(&key, code.as_bytes()).as_ref().to_vec()
}

/// Equal bytes, in a time that does not depend on where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether `s` has the shape of a code (checked before it costs an attempt).
pub fn is_code_shaped(s: &str) -> bool {
    s.len() == DIGITS && s.bytes().all(|b| b.is_ascii_digit())
}

/// A send that was asked for.
#[derive(Debug, Clone, Copy)]
pub struct Request {
    pub tenant: Tenant,
    pub contact_id: i64,
    pub user_id: i64,
    pub key_id: i64,
    pub purpose: Purpose,
}

/// Why no code was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// A code went to this user for this seller less than [`RESEND_COOLDOWN`] ago.
    Cooldown { retry_after: i64 },
    /// [`Limits::per_user_hour`] codes in the last hour.
    UserLimit { retry_after: i64 },
    /// [`Limits::per_key_hour`] codes by this key in the last hour.
    KeyLimit { retry_after: i64 },
    /// The seller's daily OTP limit.
    UsageLimit { limit: i64 },
}

/// A code made and stored (hashed), to be sent.
#[derive(Debug)]
pub struct Issued {
    pub otp: OtpCode,
    pub code: Code,
}

fn retry_after(oldest: DateTime<Utc>, window: Duration, now: DateTime<Utc>) -> i64 {
    Ord::max((oldest + window - now).num_seconds(), 1)
}

/// Makes a code for `req` unless a limit holds it back.
pub async fn issue(
    db: &Db,
    now: DateTime<Utc>,
    req: &Request,
    limits: &Limits,
) -> ServiceResult<Result<Issued, Refused>> {
    let t = req.tenant;
    let limit = usage::limit(db, t.seller_id, Metric::Otps).await?;
    if usage::today(db, t, now, Metric::Otps).await? >= limit {
        return Ok(Err(Refused::UsageLimit { limit }));
    }
    // The limits below are read and the code inserted under a lock of the key's row and then
    // the recipient's (PostgreSQL; SQLite's one connection runs one transaction at a time), so
    // sends at once to one user or through one key are decided one after another and never
    // pass a limit together.
    let txn = db.begin().await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        for (table, id) in [("api_keys", req.key_id), ("users", req.user_id)] {
            let sql = format!("SELECT id FROM {table} WHERE id = $1 FOR UPDATE");
            storage::query_all(&txn, &sql, vec![id.into()]).await?;
        }
    }
    let hour = now - Duration::hours(1);
    let recent: Vec<OtpCode> = otp_codes::Entity::find()
        .filter(otp_codes::Column::SellerId.eq(t.seller_id))
        .filter(otp_codes::Column::UserId.eq(req.user_id))
        .filter(otp_codes::Column::CreatedAt.gt(hour))
        .order_by_asc(otp_codes::Column::CreatedAt)
        .all(&txn)
        .await?;
    if let Some(last) = recent.last()
        && last.created_at + RESEND_COOLDOWN > now
    {
        return Ok(Err(Refused::Cooldown {
            retry_after: retry_after(last.created_at, RESEND_COOLDOWN, now),
        }));
    }
    if recent.len() as u64 >= limits.per_user_hour {
        return Ok(Err(Refused::UserLimit {
            retry_after: retry_after(recent[0].created_at, Duration::hours(1), now),
        }));
    }
    let by_key = otp_codes::Entity::find()
        .filter(otp_codes::Column::KeyId.eq(req.key_id))
        .filter(otp_codes::Column::CreatedAt.gt(hour));
    if by_key.clone().count(&txn).await? >= limits.per_key_hour {
        let oldest = by_key
            .order_by_asc(otp_codes::Column::CreatedAt)
            .one(&txn)
            .await?
            .map_or(now, |o| o.created_at);
        return Ok(Err(Refused::KeyLimit {
            retry_after: retry_after(oldest, Duration::hours(1), now),
        }));
    }
    let rng = SystemRandom::new();
    let code = new_code(&rng);
    let mut salt = [0u8; 16];
    rng.fill(&mut salt).expect("the system's random source");
    let row = otp_codes::ActiveModel {
        seller_id: Set(t.seller_id),
        livemode: Set(t.livemode),
        contact_id: Set(req.contact_id),
        user_id: Set(req.user_id),
        key_id: Set(req.key_id),
        purpose: Set(req.purpose.as_str().to_owned()),
        code_hash: Set(hex(&digest(&salt, code.reveal()))),
        salt: Set(hex(&salt)),
        attempts: Set(0),
        max_attempts: Set(MAX_ATTEMPTS),
        expires_at: Set(now + CODE_TTL),
        message_id: Set(None),
        verified_at: Set(None),
        reported_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(Ok(Issued { otp: row, code }))
}

/// The code's message went out: it is kept, and counted as an OTP and a message sent.
pub async fn sent(
    db: &Db,
    now: DateTime<Utc>,
    otp: &OtpCode,
    message_id: i32,
) -> ServiceResult<()> {
    otp_codes::Entity::update_many()
        .col_expr(otp_codes::Column::MessageId, Expr::value(message_id))
        .filter(otp_codes::Column::Id.eq(otp.id))
        .exec(db)
        .await?;
    let t = Tenant {
        seller_id: otp.seller_id,
        livemode: otp.livemode,
    };
    usage::record(db, t, now, Metric::Otps, 1).await?;
    usage::record(db, t, now, Metric::MessagesSent, 1).await?;
    Ok(())
}

/// The code's message could not be sent: the code goes, and holds back no resend.
pub async fn withdraw(db: &Db, otp: &OtpCode) -> ServiceResult<()> {
    otp_codes::Entity::delete_by_id(otp.id).exec(db).await?;
    Ok(())
}

/// The tenant's code `id`.
pub async fn get(db: &Db, t: Tenant, id: i64) -> ServiceResult<Option<OtpCode>> {
    Ok(otp_codes::Entity::find_by_id(id)
        .filter(otp_codes::Column::SellerId.eq(t.seller_id))
        .filter(otp_codes::Column::Livemode.eq(t.livemode))
        .one(db)
        .await?)
}

/// What a verification came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Verified,
    Wrong {
        attempts_left: i32,
    },
    /// Past its time, or the user reported it ("this wasn't me").
    Expired,
    /// Its attempts are used up.
    Locked,
    /// It was verified before: a code works once.
    AlreadyUsed,
}

fn settled(row: &OtpCode, now: DateTime<Utc>) -> Option<Verdict> {
    if row.verified_at.is_some() {
        Some(Verdict::AlreadyUsed)
    } else if row.attempts >= row.max_attempts {
        Some(Verdict::Locked)
    } else if row.reported_at.is_some() || row.expires_at <= now {
        Some(Verdict::Expired)
    } else {
        None
    }
}

/// Checks `code` (already [`is_code_shaped`]) against the tenant's code `id`; None when there
/// is no such code.
pub async fn verify(
    db: &Db,
    now: DateTime<Utc>,
    t: Tenant,
    id: i64,
    code: &str,
) -> ServiceResult<Option<Verdict>> {
    let Some(row) = get(db, t, id).await? else {
        return Ok(None);
    };
    if let Some(v) = settled(&row, now) {
        return Ok(Some(v));
    }
    // Takes an attempt, if one is left, before anything is compared.
    let taken = otp_codes::Entity::update_many()
        .col_expr(
            otp_codes::Column::Attempts,
            Expr::col(otp_codes::Column::Attempts).add(1),
        )
        .filter(otp_codes::Column::Id.eq(row.id))
        .filter(
            Expr::col(otp_codes::Column::Attempts).lt(Expr::col(otp_codes::Column::MaxAttempts)),
        )
        .filter(otp_codes::Column::VerifiedAt.is_null())
        .filter(otp_codes::Column::ReportedAt.is_null())
        .filter(otp_codes::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?
        .rows_affected;
    if taken == 0 {
        let again = get(db, t, id).await?.unwrap_or(row);
        return Ok(Some(settled(&again, now).unwrap_or(Verdict::Locked)));
    }
    let expected = unhex(&row.code_hash).unwrap_or_default();
    let salt = unhex(&row.salt).unwrap_or_default();
    if same(&digest(&salt, code), &expected) {
        let won = otp_codes::Entity::update_many()
            .col_expr(otp_codes::Column::VerifiedAt, Expr::value(now))
            .filter(otp_codes::Column::Id.eq(row.id))
            .filter(otp_codes::Column::VerifiedAt.is_null())
            .exec(db)
            .await?
            .rows_affected;
        return Ok(Some(if won == 1 {
            Verdict::Verified
        } else {
            Verdict::AlreadyUsed
        }));
    }
    let after = get(db, t, id)
        .await?
        .map_or(row.max_attempts, |r| r.attempts);
    let left = Ord::max(row.max_attempts - after, 0);
    Ok(Some(if left == 0 {
        Verdict::Locked
    } else {
        Verdict::Wrong {
            attempts_left: left,
        }
    }))
}

/// The user says they did not ask for code `id`: it stops working. The code, when it is
/// theirs and was not reported before.
pub async fn report(
    db: &Db,
    now: DateTime<Utc>,
    id: i64,
    user: i64,
) -> ServiceResult<Option<OtpCode>> {
    let n = otp_codes::Entity::update_many()
        .col_expr(otp_codes::Column::ReportedAt, Expr::value(now))
        .filter(otp_codes::Column::Id.eq(id))
        .filter(otp_codes::Column::UserId.eq(user))
        .filter(otp_codes::Column::ReportedAt.is_null())
        .exec(db)
        .await?
        .rows_affected;
    if n == 0 {
        return Ok(None);
    }
    Ok(otp_codes::Entity::find_by_id(id).one(db).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_hide_in_debug() {
        let rng = SystemRandom::new();
        for _ in 0..200 {
            let c = new_code(&rng);
            assert!(is_code_shaped(c.reveal()), "{}", c.reveal());
            assert_eq!(format!("{c:?}"), "Code(******)");
        }
        for bad in ["12345", "1234567", "12a456", "", "１２３４５６"] {
            assert!(!is_code_shaped(bad), "{bad}");
        }
    }

    #[test]
    fn the_digest_depends_on_salt_and_code_and_compares_whole() {
        let a = digest(b"salt-one", "123456");
        assert_eq!(a, digest(b"salt-one", "123456"));
        assert_ne!(a, digest(b"salt-two", "123456"));
        assert_ne!(a, digest(b"salt-one", "123457"));
        assert!(same(&a, &a.clone()));
        assert!(!same(&a, &a[..31]));
        assert_eq!(unhex(&hex(&a)).unwrap(), a);
        assert_eq!(unhex("abc"), None);
    }

    #[test]
    fn public_ids_and_purposes() {
        assert_eq!(parse_id(&public_id(7)), Some(7));
        assert_eq!(parse_id("ct_7"), None);
        assert_eq!(Purpose::parse("login"), Some(Purpose::Login));
        assert_eq!(Purpose::parse("LOGIN"), None);
        assert_eq!(Purpose::parse("payment"), None);
    }
}
