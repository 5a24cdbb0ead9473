//! Analytics over a window of days: growth, messages and revenue by day, revenue by product,
//! the funnel from `/start` to the first message and the first payment, and the top spenders.
//! Each is a table that renders as text and as CSV.
use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::{
    billing::orders::OrderStatus,
    services::ServiceResult,
    storage::{self, Db},
};

/// A table: a header row and data rows, every cell text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// RFC 4180 CSV: cells with commas, quotes or line breaks are quoted.
    pub fn csv(&self) -> String {
        let cell = |c: &String| {
            if c.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.clone()
            }
        };
        let mut out = String::new();
        for row in std::iter::once(&self.header).chain(&self.rows) {
            out.push_str(&row.iter().map(cell).collect::<Vec<_>>().join(","));
            out.push_str("\r\n");
        }
        out
    }
}

/// Every day of the window, oldest first.
fn days(now: DateTime<Utc>, window: i64) -> Vec<NaiveDate> {
    let today = now.date_naive();
    (0..window)
        .rev()
        .map(|back| today - Duration::days(back))
        .collect()
}

async fn per_day(
    db: &Db,
    table_and_filter: &str,
    column: &str,
    since: DateTime<Utc>,
    values: Vec<sea_orm::Value>,
) -> ServiceResult<BTreeMap<String, i64>> {
    let backend = db.get_database_backend();
    let day = storage::day_of(backend, column);
    let at = values.len() + 1;
    let query = format!(
        "SELECT {day} AS d, COUNT(*) AS n FROM {table_and_filter} AND {column} >= ${at} GROUP BY {day}"
    );
    let mut values = values;
    values.push(since.into());
    let mut out = BTreeMap::new();
    for row in storage::query_all(db, &query, values).await? {
        out.insert(
            row.try_get::<String>("", "d")?,
            row.try_get::<i64>("", "n")?,
        );
    }
    Ok(out)
}

/// New users and messages relayed, per day, over the last `window` days.
pub async fn growth(db: &Db, now: DateTime<Utc>, window: i64) -> ServiceResult<Table> {
    let since = days(now, window)[0]
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc();
    let users = per_day(db, "users WHERE 1 = 1", "created_at", since, Vec::new()).await?;
    let messages = per_day(
        db,
        "credit_ledger WHERE reason = $1",
        "created_at",
        since,
        vec!["message".into()],
    )
    .await?;
    let payments = per_day(
        db,
        "orders WHERE paid_at IS NOT NULL",
        "paid_at",
        since,
        Vec::new(),
    )
    .await?;
    let rows = days(now, window)
        .into_iter()
        .map(|d| {
            let key = d.format("%Y-%m-%d").to_string();
            let n = |m: &BTreeMap<String, i64>| m.get(&key).copied().unwrap_or(0).to_string();
            vec![key.clone(), n(&users), n(&messages), n(&payments)]
        })
        .collect();
    Ok(Table {
        header: ["day", "new_users", "charged_messages", "payments"]
            .map(String::from)
            .to_vec(),
        rows,
    })
}

const PAID: [OrderStatus; 3] = [
    OrderStatus::Paid,
    OrderStatus::PartiallyRefunded,
    OrderStatus::Refunded,
];

