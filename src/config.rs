//! The configuration contract: environment variables, each also a flag.
//!
//! clap only collects raw strings; [`Config::from_raw`] parses them into types and, on the
//! first bad value, returns a [`ConfigError`] that names the variable and what is wrong with
//! it. Secrets are wrapped in [`Secret`], whose `Debug` never shows the value.
use std::{fmt, net::SocketAddr};

use base64::Engine;
use clap::Args;
use url::Url;

use crate::{i18n::Locale, telegram::RateLimits};

/// Raw values as given on the command line or in the environment (`.env` included).
#[derive(Args, Clone, Default)]
pub struct RawConfig {
    /// Telegram bot token from BotFather.
    #[arg(long, env = "BOT_TOKEN", hide_env_values = true, global = true)]
    pub bot_token: Option<String>,
    /// Bot API base URL (a local Bot API server or the emulator).
    #[arg(long, env = "TELEGRAM_API_URL", global = true)]
    pub telegram_api_url: Option<String>,
    /// `sqlite://…` or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true)]
    pub database_url: Option<String>,
    /// Enables Redis-backed dialogue state.
    #[arg(long, env = "REDIS_URL", hide_env_values = true, global = true)]
    pub redis_url: Option<String>,
    /// The admin group (a forum supergroup is best); several, comma separated, share the
    /// users between them.
    #[arg(long, env = "ADMIN_CHAT_ID", global = true, allow_hyphen_values = true)]
    pub admin_chat_id: Option<String>,
    /// Telegram's sending limits the bot keeps to: `default`, `off` (a local Bot API server
    /// or the emulator only), or e.g. `overall=30/s,chat=1/s,group=20/min,group_burst=5`.
    #[arg(long, env = "TELEGRAM_LIMITS", global = true)]
    pub telegram_limits: Option<String>,
    /// The most campaign messages (broadcasts, gifts) sent per second, within Telegram's
    /// overall limit and always leaving part of it to replies (default 30).
    #[arg(long, env = "BROADCAST_RATE", global = true)]
    pub broadcast_rate: Option<String>,
    /// The most campaign messages sent per second while paid broadcast is switched on (the
    /// `paid_broadcast` setting); Telegram allows up to 1000 (default 1000).
    #[arg(long, env = "PAID_BROADCAST_RATE", global = true)]
    pub paid_broadcast_rate: Option<String>,
    /// Extra admin user ids, comma separated.
    #[arg(long, env = "ADMIN_USER_IDS", global = true)]
    pub admin_user_ids: Option<String>,
    /// Where the HTTP server listens.
    #[arg(long, env = "HTTP_ADDR", global = true)]
    pub http_addr: Option<String>,
    /// Public base URL: enables webhook mode and Stripe return URLs.
    #[arg(long, env = "PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// Checked against X-Telegram-Bot-Api-Secret-Token in webhook mode.
    #[arg(
        long,
        env = "TELEGRAM_WEBHOOK_SECRET",
        hide_env_values = true,
        global = true
    )]
    pub telegram_webhook_secret: Option<String>,
    /// Platform Stripe key (Stripe is off without it).
    #[arg(long, env = "STRIPE_SECRET_KEY", hide_env_values = true, global = true)]
    pub stripe_secret_key: Option<String>,
    /// Verifies Stripe-Signature on webhooks.
    #[arg(
        long,
        env = "STRIPE_WEBHOOK_SECRET",
        hide_env_values = true,
        global = true
    )]
    pub stripe_webhook_secret: Option<String>,
    /// Stripe API base URL.
    #[arg(long, env = "STRIPE_API_BASE", global = true)]
    pub stripe_api_base: Option<String>,
    /// Native Telegram invoices through a payment provider (Stars need none).
    #[arg(
        long,
        env = "TELEGRAM_PAYMENT_PROVIDER_TOKEN",
        hide_env_values = true,
        global = true
    )]
    pub telegram_payment_provider_token: Option<String>,
    /// 32 bytes, base64: seals seller secrets at rest.
    #[arg(long, env = "ENCRYPTION_KEY", hide_env_values = true, global = true)]
    pub encryption_key: Option<String>,
    /// Sellers' webhook endpoints may be http:// and local or private addresses (development
    /// and tests only): `true` or `false` (default).
    #[arg(long, env = "WEBHOOK_ALLOW_LOCAL", global = true)]
    pub webhook_allow_local: Option<String>,
    /// The first pause before a failed webhook delivery is tried again (e.g. `4m`, `30s`,
    /// `50ms`); each later pause is three times the one before.
    #[arg(long, env = "WEBHOOK_RETRY_BASE", global = true)]
    pub webhook_retry_base: Option<String>,
    /// Fallback language.
    #[arg(long, env = "DEFAULT_LOCALE", global = true)]
    pub default_locale: Option<String>,
    /// `pretty` or `json`.
    #[arg(long, env = "LOG_FORMAT", global = true)]
    pub log_format: Option<String>,
}

