//! Sellers' analytics: every commercial event is recorded once ([`record`]) with its seller,
//! mode, service, plan, buyer and source, and the seller's numbers for a window of days are
//! computed from those rows ([`report`]): MRR, churn, trial conversion and revenue by source.
//!
//! "Once": each event carries a dedupe key derived from what caused it (the order for a
//! checkout, a payment or a refund's running total; the membership and its end for a renewal
//! or a churn; the buyer, service and day for a view) and is inserted with
//! `ON CONFLICT DO NOTHING`, in the transaction of the change it describes where there is one,
//! so a retried payment or a repeated sweep counts nothing twice.
//!
//! Source: what the buyer's deep link said when they opened the service's card (`direct` for
//! `s_<code>`, `promo_<CODE>` for `s_<code>_<promo>`). An order, and the payment and refund of
//! it, take the source of the buyer's latest view of the service (stored on the order); a
//! trial takes it the same way.
use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use sea_orm::ConnectionTrait;

use super::tenant::Tenant;
use crate::{
    services::ServiceResult,
    storage::{self, Db},
};

/// The source of a plain deep link (`s_<code>`) and of whatever has no known source.
pub const DIRECT: &str = "direct";

/// The windows sellers may ask for, in days.
pub const WINDOWS: [i64; 2] = [30, 90];

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    View,
    CheckoutStarted,
    Paid,
    TrialStarted,
    Renewed,
    Churned,
    Refunded,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::View => "view",
            Kind::CheckoutStarted => "checkout_started",
            Kind::Paid => "paid",
            Kind::TrialStarted => "trial_started",
            Kind::Renewed => "renewed",
            Kind::Churned => "churned",
            Kind::Refunded => "refunded",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "view" => Kind::View,
            "checkout_started" => Kind::CheckoutStarted,
            "paid" => Kind::Paid,
            "trial_started" => Kind::TrialStarted,
            "renewed" => Kind::Renewed,
            "churned" => Kind::Churned,
            "refunded" => Kind::Refunded,
            _ => return None,
        })
    }
}

/// One event to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub seller_id: i64,
    pub livemode: bool,
    pub service_id: i64,
    pub plan_id: Option<i64>,
    pub user_id: i64,
    pub kind: Kind,
    pub source: Option<String>,
    /// Money events: gross (a refund: the amount refunded by this event), and the seller's net.
    pub amount_minor: Option<i64>,
    pub net_minor: Option<i64>,
    pub currency: Option<String>,
    /// Unique: what caused the event. A second event with the same key is dropped.
    pub dedupe_key: String,
}

impl NewEvent {
    /// An event without money or source.
    pub fn new(
        seller_id: i64,
        livemode: bool,
        service_id: i64,
        user_id: i64,
        kind: Kind,
        dedupe_key: String,
    ) -> Self {
        Self {
            seller_id,
            livemode,
            service_id,
            plan_id: None,
            user_id,
            kind,
            source: None,
            amount_minor: None,
            net_minor: None,
            currency: None,
            dedupe_key,
        }
    }
}

/// The source a deep link's payload after `s_<code>` names: `direct` without one,
/// `promo_<CODE>` for a promo code (upper case, at most 32 characters of it).
pub fn source_of_link(promo: Option<&str>) -> String {
    match promo.map(str::trim).filter(|p| !p.is_empty()) {
        None => DIRECT.to_owned(),
        Some(p) => {
            let code: String = p
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .take(32)
                .collect::<String>()
                .to_ascii_uppercase();
            format!("promo_{code}")
        }
    }
}

/// Records `ev` once: nothing when an event with its dedupe key exists. True when recorded.
pub async fn record(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    ev: &NewEvent,
) -> ServiceResult<bool> {
    Ok(record_many(conn, now, std::slice::from_ref(ev)).await? == 1)
}

/// Columns per row of [`record_many`]'s statement.
const COLUMNS: usize = 12;
/// Rows per statement: well under SQLite's 32,766 and PostgreSQL's 65,535 parameters.
const ROWS_PER_STATEMENT: usize = 1000;

