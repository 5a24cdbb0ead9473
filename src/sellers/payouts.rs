//! Who takes the money when a buyer pays a seller's plan by card, and what the platform keeps.
//!
//! - [`PayMode::Platform`]: the platform's Stripe account takes the payment and keeps the
//!   platform fee ([`PLATFORM_FEE_PERCENT`](super::PLATFORM_FEE_PERCENT)); the seller's net is
//!   owed to them.
//! - [`PayMode::OwnKey`]: the seller's own Stripe account, through their secret key (sealed at
//!   rest, never shown again); its webhooks reach a per-seller endpoint verified with the
//!   seller's own signing secret. The platform takes no fee from a charge it does not hold.
//! - [`PayMode::Connect`]: a destination charge on the platform to the seller's connected
//!   account, with the platform fee as `application_fee_amount`.
//!
//! Stars always accrue to the platform, which accounts them per seller with the fee.
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, EntityTrait};

use super::{audit, catalog::Seller};
use crate::{
    services::{
        ServiceResult,
        sealing::{SealError, Sealer},
    },
    storage::{Db, entities::sellers},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayMode {
    Platform,
    OwnKey,
    Connect,
}

impl PayMode {
    pub fn as_str(self) -> &'static str {
        match self {
            PayMode::Platform => "platform",
            PayMode::OwnKey => "own_key",
            PayMode::Connect => "connect",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "platform" => Some(PayMode::Platform),
            "own_key" => Some(PayMode::OwnKey),
            "connect" => Some(PayMode::Connect),
            _ => None,
        }
    }

    /// The fee the platform keeps from a card payment in this mode, in percent.
    pub fn fee_percent(self, platform_fee: i64) -> i64 {
        match self {
            PayMode::Platform | PayMode::Connect => platform_fee,
            PayMode::OwnKey => 0,
        }
    }
}

/// A seller's mode (an unknown stored value reads as the platform's).
pub fn mode_of(seller: &Seller) -> PayMode {
    PayMode::parse(&seller.pay_mode).unwrap_or(PayMode::Platform)
}

/// An answer the payout dialogue cannot take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BadPayout {
    #[error("a Stripe secret key starts with sk_live_ or sk_test_ (or rk_ for a restricted key)")]
    Key,
    #[error("a webhook signing secret starts with whsec_")]
    WebhookSecret,
    #[error("a connected account id starts with acct_")]
    Account,
}

fn token(s: &str, prefixes: &[&str], min_rest: usize, max: usize) -> Option<String> {
    let t = s.trim();
    let rest = prefixes.iter().find_map(|p| t.strip_prefix(p))?;
    (rest.len() >= min_rest
        && t.len() <= max
        && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
    .then(|| t.to_owned())
}

pub fn parse_secret_key(s: &str) -> Result<String, BadPayout> {
    token(s, &["sk_live_", "sk_test_", "rk_live_", "rk_test_"], 8, 255).ok_or(BadPayout::Key)
}

pub fn parse_webhook_secret(s: &str) -> Result<String, BadPayout> {
    token(s, &["whsec_"], 8, 255).ok_or(BadPayout::WebhookSecret)
}

pub fn parse_account(s: &str) -> Result<String, BadPayout> {
    token(s, &["acct_"], 6, 64).ok_or(BadPayout::Account)
}

/// Whether a key is a test-mode key.
pub fn is_test_key(key: &str) -> bool {
    key.starts_with("sk_test_") || key.starts_with("rk_test_")
}

/// What a seller is shown of their key: the mode prefix and the last four characters.
pub fn key_hint(key: &str) -> String {
    let prefix: String = key.chars().take(8).collect();
    let tail: String = key
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{prefix}…{tail}")
}

/// The associated data a seller's secret is sealed under.
pub fn purpose(seller_id: i64, what: &str) -> String {
    format!("seller:{seller_id}:{what}")
}

pub const KEY: &str = "stripe_key";
pub const WEBHOOK_SECRET: &str = "stripe_webhook_secret";

/// The seller's own Stripe key, opened (None: none stored).
pub fn own_key(sealer: &Sealer, seller: &Seller) -> Result<Option<String>, SealError> {
    seller
        .stripe_key_sealed
        .as_deref()
        .map(|s| sealer.open(&purpose(seller.id, KEY), s))
        .transpose()
}

/// The endpoint secret of the seller's own Stripe webhook, opened.
pub fn own_webhook_secret(sealer: &Sealer, seller: &Seller) -> Result<Option<String>, SealError> {
    seller
        .stripe_webhook_secret_sealed
        .as_deref()
        .map(|s| sealer.open(&purpose(seller.id, WEBHOOK_SECRET), s))
        .transpose()
}

/// What changed, for the audit trail.
pub enum Change<'a> {
    Platform,
    /// Both secrets, already sealed for this seller, and the key's hint.
    OwnKey {
        key_sealed: &'a str,
        hint: &'a str,
        webhook_secret_sealed: &'a str,
    },
    Connect {
        account: &'a str,
    },
}