/// A value that must never reach a log line.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone)]
pub struct StripeConfig {
    pub secret_key: Option<Secret>,
    pub webhook_secret: Secret,
    pub api_base: Url,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub bot_token: Option<Secret>,
    pub telegram_api_url: Url,
    pub database_url: Secret,
    pub redis_url: Option<Secret>,
    /// The first admin group (command menus, notes about users without a group go there).
    pub admin_chat_id: Option<i64>,
    /// Every admin group; each user is served in one of them (see [`Config::admin_group_for`]).
    pub admin_chat_ids: Vec<i64>,
    pub admin_user_ids: Vec<i64>,
    /// None: unpaced (a local Bot API server or the emulator).
    pub telegram_limits: Option<RateLimits>,
    /// Campaign messages per second at most (`BROADCAST_RATE`).
    pub broadcast_rate: f64,
    /// Campaign messages per second at most while paid broadcast is on
    /// (`PAID_BROADCAST_RATE`).
    pub paid_broadcast_rate: f64,
    pub http_addr: SocketAddr,
    pub public_url: Option<Url>,
    pub telegram_webhook_secret: Option<Secret>,
    pub stripe: Option<StripeConfig>,
    pub telegram_payment_provider_token: Option<Secret>,
    pub encryption_key: Option<Secret>,
    /// Sellers' outgoing webhooks (`WEBHOOK_ALLOW_LOCAL`, `WEBHOOK_RETRY_BASE`).
    pub webhooks: WebhookConfig,
    pub default_locale: Locale,
    pub log_format: LogFormat,
}

/// Sellers' outgoing webhooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookConfig {
    /// http:// and loopback, private and link-local addresses are accepted (development).
    pub allow_local: bool,
    /// The pause after a delivery's first failure; each later one is three times longer.
    pub retry_base: std::time::Duration,
}

/// With 8 tries, pauses of 4, 12, 36 minutes, … add up to about three days.
pub const DEFAULT_WEBHOOK_RETRY_BASE: std::time::Duration = std::time::Duration::from_secs(240);

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            allow_local: false,
            retry_base: DEFAULT_WEBHOOK_RETRY_BASE,
        }
    }
}

/// `true`/`false` (also `1`/`0`, `yes`/`no`).
fn parse_bool(variable: &'static str, raw: &str) -> Result<bool, ConfigError> {
    match raw.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        other => Err(bad(variable, format!("'{other}' is not true or false"))),
    }
}

/// A positive duration with a unit: `50ms`, `30s`, `4m`, `1h`.
fn parse_duration(variable: &'static str, raw: &str) -> Result<std::time::Duration, ConfigError> {
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (n, unit) = raw.split_at(split);
    let n: u64 = n.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
        bad(
            variable,
            format!("'{raw}' is not a positive duration like 4m"),
        )
    })?;
    let ms = match unit.trim() {
        "ms" => n,
        "s" => n.saturating_mul(1000),
        "m" => n.saturating_mul(60_000),
        "h" => n.saturating_mul(3_600_000),
        other => {
            return Err(bad(
                variable,
                format!("unit '{other}' (use ms, s, m or h, e.g. 4m)"),
            ));
        }
    };
    if ms > 86_400_000 {
        return Err(bad(variable, "at most 24h"));
    }
    Ok(std::time::Duration::from_millis(ms))
}

/// Campaign messages per second when `BROADCAST_RATE` is not set.
pub const DEFAULT_BROADCAST_RATE: f64 = 30.0;
/// The highest `BROADCAST_RATE` taken: a local Bot API server (or the emulator, in the
/// broadcast benchmark) may allow thousands a second.
pub const MAX_BROADCAST_RATE: f64 = 100_000.0;
/// Paid broadcast messages per second when `PAID_BROADCAST_RATE` is not set: Telegram's
/// ceiling for them.
pub const DEFAULT_PAID_BROADCAST_RATE: f64 = 1000.0;
/// The highest `PAID_BROADCAST_RATE` taken against Telegram itself (a local Bot API server
/// or the emulator take up to [`MAX_BROADCAST_RATE`]).
pub const MAX_PAID_BROADCAST_RATE: f64 = 1000.0;