/// Records each of `events` once, a statement per thousand; how many were new.
pub async fn record_many(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    events: &[NewEvent],
) -> ServiceResult<u64> {
    let backend = conn.get_database_backend();
    let mut recorded = 0;
    for chunk in events.chunks(ROWS_PER_STATEMENT) {
        let rows = (0..chunk.len())
            .map(|i| format!("({})", storage::placeholders(i * COLUMNS + 1, COLUMNS)))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = storage::sql(
            backend,
            &format!(
                "INSERT INTO seller_events (seller_id, livemode, service_id, plan_id, user_id, \
                 kind, source, amount_minor, net_minor, currency, dedupe_key, created_at) \
                 VALUES {rows} ON CONFLICT (dedupe_key) DO NOTHING"
            ),
        );
        let mut values: Vec<sea_orm::Value> = Vec::with_capacity(chunk.len() * COLUMNS);
        for ev in chunk {
            values.extend([
                ev.seller_id.into(),
                ev.livemode.into(),
                ev.service_id.into(),
                ev.plan_id.into(),
                ev.user_id.into(),
                ev.kind.as_str().into(),
                ev.source.clone().into(),
                ev.amount_minor.into(),
                ev.net_minor.into(),
                ev.currency.clone().into(),
                ev.dedupe_key.clone().into(),
                now.into(),
            ]);
        }
        recorded += conn
            .execute_raw(sea_orm::Statement::from_sql_and_values(
                backend, sql, values,
            ))
            .await?
            .rows_affected();
    }
    Ok(recorded)
}

/// The source of `user`'s latest view of `service`, if they viewed it.
pub async fn latest_source(
    db: &impl ConnectionTrait,
    service_id: i64,
    user_id: i64,
) -> ServiceResult<Option<String>> {
    let rows = storage::query_all(
        db,
        "SELECT source FROM seller_events WHERE service_id = $1 AND user_id = $2 \
         AND kind = 'view' ORDER BY created_at DESC, id DESC LIMIT 1",
        vec![service_id.into(), user_id.into()],
    )
    .await?;
    match rows.first() {
        Some(row) => Ok(row.try_get::<Option<String>>("", "source")?),
        None => Ok(None),
    }
}

/// The dedupe key of a view: one per buyer, service and day.
pub fn view_key(service_id: i64, user_id: i64, now: DateTime<Utc>) -> String {
    format!("view:{service_id}:{user_id}:{}", now.format("%Y-%m-%d"))
}

/// A recorded event, as the metrics read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub service_id: i64,
    pub user_id: i64,
    pub kind: Kind,
    pub source: Option<String>,
    pub amount_minor: i64,
    pub net_minor: i64,
    pub currency: String,
    pub created_at: DateTime<Utc>,
}

/// A running paid membership, for MRR: what its latest payment was and for how many days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Running {
    pub amount_minor: i64,
    pub currency: String,
    pub period_days: i64,
}

/// MRR per currency: each running paid membership's latest payment normalised to 30 days
/// (rounded down per currency's total).
pub fn mrr(running: &[Running]) -> BTreeMap<String, i64> {
    let mut sums: BTreeMap<String, i128> = BTreeMap::new();
    for r in running.iter().filter(|r| r.period_days > 0) {
        *sums.entry(r.currency.to_ascii_uppercase()).or_default() +=
            i128::from(r.amount_minor) * 30 * 1_000_000 / i128::from(r.period_days);
    }
    sums.into_iter()
        .map(|(c, v)| (c, (v / 1_000_000) as i64))
        .collect()
}

/// Churn: memberships that ended in the window ÷ memberships active at its start, in percent
/// with one decimal; None when none was active at the start.
pub fn churn_percent(ended: u64, active_at_start: u64) -> Option<f64> {
    (active_at_start > 0).then(|| (ended as f64 * 1000.0 / active_at_start as f64).round() / 10.0)
}

/// Trial conversion: of the trials started in the window, how many were followed by a payment
/// for the same service by the same buyer (at any later time in the events given).
pub fn trial_conversion(events: &[Event]) -> (u64, u64) {
    let mut paid: HashMap<(i64, i64), DateTime<Utc>> = HashMap::new();
    for e in events.iter().filter(|e| e.kind == Kind::Paid) {
        let at = paid
            .entry((e.service_id, e.user_id))
            .or_insert(e.created_at);
        *at = (*at).max(e.created_at);
    }
    let mut trials = 0;
    let mut converted = 0;
    for e in events.iter().filter(|e| e.kind == Kind::TrialStarted) {
        trials += 1;
        if paid
            .get(&(e.service_id, e.user_id))
            .is_some_and(|at| *at >= e.created_at)
        {
            converted += 1;
        }
    }
    (trials, converted)
}

/// Revenue of one source in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRevenue {
    pub source: String,
    pub currency: String,
    pub payments: u64,
    /// Paid, before refunds.
    pub gross: i64,
    pub refunded: i64,
    /// The seller's share after the fee, less the refunded share of it.
    pub net: i64,
}

