//! Usage metering: per seller, mode and UTC day, how many API calls, messages, codes, invoices
//! and drip messages. [`record`] is the one way a counter moves; every feature that sends for
//! a seller calls it with its [`Metric`] (OTPs do now; invoices and drip steps will when they
//! exist). API calls are counted by a [`Meter`] in memory and written in batches, so the API's
//! hot path does not wait on a write (SQLite has one writer).
//!
//! Limits: a seller's daily limit of a metric is their own row in `seller_limits`, else the
//! default ([`Metric::default_limit`]); sellers' platform plans will set them when they exist.
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use chrono::{DateTime, Duration, Utc};
use sea_orm::ConnectionTrait;

use crate::{
    sellers::tenant::Tenant,
    services::ServiceResult,
    storage::{self, Db},
};

/// What is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    ApiCalls,
    MessagesSent,
    Otps,
    Invoices,
    DripMessages,
}

impl Metric {
    pub const ALL: [Metric; 5] = [
        Metric::ApiCalls,
        Metric::MessagesSent,
        Metric::Otps,
        Metric::Invoices,
        Metric::DripMessages,
    ];

    fn column(self) -> &'static str {
        match self {
            Metric::ApiCalls => "api_calls",
            Metric::MessagesSent => "messages_sent",
            Metric::Otps => "otps",
            Metric::Invoices => "invoices",
            Metric::DripMessages => "drip_messages",
        }
    }

    /// The limit's name, as a 429 names it.
    pub fn limit_name(self) -> &'static str {
        match self {
            Metric::ApiCalls => "api_calls_per_day",
            Metric::MessagesSent => "messages_per_day",
            Metric::Otps => "otps_per_day",
            Metric::Invoices => "invoices_per_day",
            Metric::DripMessages => "drip_messages_per_day",
        }
    }

    /// The daily limit of a seller without their own.
    pub fn default_limit(self) -> i64 {
        match self {
            Metric::Otps => 1_000,
            Metric::ApiCalls | Metric::MessagesSent | Metric::Invoices | Metric::DripMessages => {
                i64::MAX
            }
        }
    }
}

/// The UTC day of `now`, as the counters name it.
pub fn day(now: DateTime<Utc>) -> String {
    now.format("%Y-%m-%d").to_string()
}

/// Adds `n` to the tenant's `metric` for the day of `now`.
pub async fn record(
    db: &impl ConnectionTrait,
    t: Tenant,
    now: DateTime<Utc>,
    metric: Metric,
    n: i64,
) -> ServiceResult<()> {
    record_many(db, metric, &[(t, day(now), n)]).await
}

/// Adds each row's count to its tenant's `metric` on its day, in one statement.
pub async fn record_many(
    db: &impl ConnectionTrait,
    metric: Metric,
    rows: &[(Tenant, String, i64)],
) -> ServiceResult<()> {
    let col = metric.column();
    // The metric's count, then a zero for each other counter of a new row.
    let others: Vec<&str> = Metric::ALL
        .iter()
        .map(|m| m.column())
        .filter(|c| *c != col)
        .collect();
    let zeros = vec!["0"; others.len()].join(", ");
    // 4 values a row: well under either database's parameter limit per 1,000 rows.
    for chunk in rows.chunks(1000) {
        let values_sql = (0..chunk.len())
            .map(|i| format!("({}, {zeros})", storage::placeholders(i * 4 + 1, 4)))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO usage_daily (seller_id, livemode, day, {col}, {}) VALUES {values_sql} \
             ON CONFLICT (seller_id, livemode, day) DO UPDATE SET {col} = usage_daily.{col} + excluded.{col}",
            others.join(", ")
        );
        let mut values: Vec<sea_orm::Value> = Vec::with_capacity(chunk.len() * 4);
        for (t, day, n) in chunk {
            values.extend([
                t.seller_id.into(),
                t.livemode.into(),
                day.clone().into(),
                (*n).into(),
            ]);
        }
        let backend = db.get_database_backend();
        db.execute_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            storage::sql(backend, &sql),
            values,
        ))
        .await?;
    }
    Ok(())
}

/// The tenant's count of `metric` for the day of `now`.
pub async fn today(db: &Db, t: Tenant, now: DateTime<Utc>, metric: Metric) -> ServiceResult<i64> {
    let rows = storage::query_all(
        db,
        &format!(
            "SELECT {} AS n FROM usage_daily WHERE seller_id = $1 AND livemode = $2 AND day = $3",
            metric.column()
        ),
        vec![t.seller_id.into(), t.livemode.into(), day(now).into()],
    )
    .await?;
    Ok(match rows.first() {
        Some(r) => r.try_get::<i64>("", "n")?,
        None => 0,
    })
}

