//! Bot API calls with the retry policy Telegram asks for.
//!
//! - 429 → wait `retry_after` and try again, as long as the total wait stays within budget
//!   (a flood wait of hours becomes [`TgError::RateLimited`] for the caller to reschedule);
//! - 5xx, network and unparsable answers → back off and retry a few times;
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
}

enum Verdict {
    Unreachable(ApiError),
    Rejected(ApiError),
    Wait(Duration),
    Transient(RequestError),
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
        }
    }

    pub fn bot(&self) -> &super::AppBot {
        &self.bot
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
            if let (Some(limiter), Some(chat)) = (&self.limiter, chat) {
                limiter.acquire(chat).await;
            }
            let err = match req.send_ref().await {
                Ok(out) => {
                    self.metrics.api_call(method, "ok");
                    return Ok(out);
                }
                Err(e) => e,
            };
            match classify(err) {
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
    use teloxide::types::Seconds;

    use super::*;

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