/// Payments and refunds grouped by source and currency, the biggest gross first.
pub fn revenue_by_source(events: &[Event]) -> Vec<SourceRevenue> {
    let mut by: BTreeMap<(String, String), SourceRevenue> = BTreeMap::new();
    for e in events
        .iter()
        .filter(|e| matches!(e.kind, Kind::Paid | Kind::Refunded))
    {
        let source = e.source.clone().unwrap_or_else(|| DIRECT.to_owned());
        let currency = e.currency.to_ascii_uppercase();
        let row = by
            .entry((source.clone(), currency.clone()))
            .or_insert(SourceRevenue {
                source,
                currency,
                payments: 0,
                gross: 0,
                refunded: 0,
                net: 0,
            });
        if e.kind == Kind::Paid {
            row.payments += 1;
            row.gross += e.amount_minor;
            row.net += e.net_minor;
        } else {
            row.refunded += e.amount_minor;
            row.net -= e.net_minor;
        }
    }
    let mut rows: Vec<SourceRevenue> = by.into_values().collect();
    rows.sort_by(|a, b| b.gross.cmp(&a.gross).then(a.source.cmp(&b.source)));
    rows
}

/// How many events of each kind.
pub fn counts(events: &[Event]) -> HashMap<Kind, u64> {
    let mut n = HashMap::new();
    for e in events {
        *n.entry(e.kind).or_default() += 1;
    }
    n
}

/// A seller's numbers for one window.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub days: i64,
    pub since: DateTime<Utc>,
    pub views: u64,
    pub checkouts: u64,
    pub payments: u64,
    pub trials: u64,
    pub trials_converted: u64,
    pub renewals: u64,
    pub refunds: u64,
    pub churned: u64,
    pub active_at_start: u64,
    pub churn_percent: Option<f64>,
    /// Per currency, in minor units.
    pub mrr: BTreeMap<String, i64>,
    pub by_source: Vec<SourceRevenue>,
}

impl Report {
    /// Trial conversion in percent with one decimal; None without trials.
    pub fn trial_conversion_percent(&self) -> Option<f64> {
        (self.trials > 0)
            .then(|| (self.trials_converted as f64 * 1000.0 / self.trials as f64).round() / 10.0)
    }
}