/// One clear line: which variable, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

fn bad(variable: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        problem: problem.into(),
    }
}

/// An empty value counts as unset (docker-compose and `.env` files often carry `X=`).
fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn parse_url(variable: &'static str, raw: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(raw).map_err(|e| bad(variable, format!("not a valid URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad(variable, "must be an http:// or https:// URL"));
    }
    Ok(url)
}

fn is_token_charset(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// `TELEGRAM_LIMITS`: `default`, `off`, or `key=value` pairs over the defaults (rates as
/// `N/s` or `N/min`; bursts as whole numbers).
fn parse_limits(raw: &str, api: &Url) -> Result<Option<RateLimits>, ConfigError> {
    const VAR: &str = "TELEGRAM_LIMITS";
    match raw {
        "default" => return Ok(Some(RateLimits::default())),
        "off" => {
            if api.host_str() == Some("api.telegram.org") {
                return Err(bad(
                    VAR,
                    "'off' is only for a local Bot API server or the emulator \
                     (set TELEGRAM_API_URL); Telegram itself answers 429 to an unpaced bot",
                ));
            }
            return Ok(None);
        }
        _ => {}
    }
    let mut l = RateLimits::default();
    for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| bad(VAR, format!("'{pair}' is not key=value")))?;
        let (key, value) = (key.trim(), value.trim());
        let rate = |v: &str| -> Result<f64, ConfigError> {
            let (n, unit) = v
                .split_once('/')
                .ok_or_else(|| bad(VAR, format!("{key}: '{v}' is not a rate like 20/min")))?;
            let n: f64 = n
                .trim()
                .parse()
                .ok()
                .filter(|n: &f64| n.is_finite() && *n > 0.0)
                .ok_or_else(|| bad(VAR, format!("{key}: '{n}' is not a positive number")))?;
            match unit.trim() {
                "s" => Ok(n),
                "min" => Ok(n / 60.0),
                other => Err(bad(VAR, format!("{key}: unit '{other}' (use s or min)"))),
            }
        };
        let burst = |v: &str| -> Result<f64, ConfigError> {
            v.parse::<u32>()
                .ok()
                .filter(|n| *n >= 1)
                .map(f64::from)
                .ok_or_else(|| bad(VAR, format!("{key}: '{v}' is not a whole number ≥ 1")))
        };
        match key {
            "overall" => l.overall_per_sec = rate(value)?,
            "chat" => l.chat_per_sec = rate(value)?,
            "group" => l.group_per_min = rate(value)? * 60.0,
            "overall_burst" => l.overall_burst = burst(value)?,
            "chat_burst" => l.chat_burst = burst(value)?,
            "group_burst" => l.group_burst = burst(value)?,
            other => {
                return Err(bad(
                    VAR,
                    format!(
                        "unknown limit '{other}' (overall, chat, group, overall_burst, \
                         chat_burst, group_burst)"
                    ),
                ));
            }
        }
    }
    Ok(Some(l))
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://tollgate.db?mode=rwc";
pub const DEFAULT_HTTP_ADDR: &str = "127.0.0.1:8080";
pub const DEFAULT_TELEGRAM_API_URL: &str = "https://api.telegram.org";
pub const DEFAULT_STRIPE_API_BASE: &str = "https://api.stripe.com/";

impl Config {
    pub fn from_raw(raw: &RawConfig) -> Result<Self, ConfigError> {
        let bot_token = match present(&raw.bot_token) {
            None => None,
            Some(t) => {
                let (id, secret) = t.split_once(':').unwrap_or(("", ""));
                if id.is_empty()
                    || !id.bytes().all(|b| b.is_ascii_digit())
                    || secret.is_empty()
                    || !is_token_charset(secret)
                {
                    return Err(bad(
                        "BOT_TOKEN",
                        "malformed: expected <bot id>:<secret> as BotFather gives it",
                    ));
                }
                Some(Secret::new(t))
            }
        };

        let telegram_api_url = parse_url(
            "TELEGRAM_API_URL",
            present(&raw.telegram_api_url).unwrap_or(DEFAULT_TELEGRAM_API_URL),
        )?;

        let database_url = present(&raw.database_url).unwrap_or(DEFAULT_DATABASE_URL);
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(bad(
                "DATABASE_URL",
                "must start with sqlite: or postgres:// (e.g. sqlite://tollgate.db?mode=rwc)",
            ));
        }

