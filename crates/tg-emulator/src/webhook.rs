//! Webhook delivery: POST each update in order, retry non-2xx with back-off.

use std::sync::Arc;
use std::time::Duration;

use crate::Inner;
use crate::state::now;

/// Attempts per update before it is dropped (Telegram gives up eventually too).
const MAX_ATTEMPTS: u32 = 6;

pub(crate) fn spawn_delivery(inner: Arc<Inner>) {
    let generation = match inner.world.lock().expect("world lock").webhook.as_ref() {
        Some(h) => h.generation,
        None => return,
    };
    tokio::spawn(async move {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap_or_default();
        let mut attempts = 0u32;
        loop {
            if inner.is_shut_down() {
                return;
            }
            let notify = inner
                .world
                .lock()
                .expect("world lock")
                .updates_notify
                .clone();
            let notified = notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let next = {
                let w = inner.world.lock().expect("world lock");
                match &w.webhook {
                    Some(h) if h.generation == generation => {}
                    _ => return,
                }
                let h = w.webhook.as_ref().expect("checked");
                w.updates
                    .front()
                    .map(|(id, _, v)| (*id, v.clone(), h.url.clone(), h.secret_token.clone()))
            };
            let Some((id, body, url, secret)) = next else {
                tokio::select! {
                    _ = notified => {}
                    _ = inner.shutdown_notify.notified() => return,
                    // Re-check the generation now and then.
                    _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                }
                continue;
            };
            let mut req = client.post(&url).json(&body);
            if let Some(s) = &secret {
                req = req.header("X-Telegram-Bot-Api-Secret-Token", s);
            }
            let outcome = match req.send().await {
                Ok(r) if r.status().is_success() => Ok(()),
                Ok(r) => Err(format!("Wrong response from the webhook: {}", r.status())),
                Err(e) => Err(format!("Connection failed: {e}")),
            };
            let still_ours = {
                let mut w = inner.world.lock().expect("world lock");
                let still_ours = w
                    .webhook
                    .as_ref()
                    .is_some_and(|h| h.generation == generation);
                match outcome {
                    Ok(()) => {
                        attempts = 0;
                        if w.updates.front().is_some_and(|(fid, _, _)| *fid == id) {
                            w.updates.pop_front();
                            w.delivered_count += 1;
                            w.max_delivered_update = w.max_delivered_update.max(id);
                        }
                        w.messages_notify.notify_waiters();
                    }
                    Err(msg) => {
                        attempts += 1;
                        if let Some(h) = w.webhook.as_mut().filter(|_| still_ours) {
                            h.last_error_date = Some(now());
                            h.last_error_message = Some(msg);
                        }
                        if attempts >= MAX_ATTEMPTS {
                            attempts = 0;
                            if w.updates.front().is_some_and(|(fid, _, _)| *fid == id) {
                                w.updates.pop_front();
                            }
                        }
                    }
                }
                still_ours
            };
            if !still_ours {
                return;
            }
            if attempts > 0 {
                let backoff = Duration::from_millis(50 * (1u64 << attempts.min(6)));
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = inner.shutdown_notify.notified() => return,
                }
            }
        }
    });
}