/// The tenant's numbers over the last `days` days.
pub async fn report(db: &Db, t: Tenant, now: DateTime<Utc>, days: i64) -> ServiceResult<Report> {
    let since = now - Duration::days(days);
    let rows = storage::query_all(
        db,
        "SELECT service_id, user_id, kind, source, COALESCE(amount_minor, 0) AS amount_minor, \
         COALESCE(net_minor, 0) AS net_minor, COALESCE(currency, '') AS currency, created_at \
         FROM seller_events WHERE seller_id = $1 AND livemode = $2 AND created_at >= $3 \
         ORDER BY created_at, id",
        vec![t.seller_id.into(), t.livemode.into(), since.into()],
    )
    .await?;
    let mut events = Vec::with_capacity(rows.len());
    for row in rows {
        let kind: String = row.try_get("", "kind")?;
        let Some(kind) = Kind::parse(&kind) else {
            continue;
        };
        events.push(Event {
            service_id: row.try_get("", "service_id")?,
            user_id: row.try_get("", "user_id")?,
            kind,
            source: row.try_get("", "source")?,
            amount_minor: row.try_get("", "amount_minor")?,
            net_minor: row.try_get("", "net_minor")?,
            currency: row.try_get("", "currency")?,
            created_at: row.try_get("", "created_at")?,
        });
    }
    // Running paid memberships: the latest paid order of each, and its plan's period.
    let running = storage::query_all(
        db,
        "SELECT o.amount_minor, o.currency, CAST(p.period_days AS BIGINT) AS period_days \
         FROM memberships m \
         JOIN seller_services s ON s.id = m.service_id \
         JOIN access_orders o ON o.id = (SELECT MAX(id) FROM access_orders \
           WHERE service_id = m.service_id AND user_id = m.user_id AND status = 'paid') \
         JOIN seller_plans p ON p.id = o.plan_id \
         WHERE m.seller_id = $1 AND s.livemode = $2 AND m.status = 'active' \
         AND m.ends_at > $3 AND m.source = 'tollgate'",
        vec![t.seller_id.into(), t.livemode.into(), now.into()],
    )
    .await?
    .into_iter()
    .map(|row| {
        Ok(Running {
            amount_minor: row.try_get("", "amount_minor")?,
            currency: row.try_get("", "currency")?,
            period_days: row.try_get("", "period_days")?,
        })
    })
    .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;
    // Active at the window's start: made before it and not ended (nor removed) before it.
    let active = storage::query_all(
        db,
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM memberships m \
         JOIN seller_services s ON s.id = m.service_id \
         WHERE m.seller_id = $1 AND s.livemode = $2 AND m.status <> 'pending' \
         AND m.created_at < $3 AND (m.whitelisted = $4 OR COALESCE(m.remove_at, m.ends_at) >= $3)",
        vec![
            t.seller_id.into(),
            t.livemode.into(),
            since.into(),
            true.into(),
        ],
    )
    .await?;
    let active_at_start = match active.first() {
        Some(row) => row.try_get::<i64>("", "n")?.max(0) as u64,
        None => 0,
    };
    let n = counts(&events);
    let get = |k: Kind| n.get(&k).copied().unwrap_or(0);
    let churned: HashSet<(i64, i64)> = events
        .iter()
        .filter(|e| e.kind == Kind::Churned)
        .map(|e| (e.service_id, e.user_id))
        .collect();
    let churned = churned.len() as u64;
    let (trials, trials_converted) = trial_conversion(&events);
    Ok(Report {
        days,
        since,
        views: get(Kind::View),
        checkouts: get(Kind::CheckoutStarted),
        payments: get(Kind::Paid),
        trials,
        trials_converted,
        renewals: get(Kind::Renewed),
        refunds: get(Kind::Refunded),
        churned,
        active_at_start,
        churn_percent: churn_percent(churned, active_at_start),
        mrr: mrr(&running),
        by_source: revenue_by_source(&events),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(kind: Kind, user: i64, at: i64, source: Option<&str>, amount: i64, net: i64) -> Event {
        Event {
            service_id: 1,
            user_id: user,
            kind,
            source: source.map(str::to_owned),
            amount_minor: amount,
            net_minor: net,
            currency: "usd".into(),
            created_at: DateTime::from_timestamp(at, 0).unwrap(),
        }
    }

    #[test]
    fn deep_link_payloads_name_their_source() {
        assert_eq!(source_of_link(None), "direct");
        assert_eq!(source_of_link(Some("")), "direct");
        assert_eq!(source_of_link(Some("spring-20")), "promo_SPRING-20");
        assert_eq!(source_of_link(Some("a b'c")), "promo_ABC");
    }

    #[test]
    fn mrr_normalises_each_period_to_30_days_per_currency() {
        let running = [
            Running {
                amount_minor: 999,
                currency: "usd".into(),
                period_days: 30,
            },
            Running {
                amount_minor: 300,
                currency: "USD".into(),
                period_days: 7,
            },
            Running {
                amount_minor: 3600,
                currency: "usd".into(),
                period_days: 365,
            },
            Running {
                amount_minor: 250,
                currency: "XTR".into(),
                period_days: 90,
            },
            Running {
                amount_minor: 100,
                currency: "XTR".into(),
                period_days: 0,
            },
        ];
        let m = mrr(&running);
        // 999 + 300·30/7 (1285.71) + 3600·30/365 (295.89) = 2580.6
        assert_eq!(m["USD"], 2580);
        assert_eq!(m["XTR"], 83);
        assert_eq!(m.len(), 2);
        assert!(mrr(&[]).is_empty());
    }

    #[test]
    fn churn_is_ended_over_active_at_start() {
        assert_eq!(churn_percent(1, 4), Some(25.0));
        assert_eq!(churn_percent(1, 3), Some(33.3));
        assert_eq!(churn_percent(0, 10), Some(0.0));
        assert_eq!(churn_percent(2, 0), None);
    }

    #[test]
    fn a_trial_converts_when_the_buyer_pays_after_it() {
        let events = [
            ev(Kind::TrialStarted, 1, 100, None, 0, 0),
            ev(Kind::Paid, 1, 200, None, 999, 900),
            ev(Kind::TrialStarted, 2, 100, None, 0, 0),
            // Paid before the trial: not a conversion.
            ev(Kind::Paid, 3, 50, None, 999, 900),
            ev(Kind::TrialStarted, 3, 100, None, 0, 0),
        ];
        assert_eq!(trial_conversion(&events), (3, 1));
        assert_eq!(trial_conversion(&[]), (0, 0));
    }

    #[test]
    fn revenue_splits_by_source_and_refunds_take_their_share_back() {
        let events = [
            ev(Kind::Paid, 1, 1, Some("direct"), 1000, 900),
            ev(Kind::Paid, 2, 2, None, 1000, 900),
            ev(Kind::Paid, 3, 3, Some("promo_VIP"), 800, 720),
            ev(Kind::Refunded, 3, 4, Some("promo_VIP"), 400, 360),
            ev(Kind::View, 4, 5, Some("promo_VIP"), 0, 0),
        ];
        let rows = revenue_by_source(&events);
        assert_eq!(
            rows,
            vec![
                SourceRevenue {
                    source: "direct".into(),
                    currency: "USD".into(),
                    payments: 2,
                    gross: 2000,
                    refunded: 0,
                    net: 1800,
                },
                SourceRevenue {
                    source: "promo_VIP".into(),
                    currency: "USD".into(),
                    payments: 1,
                    gross: 800,
                    refunded: 400,
                    net: 360,
                },
            ]
        );
    }
}
