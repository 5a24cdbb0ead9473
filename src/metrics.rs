//! Prometheus metrics, as an injected registry.
//!
//! The `metrics` crate keeps its recorder in a process-wide global; every test here starts its
//! own app in the same process, so a global would mix their counts. This small registry lives
//! in the app state instead and renders the Prometheus text format itself.
use std::{
    collections::BTreeMap,
    fmt::Write,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use tokio::sync::Notify;

const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, took: Duration) {
        let secs = took.as_secs_f64();
        for (i, le) in BUCKETS.iter().enumerate() {
            if secs <= *le {
                self.counts[i] += 1;
            }
        }
        self.count += 1;
        self.sum += secs;
    }

    /// The upper bound of the bucket holding the `q` quantile (None: nothing observed, or it
    /// is above the last bucket).
    fn quantile(&self, q: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let want = (self.count as f64 * q).ceil() as u64;
        BUCKETS
            .iter()
            .zip(self.counts)
            .find(|(_, n)| *n >= want)
            .map(|(le, _)| *le)
    }

    fn render(&self, out: &mut String, name: &str) {
        for (i, le) in BUCKETS.iter().enumerate() {
            let _ = writeln!(out, "{name}_bucket{{le=\"{le}\"}} {}", self.counts[i]);
        }
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", self.count);
        let _ = writeln!(out, "{name}_sum {}", self.sum);
        let _ = writeln!(out, "{name}_count {}", self.count);
    }
}

/// Bot API latency: how many calls, and the bucket bounds of their median and 95th percentile.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ApiLatency {
    pub calls: u64,
    pub p50: Option<Duration>,
    pub p95: Option<Duration>,
}

#[derive(Default)]
struct Inner {
    /// Keyed by static names: counting an update or a call allocates nothing.
    updates: Mutex<BTreeMap<&'static str, u64>>,
    latency: Mutex<Histogram>,
    api_latency: Mutex<Histogram>,
    api_calls: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    jobs: Mutex<BTreeMap<(String, String), u64>>,
    handled: AtomicU64,
    handled_changed: Notify,
}

#[derive(Clone, Default)]
pub struct Metrics(Arc<Inner>);

fn bump<K: Ord>(map: &Mutex<BTreeMap<K, u64>>, key: K) {
    *map.lock().expect("metrics lock").entry(key).or_default() += 1;
}

impl Metrics {
    pub fn update_received(&self, kind: &'static str) {
        bump(&self.0.updates, kind);
    }

    /// One update went all the way through the handlers.
    pub fn update_handled(&self, took: Duration) {
        self.0.latency.lock().expect("metrics lock").observe(took);
        self.0.handled.fetch_add(1, Ordering::SeqCst);
        self.0.handled_changed.notify_waiters();
    }

    pub fn api_call(&self, method: &'static str, outcome: &'static str) {
        bump(&self.0.api_calls, (method, outcome));
    }

    /// One Bot API request took this long (from sending it to its answer, retries apart).
    pub fn api_call_took(&self, took: Duration) {
        self.0
            .api_latency
            .lock()
            .expect("metrics lock")
            .observe(took);
    }

    pub fn api_latency(&self) -> ApiLatency {
        let h = self.0.api_latency.lock().expect("metrics lock");
        ApiLatency {
            calls: h.count,
            p50: h.quantile(0.5).map(Duration::from_secs_f64),
            p95: h.quantile(0.95).map(Duration::from_secs_f64),
        }
    }

    /// A job run of `kind` ended with `outcome` (`done`, `retry` or `dead`).
    pub fn job_ran(&self, kind: &str, outcome: &str) {
        bump(&self.0.jobs, (kind.to_owned(), outcome.to_owned()));
    }

    /// Updates handled since start.
    pub fn handled(&self) -> u64 {
        self.0.handled.load(Ordering::SeqCst)
    }