        let redis_url = match present(&raw.redis_url) {
            None => None,
            Some(u) if u.starts_with("redis://") || u.starts_with("rediss://") => {
                Some(Secret::new(u))
            }
            Some(_) => {
                return Err(bad("REDIS_URL", "must start with redis:// or rediss://"));
            }
        };

        let admin_chat_ids: Vec<i64> = match present(&raw.admin_chat_id) {
            None => Vec::new(),
            Some(list) => {
                let mut ids = Vec::new();
                for v in list.split(',').map(str::trim).filter(|v| !v.is_empty()) {
                    let id: i64 = v.parse().map_err(|_| {
                        bad("ADMIN_CHAT_ID", format!("'{v}' is not a whole number"))
                    })?;
                    if id >= 0 {
                        return Err(bad(
                            "ADMIN_CHAT_ID",
                            "must be a group id, which is negative (e.g. -1001234567890)",
                        ));
                    }
                    if ids.contains(&id) {
                        return Err(bad("ADMIN_CHAT_ID", format!("{id} is listed twice")));
                    }
                    ids.push(id);
                }
                ids
            }
        };
        let admin_chat_id = admin_chat_ids.first().copied();

        let telegram_limits = parse_limits(
            present(&raw.telegram_limits).unwrap_or("default"),
            &telegram_api_url,
        )?;

        let broadcast_rate = match present(&raw.broadcast_rate) {
            None => DEFAULT_BROADCAST_RATE,
            Some(v) => match v.trim_end_matches("/s").trim().parse::<f64>() {
                Ok(r) if r.is_finite() && r > 0.0 && r <= MAX_BROADCAST_RATE => r,
                _ => {
                    return Err(bad(
                        "BROADCAST_RATE",
                        format!(
                            "'{v}' is not a number of messages a second from 0.1 to \
                             {MAX_BROADCAST_RATE}"
                        ),
                    ));
                }
            },
        };

        let paid_broadcast_rate = {
            let max = if telegram_api_url.host_str() == Some("api.telegram.org") {
                MAX_PAID_BROADCAST_RATE
            } else {
                MAX_BROADCAST_RATE
            };
            match present(&raw.paid_broadcast_rate) {
                None => DEFAULT_PAID_BROADCAST_RATE.min(max),
                Some(v) => match v.trim_end_matches("/s").trim().parse::<f64>() {
                    Ok(r) if r.is_finite() && r > 0.0 && r <= max => r,
                    _ => {
                        return Err(bad(
                            "PAID_BROADCAST_RATE",
                            format!(
                                "'{v}' is not a number of messages a second from 0.1 to {max} \
                                 (Telegram allows 1000; more only with a local Bot API server)"
                            ),
                        ));
                    }
                },
            }
        };