fn paid_in() -> String {
    PAID.iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Revenue (net of refunds) and sales per product and currency, over the last `window` days.
pub async fn revenue_by_product(db: &Db, now: DateTime<Utc>, window: i64) -> ServiceResult<Table> {
    let query = format!(
        "SELECT p.title AS title, o.currency AS currency, COUNT(*) AS sales, \
           CAST(SUM(o.amount_minor - o.refunded_minor) AS BIGINT) AS net \
         FROM orders o JOIN products p ON p.id = o.product_id \
         WHERE o.status IN ({}) AND o.paid_at >= $1 \
         GROUP BY p.title, o.currency ORDER BY net DESC, p.title",
        paid_in()
    );
    let since = now - Duration::days(window);
    let mut rows = Vec::new();
    for row in storage::query_all(db, &query, vec![since.into()]).await? {
        let currency: String = row.try_get("", "currency")?;
        let net: i64 = row.try_get("", "net")?;
        rows.push(vec![
            row.try_get::<String>("", "title")?,
            currency.to_uppercase(),
            row.try_get::<i64>("", "sales")?.to_string(),
            crate::billing::orders::format_price(net, &currency),
        ]);
    }
    Ok(Table {
        header: ["product", "currency", "sales", "net_revenue"]
            .map(String::from)
            .to_vec(),
        rows,
    })
}

/// Net revenue per day in the currency that brought the most over the last `window` days:
/// the currency and a value (in minor units) for every day of the window. None without any.
pub async fn revenue_per_day(
    db: &Db,
    now: DateTime<Utc>,
    window: i64,
) -> ServiceResult<Option<(String, Vec<(NaiveDate, i64)>)>> {
    let all_days = days(now, window);
    let since = all_days[0]
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc();
    let day = storage::day_of(db.get_database_backend(), "paid_at");
    let query = format!(
        "SELECT {day} AS d, currency, CAST(SUM(amount_minor - refunded_minor) AS BIGINT) AS net \
         FROM orders WHERE status IN ({}) AND paid_at >= $1 GROUP BY {day}, currency",
        paid_in()
    );
    let mut by_currency: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for row in storage::query_all(db, &query, vec![since.into()]).await? {
        let currency: String = row.try_get("", "currency")?;
        by_currency
            .entry(currency.to_lowercase())
            .or_default()
            .insert(row.try_get("", "d")?, row.try_get("", "net")?);
    }
    let Some((currency, per_day)) = by_currency
        .into_iter()
        .max_by_key(|(_, days)| days.values().sum::<i64>())
    else {
        return Ok(None);
    };
    let points = all_days
        .into_iter()
        .map(|d| {
            let key = d.format("%Y-%m-%d").to_string();
            (d, per_day.get(&key).copied().unwrap_or(0))
        })
        .collect();
    Ok(Some((currency, points)))
}

/// Of the users who first came in the last `window` days: how many, how many wrote a message
/// to the team, how many paid.
pub async fn funnel(db: &Db, now: DateTime<Utc>, window: i64) -> ServiceResult<Table> {
    let since = now - Duration::days(window);
    let count = |query: String| async move {
        let rows = storage::query_all(db, &query, vec![since.into()]).await?;
        Ok::<i64, crate::services::ServiceError>(match rows.first() {
            Some(row) => row.try_get("", "n")?,
            None => 0,
        })
    };
    let started =
        count("SELECT COUNT(*) AS n FROM users u WHERE u.created_at >= $1".into()).await?;
    let wrote = count(
        "SELECT COUNT(*) AS n FROM users u WHERE u.created_at >= $1 AND EXISTS \
           (SELECT 1 FROM relay_messages r WHERE r.user_id = u.id AND r.direction = 'in')"
            .into(),
    )
    .await?;
    let paid = count(format!(
        "SELECT COUNT(*) AS n FROM users u WHERE u.created_at >= $1 AND EXISTS \
           (SELECT 1 FROM orders o WHERE o.user_id = u.id AND o.status IN ({}))",
        paid_in()
    ))
    .await?;
    let share = |n: i64| {
        if started == 0 {
            "0%".to_owned()
        } else {
            format!("{}%", n * 100 / started)
        }
    };
    Ok(Table {
        header: ["step", "users", "of_started"].map(String::from).to_vec(),
        rows: vec![
            vec!["started".into(), started.to_string(), share(started)],
            vec!["first_message".into(), wrote.to_string(), share(wrote)],
            vec!["first_payment".into(), paid.to_string(), share(paid)],
        ],
    })
}

/// The users who spent most (net of refunds) over the last `window` days, per currency.
pub async fn top_spenders(
    db: &Db,
    now: DateTime<Utc>,
    window: i64,
    limit: u32,
) -> ServiceResult<Table> {
    let query = format!(
        "SELECT o.user_id AS user_id, u.first_name AS name, o.currency AS currency, \
           CAST(SUM(o.amount_minor - o.refunded_minor) AS BIGINT) AS net, COUNT(*) AS orders \
         FROM orders o JOIN users u ON u.id = o.user_id \
         WHERE o.status IN ({}) AND o.paid_at >= $1 \
         GROUP BY o.user_id, u.first_name, o.currency ORDER BY net DESC, o.user_id LIMIT {limit}",
        paid_in()
    );
    let since = now - Duration::days(window);
    let mut rows = Vec::new();
    for row in storage::query_all(db, &query, vec![since.into()]).await? {
        let currency: String = row.try_get("", "currency")?;
        rows.push(vec![
            row.try_get::<i64>("", "user_id")?.to_string(),
            row.try_get::<String>("", "name")?,
            currency.to_uppercase(),
            row.try_get::<i64>("", "orders")?.to_string(),
            crate::billing::orders::format_price(row.try_get("", "net")?, &currency),
        ]);
    }
    Ok(Table {
        header: ["user_id", "name", "currency", "orders", "net_spent"]
            .map(String::from)
            .to_vec(),
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let t = Table {
            header: vec!["a".into(), "b".into()],
            rows: vec![
                vec!["x, y".into(), "say \"hi\"".into()],
                vec!["1".into(), "2".into()],
            ],
        };
        assert_eq!(t.csv(), "a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\r\n1,2\r\n");
    }

    #[test]
    fn a_window_lists_every_day_oldest_first() {
        let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 3, 2, 10, 0, 0).unwrap();
        let d = days(now, 3);
        assert_eq!(
            d.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
            ["2026-02-28", "2026-03-01", "2026-03-02"]
        );
    }
}