/// The seller's daily limit of `metric`.
pub async fn limit(db: &Db, seller_id: i64, metric: Metric) -> ServiceResult<i64> {
    let rows = storage::query_all(
        db,
        "SELECT per_day FROM seller_limits WHERE seller_id = $1 AND metric = $2",
        vec![seller_id.into(), metric.column().into()],
    )
    .await?;
    Ok(match rows.first() {
        Some(r) => r.try_get::<i64>("", "per_day")?,
        None => metric.default_limit(),
    })
}

/// Sets the seller's own daily limit of `metric` (None: back to the default).
pub async fn set_limit(
    db: &Db,
    seller_id: i64,
    metric: Metric,
    per_day: Option<i64>,
) -> ServiceResult<()> {
    match per_day {
        Some(n) => {
            storage::query_all(
                db,
                "INSERT INTO seller_limits (seller_id, metric, per_day) VALUES ($1, $2, $3) \
                 ON CONFLICT (seller_id, metric) DO UPDATE SET per_day = excluded.per_day",
                vec![seller_id.into(), metric.column().into(), n.max(0).into()],
            )
            .await?;
        }
        None => {
            storage::query_all(
                db,
                "DELETE FROM seller_limits WHERE seller_id = $1 AND metric = $2",
                vec![seller_id.into(), metric.column().into()],
            )
            .await?;
        }
    }
    Ok(())
}

/// One day of a tenant's usage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Day {
    pub day: String,
    pub api_calls: i64,
    pub messages_sent: i64,
    pub otps: i64,
    pub invoices: i64,
    pub drip_messages: i64,
}

/// The days covered by a report.
pub const MAX_DAYS: i64 = 90;

/// The tenant's usage for the `days` days up to the day of `now`, oldest first, every day
/// listed (days without use as zeros).
pub async fn report(db: &Db, t: Tenant, now: DateTime<Utc>, days: i64) -> ServiceResult<Vec<Day>> {
    let first = now - Duration::days(days - 1);
    let rows = storage::query_all(
        db,
        "SELECT day, api_calls, messages_sent, otps, invoices, drip_messages FROM usage_daily \
         WHERE seller_id = $1 AND livemode = $2 AND day >= $3 AND day <= $4",
        vec![
            t.seller_id.into(),
            t.livemode.into(),
            day(first).into(),
            day(now).into(),
        ],
    )
    .await?;
    let mut found = HashMap::new();
    for r in rows {
        let d = Day {
            day: r.try_get("", "day")?,
            api_calls: r.try_get("", "api_calls")?,
            messages_sent: r.try_get("", "messages_sent")?,
            otps: r.try_get("", "otps")?,
            invoices: r.try_get("", "invoices")?,
            drip_messages: r.try_get("", "drip_messages")?,
        };
        found.insert(d.day.clone(), d);
    }
    Ok((0..days)
        .map(|i| {
            let d = day(first + Duration::days(i));
            found.remove(&d).unwrap_or(Day {
                day: d,
                ..Day::default()
            })
        })
        .collect())
}

/// API calls counted in memory, written by [`Meter::flush`] (every second from the app, and
/// before a usage report is read, and at shutdown). Each process writes its own counts as
/// additions, so several processes on one PostgreSQL database count correctly.
#[derive(Clone, Default)]
pub struct Meter {
    pending: Arc<Mutex<HashMap<(Tenant, String), i64>>>,
}

impl Meter {
    /// Counts one API call.
    pub fn hit(&self, t: Tenant, now: DateTime<Utc>) {
        let mut p = self.pending.lock().expect("meter lock poisoned");
        *p.entry((t, day(now))).or_default() += 1;
    }

    /// Writes what was counted; on failure the counts wait for the next flush.
    pub async fn flush(&self, db: &Db) -> ServiceResult<()> {
        let taken: Vec<(Tenant, String, i64)> = {
            let mut p = self.pending.lock().expect("meter lock poisoned");
            p.drain().map(|((t, d), n)| (t, d, n)).collect()
        };
        if taken.is_empty() {
            return Ok(());
        }
        if let Err(e) = record_many(db, Metric::ApiCalls, &taken).await {
            let mut p = self.pending.lock().expect("meter lock poisoned");
            for (t, d, n) in taken {
                *p.entry((t, d)).or_default() += n;
            }
            return Err(e);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_limits_are_named() {
        let t = chrono::DateTime::parse_from_rfc3339("2026-12-06T23:59:59Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(day(t), "2026-12-06");
        for m in Metric::ALL {
            assert!(m.limit_name().ends_with("_per_day"));
        }
        assert_eq!(Metric::Otps.default_limit(), 1_000);
    }
}