    /// Waits until at least `n` updates have been handled; false on timeout.
    pub async fn wait_handled(&self, n: u64, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let changed = self.0.handled_changed.notified();
            if self.handled() >= n {
                return true;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                return self.handled() >= n;
            }
        }
    }

    /// Bot API calls since start, by outcome (`ok`, `rate_limited`, `error`, …), all methods.
    pub fn api_outcomes(&self) -> BTreeMap<&'static str, u64> {
        let mut out = BTreeMap::new();
        for ((_, outcome), n) in self.0.api_calls.lock().expect("metrics lock").iter() {
            *out.entry(*outcome).or_default() += n;
        }
        out
    }

    pub fn api_call_count(&self, method: &str, outcome: &str) -> u64 {
        self.0
            .api_calls
            .lock()
            .expect("metrics lock")
            .iter()
            .find(|((m, o), _)| *m == method && *o == outcome)
            .map_or(0, |(_, n)| *n)
    }

    /// The Prometheus text exposition; `job_states` are read from the database by the caller.
    pub fn render(&self, job_states: &[(String, u64)]) -> String {
        let mut out = String::new();
        out.push_str("# HELP tollgate_updates_total Telegram updates received, by kind.\n");
        out.push_str("# TYPE tollgate_updates_total counter\n");
        for (kind, n) in self.0.updates.lock().expect("metrics lock").iter() {
            let _ = writeln!(out, "tollgate_updates_total{{kind=\"{kind}\"}} {n}");
        }
        out.push_str("# HELP tollgate_handler_seconds Time to handle one update.\n");
        out.push_str("# TYPE tollgate_handler_seconds histogram\n");
        self.0
            .latency
            .lock()
            .expect("metrics lock")
            .render(&mut out, "tollgate_handler_seconds");
        out.push_str("# HELP tollgate_bot_api_seconds Time of one Bot API request.\n");
        out.push_str("# TYPE tollgate_bot_api_seconds histogram\n");
        self.0
            .api_latency
            .lock()
            .expect("metrics lock")
            .render(&mut out, "tollgate_bot_api_seconds");
        out.push_str("# HELP tollgate_bot_api_calls_total Bot API calls, by method and outcome.\n");
        out.push_str("# TYPE tollgate_bot_api_calls_total counter\n");
        for ((method, outcome), n) in self.0.api_calls.lock().expect("metrics lock").iter() {
            let _ = writeln!(
                out,
                "tollgate_bot_api_calls_total{{method=\"{method}\",outcome=\"{outcome}\"}} {n}"
            );
        }
        out.push_str("# HELP tollgate_jobs_run_total Background job runs, by kind and outcome.\n");
        out.push_str("# TYPE tollgate_jobs_run_total counter\n");
        for ((kind, outcome), n) in self.0.jobs.lock().expect("metrics lock").iter() {
            let _ = writeln!(
                out,
                "tollgate_jobs_run_total{{kind=\"{kind}\",outcome=\"{outcome}\"}} {n}"
            );
        }
        out.push_str("# HELP tollgate_jobs Background jobs in the outbox, by status.\n");
        out.push_str("# TYPE tollgate_jobs gauge\n");
        for (status, n) in job_states {
            let _ = writeln!(out, "tollgate_jobs{{status=\"{status}\"}} {n}");
        }
        out
    }

    /// The relay backlog's gauges: messages waiting for the admin group, and how long the
    /// oldest has waited (0 when none waits). Read from the database by the caller.
    pub fn render_relay_backlog(waiting: u64, oldest_seconds: i64) -> String {
        format!(
            "# HELP tollgate_relay_backlog Relayed messages waiting for the admin group.\n\
             # TYPE tollgate_relay_backlog gauge\n\
             tollgate_relay_backlog {waiting}\n\
             # HELP tollgate_relay_backlog_oldest_seconds How long the oldest waiting message has waited.\n\
             # TYPE tollgate_relay_backlog_oldest_seconds gauge\n\
             tollgate_relay_backlog_oldest_seconds {}\n",
            oldest_seconds.max(0)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text_with_every_family() {
        let m = Metrics::default();
        m.update_received("message");
        m.update_received("message");
        m.update_handled(Duration::from_millis(3));
        m.api_call("SendMessage", "ok");
        let text = m.render(&[("queued".into(), 2)]);
        assert!(text.contains("tollgate_updates_total{kind=\"message\"} 2"));
        assert!(text.contains("tollgate_handler_seconds_bucket{le=\"0.005\"} 1"));
        assert!(text.contains("tollgate_handler_seconds_bucket{le=\"0.001\"} 0"));
        assert!(text.contains("tollgate_handler_seconds_count 1"));
        assert!(
            text.contains("tollgate_bot_api_calls_total{method=\"SendMessage\",outcome=\"ok\"} 1")
        );
        assert!(text.contains("tollgate_jobs{status=\"queued\"} 2"));
        let backlog = Metrics::render_relay_backlog(3, 42);
        assert!(backlog.contains("tollgate_relay_backlog 3\n"));
        assert!(backlog.contains("tollgate_relay_backlog_oldest_seconds 42\n"));
    }

    #[test]
    fn bot_api_latency_is_a_histogram_with_its_quantiles() {
        let m = Metrics::default();
        assert_eq!(m.api_latency().p50, None);
        for ms in [2, 3, 4, 40, 600] {
            m.api_call_took(Duration::from_millis(ms));
        }
        let l = m.api_latency();
        assert_eq!(l.calls, 5);
        assert_eq!(l.p50, Some(Duration::from_secs_f64(0.005)));
        assert_eq!(l.p95, Some(Duration::from_secs_f64(1.0)));
        let text = m.render(&[]);
        assert!(text.contains("tollgate_bot_api_seconds_count 5"), "{text}");
        assert!(
            text.contains("tollgate_bot_api_seconds_bucket{le=\"0.005\"} 3"),
            "{text}"
        );
    }
}