        let admin_user_ids = match present(&raw.admin_user_ids) {
            None => Vec::new(),
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| match s.parse::<i64>() {
                    Ok(id) if id > 0 => Ok(id),
                    _ => Err(bad(
                        "ADMIN_USER_IDS",
                        format!("'{s}' is not a Telegram user id (a positive whole number)"),
                    )),
                })
                .collect::<Result<_, _>>()?,
        };

        let http_addr_raw = present(&raw.http_addr).unwrap_or(DEFAULT_HTTP_ADDR);
        let http_addr: SocketAddr = http_addr_raw.parse().map_err(|_| {
            bad(
                "HTTP_ADDR",
                format!("'{http_addr_raw}' is not an address like 127.0.0.1:8080"),
            )
        })?;

        let public_url = match present(&raw.public_url) {
            None => None,
            Some(u) => {
                let url = parse_url("PUBLIC_URL", u)?;
                if url.query().is_some() || url.fragment().is_some() {
                    return Err(bad("PUBLIC_URL", "must not carry a query or a fragment"));
                }
                Some(url)
            }
        };

        let telegram_webhook_secret = match present(&raw.telegram_webhook_secret) {
            None => None,
            Some(s) if (1..=256).contains(&s.len()) && is_token_charset(s) => Some(Secret::new(s)),
            Some(_) => {
                return Err(bad(
                    "TELEGRAM_WEBHOOK_SECRET",
                    "must be 1-256 characters of A-Z, a-z, 0-9, _ and -",
                ));
            }
        };
        if public_url.is_some() && telegram_webhook_secret.is_none() {
            return Err(bad(
                "TELEGRAM_WEBHOOK_SECRET",
                "required when PUBLIC_URL is set (webhook mode)",
            ));
        }

        let stripe_secret_key = match present(&raw.stripe_secret_key) {
            None => None,
            Some(k) if k.starts_with("sk_") || k.starts_with("rk_") => Some(Secret::new(k)),
            Some(_) => {
                return Err(bad(
                    "STRIPE_SECRET_KEY",
                    "must be a Stripe secret or restricted key (sk_… or rk_…)",
                ));
            }
        };
        let stripe_webhook_secret = match present(&raw.stripe_webhook_secret) {
            None => None,
            Some(s) if s.starts_with("whsec_") && s.len() > "whsec_".len() => Some(Secret::new(s)),
            Some(_) => {
                return Err(bad(
                    "STRIPE_WEBHOOK_SECRET",
                    "must be a webhook signing secret (whsec_…)",
                ));
            }
        };
        let mut stripe_api_base = parse_url(
            "STRIPE_API_BASE",
            present(&raw.stripe_api_base).unwrap_or(DEFAULT_STRIPE_API_BASE),
        )?;
        if !stripe_api_base.path().ends_with('/') {
            let path = format!("{}/", stripe_api_base.path());
            stripe_api_base.set_path(&path);
        }
        let stripe = match (stripe_secret_key, stripe_webhook_secret) {
            (None, None) => None,
            (Some(_), None) => {
                return Err(bad(
                    "STRIPE_WEBHOOK_SECRET",
                    "required when STRIPE_SECRET_KEY is set",
                ));
            }
            (secret_key, Some(webhook_secret)) => Some(StripeConfig {
                secret_key,
                webhook_secret,
                api_base: stripe_api_base,
            }),
        };

        let telegram_payment_provider_token =
            present(&raw.telegram_payment_provider_token).map(Secret::new);

        let encryption_key = match present(&raw.encryption_key) {
            None => None,
            Some(k) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(k)
                    .map_err(|_| bad("ENCRYPTION_KEY", "not valid base64"))?;
                if bytes.len() != 32 {
                    return Err(bad(
                        "ENCRYPTION_KEY",
                        format!(
                            "must decode to 32 bytes, got {} (generate one with: openssl rand -base64 32)",
                            bytes.len()
                        ),
                    ));
                }
                Some(Secret::new(k))
            }
        };

        let webhooks = WebhookConfig {
            allow_local: match present(&raw.webhook_allow_local) {
                None => false,
                Some(v) => parse_bool("WEBHOOK_ALLOW_LOCAL", v)?,
            },
            retry_base: match present(&raw.webhook_retry_base) {
                None => DEFAULT_WEBHOOK_RETRY_BASE,
                Some(v) => parse_duration("WEBHOOK_RETRY_BASE", v)?,
            },
        };

        let default_locale = match present(&raw.default_locale) {
            None => Locale::En,
            Some(l) => Locale::parse(l).ok_or_else(|| {
                bad(
                    "DEFAULT_LOCALE",
                    format!("'{l}' is not a shipped locale (one of: {})", Locale::list()),
                )
            })?,
        };

        let log_format = match present(&raw.log_format) {
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(bad(
                    "LOG_FORMAT",
                    format!("'{other}' is not one of: pretty, json"),
                ));
            }
        };

        Ok(Config {
            bot_token,
            telegram_api_url,
            database_url: Secret::new(database_url),
            redis_url,
            admin_chat_id,
            admin_chat_ids,
            telegram_limits,
            broadcast_rate,
            paid_broadcast_rate,
            admin_user_ids,
            http_addr,
            public_url,
            telegram_webhook_secret,
            stripe,
            telegram_payment_provider_token,
            encryption_key,
            webhooks,
            default_locale,
            log_format,
        })
    }

    /// `run` needs a token; `sandbox` and `migrate` do not.
    pub fn require_bot_token(&self) -> Result<&Secret, ConfigError> {
        self.bot_token.as_ref().ok_or_else(|| {
            bad(
                "BOT_TOKEN",
                "required by `tollgate run` (get one from @BotFather), or try `tollgate sandbox`",
            )
        })
    }

    /// Whether `chat` is one of the admin groups.
    pub fn is_admin_group(&self, chat: i64) -> bool {
        self.admin_chat_ids.contains(&chat)
    }

    /// The admin group that serves `user_id`: the one they already have a topic in (`current`)
    /// while it is still an admin group, else one picked by their id (the same one every
    /// time, so users spread evenly and stay put).
    pub fn admin_group_for(&self, user_id: i64, current: Option<i64>) -> Option<i64> {
        if let Some(chat) = current.filter(|c| self.is_admin_group(*c)) {
            return Some(chat);
        }
        let n = self.admin_chat_ids.len() as i64;
        (n > 0).then(|| self.admin_chat_ids[user_id.rem_euclid(n) as usize])
    }

    /// The webhook URL Telegram posts to, in webhook mode.
    pub fn telegram_webhook_url(&self) -> Option<Url> {
        let base = self.public_url.as_ref()?;
        let path = format!("{}/webhooks/telegram", base.path().trim_end_matches('/'));
        let mut url = base.clone();
        url.set_path(&path);
        Some(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawConfig {
        RawConfig::default()
    }

    #[test]
    fn the_defaults_match_the_contract() {
        let c = Config::from_raw(&raw()).unwrap();
        assert_eq!(c.database_url.expose(), "sqlite://tollgate.db?mode=rwc");
        assert_eq!(c.http_addr.to_string(), "127.0.0.1:8080");
        assert_eq!(c.telegram_api_url.as_str(), "https://api.telegram.org/");
        assert_eq!(c.default_locale, Locale::En);
        assert_eq!(c.log_format, LogFormat::Pretty);
        assert!(c.stripe.is_none() && c.public_url.is_none() && c.bot_token.is_none());
        assert_eq!(c.webhooks, WebhookConfig::default());
        assert!(!c.webhooks.allow_local);
    }

    #[test]
    fn webhook_settings_parse() {
        let mut r = raw();
        r.webhook_allow_local = Some("true".into());
        r.webhook_retry_base = Some("50ms".into());
        let c = Config::from_raw(&r).unwrap();
        assert!(c.webhooks.allow_local);
        assert_eq!(c.webhooks.retry_base, std::time::Duration::from_millis(50));
        r.webhook_retry_base = Some("4m".into());
        let c = Config::from_raw(&r).unwrap();
        assert_eq!(c.webhooks.retry_base, std::time::Duration::from_secs(240));
    }

    type Mutation = Box<dyn Fn(&mut RawConfig)>;

    #[test]
    fn each_malformed_value_names_its_variable() {
        let cases: Vec<(&str, Mutation)> = vec![
            (
                "BOT_TOKEN",
                Box::new(|r| r.bot_token = Some("nocolon".into())),
            ),
            (
                "BOT_TOKEN",
                Box::new(|r| r.bot_token = Some("abc:def".into())),
            ),
            (
                "TELEGRAM_API_URL",
                Box::new(|r| r.telegram_api_url = Some("ftp://x".into())),
            ),
            (
                "DATABASE_URL",
                Box::new(|r| r.database_url = Some("mysql://x".into())),
            ),
            (
                "REDIS_URL",
                Box::new(|r| r.redis_url = Some("http://x".into())),
            ),
            (
                "ADMIN_CHAT_ID",
                Box::new(|r| r.admin_chat_id = Some("abc".into())),
            ),
            (
                "ADMIN_CHAT_ID",
                Box::new(|r| r.admin_chat_id = Some("42".into())),
            ),
            (
                "ADMIN_CHAT_ID",
                Box::new(|r| r.admin_chat_id = Some("-100,-100".into())),
            ),
            (
                "ADMIN_CHAT_ID",
                Box::new(|r| r.admin_chat_id = Some("-100,7".into())),
            ),
            (
                "BROADCAST_RATE",
                Box::new(|r| r.broadcast_rate = Some("0".into())),
            ),
            (
                "BROADCAST_RATE",
                Box::new(|r| r.broadcast_rate = Some("fast".into())),
            ),
            (
                "BROADCAST_RATE",
                Box::new(|r| r.broadcast_rate = Some("100001".into())),
            ),
            (
                "PAID_BROADCAST_RATE",
                Box::new(|r| r.paid_broadcast_rate = Some("1001".into())),
            ),
            (
                "PAID_BROADCAST_RATE",
                Box::new(|r| r.paid_broadcast_rate = Some("0".into())),
            ),
            (
                "TELEGRAM_LIMITS",
                Box::new(|r| r.telegram_limits = Some("off".into())),
            ),
            (
                "TELEGRAM_LIMITS",
                Box::new(|r| r.telegram_limits = Some("group=20".into())),
            ),
            (
                "TELEGRAM_LIMITS",
                Box::new(|r| r.telegram_limits = Some("group=0/min".into())),
            ),
            (
                "TELEGRAM_LIMITS",
                Box::new(|r| r.telegram_limits = Some("group=20/hour".into())),
            ),
            (
                "TELEGRAM_LIMITS",
                Box::new(|r| r.telegram_limits = Some("speed=1/s".into())),
            ),
            (
                "TELEGRAM_LIMITS",
                Box::new(|r| r.telegram_limits = Some("group_burst=0".into())),
            ),
            (
                "ADMIN_USER_IDS",
                Box::new(|r| r.admin_user_ids = Some("1,x".into())),
            ),
            (
                "HTTP_ADDR",
                Box::new(|r| r.http_addr = Some("localhost".into())),
            ),
            (
                "PUBLIC_URL",
                Box::new(|r| r.public_url = Some("not a url".into())),
            ),
            (
                "TELEGRAM_WEBHOOK_SECRET",
                Box::new(|r| r.public_url = Some("https://bot.example.com".into())),
            ),
            (
                "TELEGRAM_WEBHOOK_SECRET",
                Box::new(|r| r.telegram_webhook_secret = Some("has space".into())),
            ),
            (
                "STRIPE_SECRET_KEY",
                Box::new(|r| r.stripe_secret_key = Some("pk_x".into())),
            ),
            (
                "STRIPE_WEBHOOK_SECRET",
                Box::new(|r| r.stripe_secret_key = Some("sk_test_1".into())),
            ),
            (
                "STRIPE_WEBHOOK_SECRET",
                Box::new(|r| r.stripe_webhook_secret = Some("abc".into())),
            ),
            (
                "ENCRYPTION_KEY",
                Box::new(|r| r.encryption_key = Some("!!".into())),
            ),
            (
                "ENCRYPTION_KEY",
                Box::new(|r| r.encryption_key = Some("AAAA".into())),
            ),
            (
                "WEBHOOK_ALLOW_LOCAL",
                Box::new(|r| r.webhook_allow_local = Some("maybe".into())),
            ),
            (
                "WEBHOOK_RETRY_BASE",
                Box::new(|r| r.webhook_retry_base = Some("5".into())),
            ),
            (
                "WEBHOOK_RETRY_BASE",
                Box::new(|r| r.webhook_retry_base = Some("0s".into())),
            ),
            (
                "WEBHOOK_RETRY_BASE",
                Box::new(|r| r.webhook_retry_base = Some("2d".into())),
            ),
            (
                "DEFAULT_LOCALE",
                Box::new(|r| r.default_locale = Some("xx".into())),
            ),
            (
                "LOG_FORMAT",
                Box::new(|r| r.log_format = Some("yaml".into())),
            ),
        ];
        for (variable, set) in cases {
            let mut r = raw();
            set(&mut r);
            let err = Config::from_raw(&r).unwrap_err();
            assert_eq!(err.variable, variable, "{err}");
            assert!(err.to_string().starts_with(variable));
            assert!(!err.to_string().contains('\n'));
        }
    }

    #[test]
    fn several_admin_groups_share_the_users_and_each_keeps_theirs() {
        let mut r = raw();
        r.admin_chat_id = Some("-100, -200".into());
        let c = Config::from_raw(&r).unwrap();
        assert_eq!(c.admin_chat_ids, vec![-100, -200]);
        assert_eq!(c.admin_chat_id, Some(-100));
        assert!(c.is_admin_group(-200) && !c.is_admin_group(-300));
        assert_eq!(c.admin_group_for(4, None), Some(-100));
        assert_eq!(c.admin_group_for(5, None), Some(-200));
        assert_eq!(c.admin_group_for(4, Some(-200)), Some(-200), "kept");
        assert_eq!(
            c.admin_group_for(5, Some(-999)),
            Some(-200),
            "a group no longer listed is left"
        );
        assert_eq!(
            Config::from_raw(&raw()).unwrap().admin_group_for(5, None),
            None
        );
    }

    #[test]
    fn sending_limits_are_telegrams_unless_told_otherwise() {
        let c = Config::from_raw(&raw()).unwrap();
        assert_eq!(c.telegram_limits, Some(RateLimits::default()));
        let mut r = raw();
        r.telegram_limits = Some("group=40/min, group_burst=8,overall=25/s".into());
        let l = Config::from_raw(&r).unwrap().telegram_limits.unwrap();
        assert!((l.group_per_min - 40.0).abs() < 1e-9);
        assert_eq!(l.group_burst, 8.0);
        assert_eq!(l.overall_per_sec, 25.0);
        assert_eq!(l.chat_per_sec, RateLimits::default().chat_per_sec);
        // Off only against a Bot API server of one's own.
        r.telegram_limits = Some("off".into());
        r.telegram_api_url = Some("http://127.0.0.1:8081".into());
        assert_eq!(Config::from_raw(&r).unwrap().telegram_limits, None);
    }

    #[test]
    fn paid_broadcasts_go_up_to_a_thousand_a_second_unless_the_server_is_ours() {
        let c = Config::from_raw(&raw()).unwrap();
        assert_eq!(c.paid_broadcast_rate, 1000.0);
        let mut r = raw();
        r.paid_broadcast_rate = Some("250/s".into());
        assert_eq!(Config::from_raw(&r).unwrap().paid_broadcast_rate, 250.0);
        r.paid_broadcast_rate = Some("5000".into());
        assert_eq!(
            Config::from_raw(&r).unwrap_err().variable,
            "PAID_BROADCAST_RATE"
        );
        r.telegram_api_url = Some("http://127.0.0.1:8081".into());
        assert_eq!(Config::from_raw(&r).unwrap().paid_broadcast_rate, 5000.0);
    }

    #[test]
    fn empty_values_count_as_unset() {
        let mut r = raw();
        r.redis_url = Some(String::new());
        r.admin_chat_id = Some("  ".into());
        let c = Config::from_raw(&r).unwrap();
        assert!(c.redis_url.is_none() && c.admin_chat_id.is_none());
    }

    #[test]
    fn a_full_production_configuration_parses() {
        let r = RawConfig {
            bot_token: Some("123456:ABC-def_ghi".into()),
            database_url: Some("postgres://postgres@127.0.0.1/test".into()),
            redis_url: Some("redis://127.0.0.1:6379".into()),
            admin_chat_id: Some("-1001234567890".into()),
            admin_user_ids: Some("1, 2,3".into()),
            http_addr: Some("0.0.0.0:9000".into()),
            public_url: Some("https://bot.example.com/tg".into()),
            telegram_webhook_secret: Some("s3cr3t_-".into()),
            stripe_secret_key: Some("sk_test_123".into()),
            stripe_webhook_secret: Some("whsec_abc".into()),
            stripe_api_base: Some("http://127.0.0.1:12111".into()),
            encryption_key: Some(base64::engine::general_purpose::STANDARD.encode([7u8; 32])),
            default_locale: Some("ru".into()),
            log_format: Some("json".into()),
            ..raw()
        };
        let c = Config::from_raw(&r).unwrap();
        assert_eq!(c.admin_user_ids, vec![1, 2, 3]);
        assert_eq!(
            c.telegram_webhook_url().unwrap().as_str(),
            "https://bot.example.com/tg/webhooks/telegram"
        );
        let stripe = c.stripe.as_ref().unwrap();
        assert_eq!(stripe.api_base.as_str(), "http://127.0.0.1:12111/");
        assert_eq!(c.default_locale, Locale::Ru);
    }

    #[test]
    fn debug_output_never_shows_a_secret() {
        let r = RawConfig {
            bot_token: Some("123456:SUPERSECRETTOKEN".into()),
            stripe_secret_key: Some("sk_test_SUPERSECRET".into()),
            stripe_webhook_secret: Some("whsec_SUPERSECRET".into()),
            database_url: Some("postgres://user:SUPERSECRET@db/x".into()),
            ..raw()
        };
        let c = Config::from_raw(&r).unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("SUPERSECRET"), "{shown}");
    }

    #[test]
    fn run_requires_a_token() {
        let c = Config::from_raw(&raw()).unwrap();
        assert_eq!(c.require_bot_token().unwrap_err().variable, "BOT_TOKEN");
    }
}
