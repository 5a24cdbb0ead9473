//! Bot API calls with the retry policy Telegram asks for.
//!
//! - 429 → wait `retry_after` and try again, as long as the total wait stays within budget
//!   (a flood wait of hours becomes [`TgError::RateLimited`] for the caller to reschedule);
//! - 5xx, network and unparsable answers → back off and retry a few times, except when the
//!   request may have been carried out (it was sent, and its answer never came: a timeout) by
//!   a method that must not run twice (a send, a copy, a new topic): that is
//!   [`TgError::Uncertain`], for the caller to decide (the Bot API has no way to ask whether a
//!   message was sent, so such a call is at most once from here);
//! - 403 "blocked", "deactivated", "can't initiate" → [`TgError::Unreachable`], never retried:
//!   the caller records the user as unreachable;
//! - any other 4xx → [`TgError::Rejected`], never retried.
use std::time::Duration;

use teloxide::{
    ApiError, RequestError,
    requests::{HasPayload, Output, Payload, Request},
};

use crate::metrics::Metrics;

#[derive(Debug, thiserror::Error)]
pub enum TgError {
    #[error("the user cannot be reached: {0}")]
    Unreachable(ApiError),
    #[error("Telegram refused the request: {0}")]
    Rejected(ApiError),
    #[error("Telegram asks to wait {retry_after:?} before trying again")]
    RateLimited { retry_after: Duration },
    #[error("Telegram is unavailable: {0}")]
    Unavailable(RequestError),
    /// The request was sent and its answer never came: it may have been carried out.
    #[error("no answer from Telegram; it may have been carried out: {0}")]
    Uncertain(RequestError),
}

impl TgError {
    /// Worth trying again later (from a job, say).
    pub fn is_transient(&self) -> bool {
        matches!(self, TgError::RateLimited { .. } | TgError::Unavailable(_))
    }

    /// Telegram says the message thread (forum topic) is gone.
    pub fn is_thread_not_found(&self) -> bool {
        matches!(self, TgError::Rejected(ApiError::Unknown(d)) if d.contains("message thread not found"))
    }
}

#[derive(Clone)]
pub struct Telegram {
    bot: super::AppBot,
    metrics: Metrics,
    /// None: no pacing (the emulator, tests, the benchmark).
    limiter: Option<std::sync::Arc<super::RateLimiter>>,
    /// The longest total time one call may spend waiting on 429s and back-offs.
    wait_budget: Duration,
    transient_retries: u32,
    /// Sends are paid broadcasts (`allow_paid_broadcast`): they keep to their chats' limits
    /// but not to the overall budget, which stays with everything else.
    paid: bool,
}

enum Verdict {
    Unreachable(ApiError),
    Rejected(ApiError),
    Wait(Duration),
    Transient(RequestError),
    Uncertain(RequestError),
}

/// Whether a second run of `method` (teloxide's payload name, e.g. `CopyMessage`) could do
/// its work twice (a second message, topic, link).
fn creates_something(method: &str) -> bool {
    method.starts_with("Send")
        || matches!(
            method,
            "CopyMessage"
                | "CopyMessages"
                | "ForwardMessage"
                | "ForwardMessages"
                | "CreateForumTopic"
                | "CreateChatInviteLink"
                | "CreateChatSubscriptionInviteLink"
                | "CreateInvoiceLink"
        )
}

/// [`classify`] for a call of `method`: a request that may have been carried out is not
/// repeated when repeating it could do the work twice.
fn classify_call(method: &str, err: RequestError) -> Verdict {
    let maybe_done = matches!(&err, RequestError::Network(e) if !e.is_connect() && !e.is_builder());
    match classify(err) {
        Verdict::Transient(e) if maybe_done && creates_something(method) => Verdict::Uncertain(e),
        other => other,
    }
}

fn classify(err: RequestError) -> Verdict {
    match err {
        RequestError::RetryAfter(s) => Verdict::Wait(s.duration()),
        RequestError::Api(api) => match &api {
            ApiError::BotBlocked
            | ApiError::UserDeactivated
            | ApiError::CantInitiateConversation
            | ApiError::BotKicked
            | ApiError::BotKickedFromSupergroup
            | ApiError::CantTalkWithBots => Verdict::Unreachable(api),
            // Newer Telegram texts teloxide does not name yet.
            ApiError::Unknown(d) if d.starts_with("Forbidden:") => Verdict::Unreachable(api),
            ApiError::Unknown(d)
                if d.contains("Internal Server Error")
                    || d.contains("Bad Gateway")
                    || d.contains("Gateway Timeout")
                    || d.contains("Service Unavailable")
                    || d.contains("Too Many Requests") =>
            {
                Verdict::Transient(RequestError::Api(api))
            }
            _ => Verdict::Rejected(api),
        },
        other @ (RequestError::Network(_)
        | RequestError::InvalidJson { .. }
        | RequestError::Io(_)) => Verdict::Transient(other),
        RequestError::MigrateToChatId(_) => Verdict::Rejected(ApiError::Unknown(err_text(&err))),
    }
}

fn err_text(e: &RequestError) -> String {
    e.to_string()
}

impl Telegram {
    pub fn new(bot: super::AppBot, metrics: Metrics, limits: Option<super::RateLimits>) -> Self {
        Self {
            bot,
            metrics,
            limiter: limits.map(|l| std::sync::Arc::new(super::RateLimiter::new(l))),
            wait_budget: Duration::from_secs(30),
            transient_retries: 3,
            paid: false,
        }
    }

    pub fn bot(&self) -> &super::AppBot {
        &self.bot
    }

    /// Whether a message to `chat` could go now without waiting for Telegram's limits.
    pub fn has_room(&self, chat: teloxide::types::ChatId) -> bool {
        self.limiter.as_ref().is_none_or(|l| l.has_room(chat.0))
    }

