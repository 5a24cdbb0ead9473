//! A seller's numbers per day, for the chart under `/dashboard`: gross revenue in the seller's
//! main currency and new members, over a window of days. Rows are grouped per day in SQL
//! ([`storage::day_of`], as the admin analytics do), so no query loads the rows themselves;
//! every query is scoped by the seller's id.
use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::{
    services::ServiceResult,
    storage::{self, Db},
};

/// One day of the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day {
    pub day: NaiveDate,
    /// Paid orders that day in the main currency, gross, in minor units (Stars: whole Stars).
    pub gross: i64,
    /// Memberships that began that day (a first payment, trial or grant for a service).
    pub new_members: i64,
}

/// A seller's window of days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Daily {
    /// The currency with the most gross revenue in the window (`XTR` for Stars).
    pub currency: String,
    /// Every day of the window, oldest first (days without anything are zero).
    pub days: Vec<Day>,
}

/// Every day of a `window` ending today, oldest first.
fn window_days(now: DateTime<Utc>, window: i64) -> Vec<NaiveDate> {
    let today = now.date_naive();
    (0..window.max(1))
        .rev()
        .map(|back| today - Duration::days(back))
        .collect()
}

/// The seller's revenue and new members per day over the last `window` days (today included);
/// None when nothing was paid to them in the window.
pub async fn daily(
    db: &Db,
    seller_id: i64,
    now: DateTime<Utc>,
    window: i64,
) -> ServiceResult<Option<Daily>> {
    let days = window_days(now, window);
    let since = days[0].and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    let backend = db.get_database_backend();
    let paid_day = storage::day_of(backend, "paid_at");
    let revenue = format!(
        "SELECT {paid_day} AS d, currency, CAST(SUM(amount_minor) AS BIGINT) AS gross \
         FROM access_orders WHERE seller_id = $1 AND status = 'paid' AND paid_at >= $2 \
         GROUP BY {paid_day}, currency"
    );
    let mut by_currency: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for row in storage::query_all(db, &revenue, vec![seller_id.into(), since.into()]).await? {
        let currency: String = row.try_get("", "currency")?;
        by_currency
            .entry(currency.to_ascii_uppercase())
            .or_default()
            .insert(row.try_get("", "d")?, row.try_get("", "gross")?);
    }
    let Some((currency, gross)) = by_currency
        .into_iter()
        .max_by_key(|(_, days)| days.values().sum::<i64>())
    else {
        return Ok(None);
    };
    let created_day = storage::day_of(backend, "created_at");
    let members = format!(
        "SELECT {created_day} AS d, CAST(COUNT(*) AS BIGINT) AS n FROM memberships \
         WHERE seller_id = $1 AND status <> 'pending' AND created_at >= $2 GROUP BY {created_day}"
    );
    let mut joined = BTreeMap::new();
    for row in storage::query_all(db, &members, vec![seller_id.into(), since.into()]).await? {
        joined.insert(
            row.try_get::<String>("", "d")?,
            row.try_get::<i64>("", "n")?,
        );
    }
    let days = days
        .into_iter()
        .map(|day| {
            let key = day.format("%Y-%m-%d").to_string();
            Day {
                day,
                gross: gross.get(&key).copied().unwrap_or(0),
                new_members: joined.get(&key).copied().unwrap_or(0),
            }
        })
        .collect();
    Ok(Some(Daily { currency, days }))
}
