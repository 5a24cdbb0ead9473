//! How many errors the log recorded lately, for the control center's System screen. A tracing
//! layer ([`ErrorLayer`]) notes the time of every `ERROR` event in an [`ErrorLog`] that the
//! app holds (no global: `main` attaches the layer and hands the same log to the app).
use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
};

use chrono::{DateTime, Utc};
use tracing::{Level, Subscriber};
use tracing_subscriber::{Layer, layer::Context};

/// The most error times kept (older ones go first).
const KEEP: usize = 10_000;

/// Times of recent error events.
#[derive(Clone, Default)]
pub struct ErrorLog(Arc<Mutex<VecDeque<DateTime<Utc>>>>);

impl ErrorLog {
    pub fn record(&self, at: DateTime<Utc>) {
        let mut times = self.0.lock().expect("error log lock");
        if times.len() == KEEP {
            times.pop_front();
        }
        times.push_back(at);
    }

    /// Errors recorded at or after `since`.
    pub fn count_since(&self, since: DateTime<Utc>) -> usize {
        let times = self.0.lock().expect("error log lock");
        times.iter().rev().take_while(|t| **t >= since).count()
    }

    /// The layer that fills this log.
    pub fn layer(&self) -> ErrorLayer {
        ErrorLayer(self.clone())
    }
}

/// Notes every `ERROR` event, stamped like the log line itself (wall time).
pub struct ErrorLayer(ErrorLog);

impl<S: Subscriber> Layer<S> for ErrorLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if *event.metadata().level() == Level::ERROR {
            self.0.record(Utc::now());
        }
    }
}

#[cfg(test)]
mod tests {
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    #[test]
    fn the_layer_counts_error_events_only() {
        let log = ErrorLog::default();
        let subscriber = tracing_subscriber::registry().with(log.layer());
        let before = Utc::now();
        tracing::subscriber::with_default(subscriber, || {
            tracing::error!("one");
            tracing::warn!("not an error");
            tracing::error!(code = 2, "two");
        });
        assert_eq!(log.count_since(before), 2);
        assert_eq!(
            log.count_since(Utc::now() + chrono::Duration::seconds(1)),
            0
        );
    }

    #[test]
    fn old_errors_fall_out_of_the_window() {
        let log = ErrorLog::default();
        let now = Utc::now();
        log.record(now - chrono::Duration::hours(2));
        log.record(now - chrono::Duration::minutes(5));
        assert_eq!(log.count_since(now - chrono::Duration::hours(1)), 1);
    }
}