/// Sets who takes the seller's card payments. Changing away from the seller's own key forgets
/// its secrets.
pub async fn set_mode(
    db: &Db,
    now: DateTime<Utc>,
    seller: &Seller,
    actor: i64,
    change: Change<'_>,
) -> ServiceResult<()> {
    let mut row = sellers::ActiveModel {
        id: Set(seller.id),
        updated_at: Set(now),
        stripe_key_sealed: Set(None),
        stripe_key_hint: Set(None),
        stripe_webhook_secret_sealed: Set(None),
        connect_account_id: Set(None),
        ..Default::default()
    };
    let detail = match change {
        Change::Platform => {
            row.pay_mode = Set(PayMode::Platform.as_str().into());
            "platform account".to_owned()
        }
        Change::OwnKey {
            key_sealed,
            hint,
            webhook_secret_sealed,
        } => {
            row.pay_mode = Set(PayMode::OwnKey.as_str().into());
            row.stripe_key_sealed = Set(Some(key_sealed.to_owned()));
            row.stripe_key_hint = Set(Some(hint.to_owned()));
            row.stripe_webhook_secret_sealed = Set(Some(webhook_secret_sealed.to_owned()));
            format!("own Stripe key {hint}")
        }
        Change::Connect { account } => {
            row.pay_mode = Set(PayMode::Connect.as_str().into());
            row.connect_account_id = Set(Some(account.to_owned()));
            format!("connected account {account}")
        }
    };
    sellers::Entity::update(row).exec(db).await?;
    audit::record(db, now, seller.id, actor, "payouts", None, detail).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_ids_are_recognised_by_their_shape() {
        assert!(parse_secret_key(" sk_test_51Habcdefgh ").is_ok());
        assert!(parse_secret_key("rk_live_abcdefgh1234").is_ok());
        assert_eq!(parse_secret_key("pk_test_abcdefgh"), Err(BadPayout::Key));
        assert_eq!(parse_secret_key("sk_test_short"), Err(BadPayout::Key));
        assert_eq!(parse_secret_key("sk_test_abc def gh"), Err(BadPayout::Key));
        assert!(parse_webhook_secret("whsec_abcdefgh12").is_ok());
        assert_eq!(
            parse_webhook_secret("sk_test_abcdefgh"),
            Err(BadPayout::WebhookSecret)
        );
        assert!(parse_account("acct_1Abcdef").is_ok());
        assert_eq!(parse_account("acct_"), Err(BadPayout::Account));
        assert_eq!(parse_account("cus_123456789"), Err(BadPayout::Account));
    }

    #[test]
    fn a_key_hint_shows_the_mode_and_the_last_four() {
        assert_eq!(key_hint("sk_live_51Habcdwxyz"), "sk_live_…wxyz");
        assert!(is_test_key("sk_test_x") && !is_test_key("sk_live_x"));
    }

    #[test]
    fn only_the_platform_and_connect_keep_a_fee() {
        assert_eq!(PayMode::Platform.fee_percent(10), 10);
        assert_eq!(PayMode::Connect.fee_percent(10), 10);
        assert_eq!(PayMode::OwnKey.fee_percent(10), 0);
    }
}
