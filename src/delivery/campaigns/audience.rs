//! Who a campaign goes to: a typed filter over `users`, stored as JSON. Recipients are
//! materialised by one `INSERT … SELECT` (never all ids in memory). Users who blocked the bot
//! (`unreachable`) or were banned are never recipients.
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};

use crate::{
    domain::UserStatus,
    services::{ServiceResult, settings},
    storage,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Audience {
    /// Everyone who can be written to.
    All,
    /// Seen (wrote to the bot) within the last `days` days.
    ActiveWithin { days: u32 },
    /// On the tier named `name` (users without a tier are on the default tier).
    Tier { name: String },
    /// With a time pass that has not ended.
    HasPass,
    /// Never completed a payment.
    NeverPaid,
    /// Completed at least one payment.
    Paid,
    /// Whose language (chosen with /language, else Telegram's) is `code` (`en`, `ru`, …).
    Language { code: String },
}

/// A condition on the `users` row aliased `u`, with its parameters numbered from `first`.
pub(super) struct Filter {
    pub sql: String,
    pub values: Vec<sea_orm::Value>,
}

impl Audience {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an audience serialises")
    }

    pub fn from_json(json: &str) -> Result<Audience, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// The condition (over `users u`) selecting this audience at `now`, its parameters
    /// numbered from `first`.
    pub(super) async fn filter(
        &self,
        db: &impl ConnectionTrait,
        now: DateTime<Utc>,
        first: usize,
    ) -> ServiceResult<Filter> {
        let p = |i: usize| format!("${}", first + i);
        let reachable = format!(
            "u.status NOT IN ('{}', '{}')",
            UserStatus::Unreachable.as_str(),
            UserStatus::Banned.as_str()
        );
        let (cond, values): (String, Vec<sea_orm::Value>) = match self {
            Audience::All => ("1 = 1".into(), vec![]),
            Audience::ActiveWithin { days } => (
                format!("u.last_seen_at >= {}", p(0)),
                vec![(now - chrono::Duration::days(i64::from(*days))).into()],
            ),
            Audience::Tier { name } => {
                let default = settings::get(db, &settings::DEFAULT_TIER).await?;
                (
                    format!(
                        "(u.tier_id IN (SELECT t.id FROM tiers t WHERE t.name = {}) \
                         OR (u.tier_id IS NULL AND {} = {}))",
                        p(0),
                        p(0),
                        p(1)
                    ),
                    vec![name.clone().into(), default.into()],
                )
            }
            Audience::HasPass => (
                format!(
                    "EXISTS (SELECT 1 FROM time_passes tp WHERE tp.user_id = u.id \
                     AND tp.ends_at > {})",
                    p(0)
                ),
                vec![now.into()],
            ),
            Audience::NeverPaid => (
                "NOT EXISTS (SELECT 1 FROM orders o WHERE o.user_id = u.id \
                 AND o.paid_at IS NOT NULL)"
                    .into(),
                vec![],
            ),
            Audience::Paid => (
                "EXISTS (SELECT 1 FROM orders o WHERE o.user_id = u.id \
                 AND o.paid_at IS NOT NULL)"
                    .into(),
                vec![],
            ),
            Audience::Language { code } => {
                let code = code.trim().to_ascii_lowercase();
                (
                    format!(
                        "(u.locale = {p0} OR (u.locale IS NULL AND \
                         (LOWER(u.language_code) = {p0} OR LOWER(u.language_code) LIKE {p1})))",
                        p0 = p(0),
                        p1 = p(1)
                    ),
                    vec![code.clone().into(), format!("{code}-%").into()],
                )
            }
        };
        Ok(Filter {
            sql: format!("{reachable} AND {cond}"),
            values,
        })
    }
}

/// How many users the audience holds at `now` (for a preview before creating a campaign).
pub async fn count(
    db: &impl ConnectionTrait,
    audience: &Audience,
    now: DateTime<Utc>,
) -> ServiceResult<u64> {
    let filter = audience.filter(db, now, 1).await?;
    let rows = storage::query_all(
        db,
        &format!("SELECT COUNT(*) AS n FROM users u WHERE {}", filter.sql),
        filter.values,
    )
    .await?;
    let n: i64 = match rows.first() {
        Some(r) => r.try_get("", "n")?,
        None => 0,
    };
    Ok(n.max(0) as u64)
}

/// Inserts one `queued` delivery per audience member for `campaign_id`, due at `next_at`,
/// in one statement; returns how many.
pub(super) async fn materialise(
    conn: &impl ConnectionTrait,
    campaign_id: i64,
    audience: &Audience,
    now: DateTime<Utc>,
    next_at: DateTime<Utc>,
) -> ServiceResult<u64> {
    let filter = audience.filter(conn, now, 3).await?;
    let mut values: Vec<sea_orm::Value> = vec![campaign_id.into(), next_at.into()];
    values.extend(filter.values);
    let backend = conn.get_database_backend();
    let res = conn
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            storage::sql(
                backend,
                &format!(
                    "INSERT INTO campaign_deliveries (campaign_id, user_id, status, attempts, next_at) \
                     SELECT $1, u.id, 'queued', 0, $2 FROM users u WHERE {} ORDER BY u.id",
                    filter.sql
                ),
            ),
            values,
        ))
        .await?;
    Ok(res.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audiences_round_trip_through_json() {
        for a in [
            Audience::All,
            Audience::ActiveWithin { days: 7 },
            Audience::Tier { name: "vip".into() },
            Audience::HasPass,
            Audience::NeverPaid,
            Audience::Paid,
            Audience::Language { code: "ru".into() },
        ] {
            assert_eq!(Audience::from_json(&a.to_json()).unwrap(), a);
        }
        assert_eq!(
            Audience::ActiveWithin { days: 3 }.to_json(),
            r#"{"kind":"active_within","days":3}"#
        );
    }
}