    /// This client for bulk sends (campaigns): it never waits on a 429 or retries a failure
    /// itself ([`TgError::RateLimited`] and [`TgError::Unavailable`] come back at once), so
    /// that the caller reschedules the message and holds its other sends.
    pub fn for_bulk(&self) -> Telegram {
        Telegram {
            wait_budget: Duration::ZERO,
            transient_retries: 0,
            ..self.clone()
        }
    }

    /// [`Self::for_bulk`] for paid broadcasts: sends keep to their chats' limits only; the
    /// caller paces them within its paid budget and sets `allow_paid_broadcast` on each.
    pub fn for_paid_bulk(&self) -> Telegram {
        Telegram {
            paid: true,
            ..self.for_bulk()
        }
    }

    /// Whether bulk sends (campaigns) may take a message from the overall budget now while
    /// leaving `share` of it (0..1) free for interactive sends, which never wait behind them.
    pub fn has_spare_for_bulk(&self, share: f64) -> bool {
        self.limiter
            .as_ref()
            .is_none_or(|l| l.has_spare(l.overall_burst() * share.clamp(0.0, 1.0)))
    }

    /// A request that is not a message to a chat (getMe, answerCallbackQuery, setWebhook…),
    /// retried as the module docs say.
    pub async fn call<R>(&self, req: R) -> Result<Output<R>, TgError>
    where
        R: Request<Err = RequestError> + HasPayload,
    {
        self.call_paced(None, req).await
    }

    /// A message to `chat` (send, copy, edit): paced within Telegram's limits, then retried.
    pub async fn send<R>(&self, chat: teloxide::types::ChatId, req: R) -> Result<Output<R>, TgError>
    where
        R: Request<Err = RequestError> + HasPayload,
    {
        self.call_paced(Some(chat.0), req).await
    }

    async fn call_paced<R>(&self, chat: Option<i64>, req: R) -> Result<Output<R>, TgError>
    where
        R: Request<Err = RequestError> + HasPayload,
    {
        let method = <R::Payload as Payload>::NAME;
        let mut waited = Duration::ZERO;
        let mut transient = 0u32;
        loop {
            match (&self.limiter, chat) {
                (Some(limiter), Some(chat)) if self.paid => limiter.acquire_paid(chat).await,
                (Some(limiter), Some(chat)) => limiter.acquire(chat).await,
                _ => {}
            }
            let started = std::time::Instant::now();
            let answer = req.send_ref().await;
            self.metrics.api_call_took(started.elapsed());
            let err = match answer {
                Ok(out) => {
                    self.metrics.api_call(method, "ok");
                    return Ok(out);
                }
                Err(e) => e,
            };
            match classify_call(method, err) {
                Verdict::Uncertain(e) => {
                    self.metrics.api_call(method, "uncertain");
                    tracing::warn!(method, error = %e, "no answer from Telegram; not repeated");
                    return Err(TgError::Uncertain(e));
                }
                Verdict::Unreachable(api) => {
                    self.metrics.api_call(method, "unreachable");
                    return Err(TgError::Unreachable(api));
                }
                Verdict::Rejected(api) => {
                    self.metrics.api_call(method, "rejected");
                    return Err(TgError::Rejected(api));
                }
                Verdict::Wait(d) => {
                    self.metrics.api_call(method, "rate_limited");
                    if waited + d > self.wait_budget {
                        return Err(TgError::RateLimited { retry_after: d });
                    }
                    tracing::warn!(method, retry_after = ?d, "Telegram flood wait");
                    tokio::time::sleep(d).await;
                    waited += d;
                }
                Verdict::Transient(e) => {
                    self.metrics.api_call(method, "error");
                    transient += 1;
                    let pause = Duration::from_millis(250 * (1 << transient.min(6)));
                    if transient > self.transient_retries || waited + pause > self.wait_budget {
                        return Err(TgError::Unavailable(e));
                    }
                    tracing::warn!(method, attempt = transient, error = %e, "Telegram call failed, retrying");
                    tokio::time::sleep(pause).await;
                    waited += pause;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use teloxide::{
        payloads::{CopyMessage, GetMe, SendMessage},
        types::Seconds,
    };

    use super::*;

    #[test]
    fn sends_and_copies_create_something_reads_do_not() {
        assert!(creates_something(<SendMessage as Payload>::NAME));
        assert!(creates_something(<CopyMessage as Payload>::NAME));
        assert!(!creates_something(<GetMe as Payload>::NAME));
    }

    #[test]
    fn forbidden_answers_mean_unreachable_and_are_never_retried() {
        for api in [
            ApiError::BotBlocked,
            ApiError::UserDeactivated,
            ApiError::Unknown("Forbidden: bot can't initiate conversation with a user".into()),
        ] {
            assert!(matches!(
                classify(RequestError::Api(api)),
                Verdict::Unreachable(_)
            ));
        }
    }

    #[test]
    fn flood_waits_and_server_errors_are_retried_bad_requests_are_not() {
        assert!(matches!(
            classify(RequestError::RetryAfter(Seconds::from_seconds(3))),
            Verdict::Wait(d) if d == Duration::from_secs(3)
        ));
        assert!(matches!(
            classify(RequestError::Api(ApiError::Unknown(
                "Internal Server Error".into()
            ))),
            Verdict::Transient(_)
        ));
        assert!(matches!(
            classify(RequestError::Api(ApiError::MessageNotModified)),
            Verdict::Rejected(_)
        ));
        assert!(matches!(
            classify(RequestError::Api(ApiError::Unknown(
                "Bad Request: message thread not found".into()
            ))),
            Verdict::Rejected(_)
        ));
    }
}
