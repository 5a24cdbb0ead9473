//! Who takes the money when a buyer pays a seller's plan by card, and what the platform keeps.
//!
//! - [`PayMode::Platform`]: the platform's Stripe account takes the payment and keeps the
//!   fee of the seller's platform plan ([`fee_percent`](super::platform::fee_percent)); the
//!   seller's net is owed to them.
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
        status: &'a ConnectStatus,
        /// Tollgate created the account (Express onboarding).
        onboarding: bool,
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
        connect_onboarding: Set(false),
        connect_checked_at: Set(None),
        ..Default::default()
    };
    ConnectStatus::default().write_to(&mut row);
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
        Change::Connect {
            account,
            status,
            onboarding,
        } => {
            row.pay_mode = Set(PayMode::Connect.as_str().into());
            row.connect_account_id = Set(Some(account.to_owned()));
            row.connect_onboarding = Set(onboarding);
            row.connect_checked_at = Set(Some(now));
            status.write_to(&mut row);
            format!("connected account {account}")
        }
    };
    sellers::Entity::update(row).exec(db).await?;
    audit::record(db, now, seller.id, actor, "payouts", None, detail).await
}

// ---------------------------------------------------------------------------------------------
// Connect onboarding

/// What Stripe last said of a connected account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectStatus {
    pub charges_enabled: bool,
    pub payouts_enabled: bool,
    pub details_submitted: bool,
    /// `requirements.currently_due`, in Stripe's order.
    pub due: Vec<String>,
}

impl ConnectStatus {
    /// The status stored for a seller.
    pub fn of(seller: &Seller) -> Self {
        Self {
            charges_enabled: seller.connect_charges_enabled,
            payouts_enabled: seller.connect_payouts_enabled,
            details_submitted: seller.connect_details_submitted,
            due: seller
                .connect_requirements
                .as_deref()
                .unwrap_or_default()
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }

    /// Nothing more to do: charges and payouts work and Stripe needs nothing now.
    pub fn complete(&self) -> bool {
        self.charges_enabled && self.payouts_enabled && self.due.is_empty()
    }

    fn write_to(&self, row: &mut sellers::ActiveModel) {
        row.connect_charges_enabled = Set(self.charges_enabled);
        row.connect_payouts_enabled = Set(self.payouts_enabled);
        row.connect_details_submitted = Set(self.details_submitted);
        row.connect_requirements = Set((!self.due.is_empty()).then(|| self.due.join(",")));
    }
}

/// What a new status means for the seller, compared with the one stored before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectNews {
    /// Nothing the seller needs to hear.
    Quiet,
    /// Card payments work now (they did not before).
    Ready,
    /// Stripe needs these (newly); charges may still work.
    Due(Vec<String>),
    /// Charges stopped working.
    Stopped(Vec<String>),
}

pub fn news(before: &ConnectStatus, after: &ConnectStatus) -> ConnectNews {
    if before.charges_enabled && !after.charges_enabled {
        return ConnectNews::Stopped(after.due.clone());
    }
    let newly_due = after.due.iter().any(|d| !before.due.contains(d));
    if newly_due {
        return ConnectNews::Due(after.due.clone());
    }
    if after.charges_enabled && !before.charges_enabled {
        return ConnectNews::Ready;
    }
    ConnectNews::Quiet
}

/// Writes what Stripe now says of connected account `account`: the seller using it and what
/// the change means for them; None when no seller uses that account (nothing is written).
pub async fn record_connect_status(
    db: &Db,
    now: DateTime<Utc>,
    account: &str,
    status: &ConnectStatus,
) -> ServiceResult<Option<(Seller, ConnectNews)>> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let Some(seller) = sellers::Entity::find()
        .filter(sellers::Column::ConnectAccountId.eq(account))
        .filter(sellers::Column::PayMode.eq(PayMode::Connect.as_str()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let before = ConnectStatus::of(&seller);
    let mut row = sellers::ActiveModel {
        id: Set(seller.id),
        connect_checked_at: Set(Some(now)),
        ..Default::default()
    };
    status.write_to(&mut row);
    let updated = sellers::Entity::update(row).exec(db).await?;
    let news = news(&before, status);
    if news != ConnectNews::Quiet {
        let detail = format!(
            "connected account {account}: charges {}, payouts {}, due: {}",
            on_off(status.charges_enabled),
            on_off(status.payouts_enabled),
            if status.due.is_empty() {
                "nothing".to_owned()
            } else {
                status.due.join(", ")
            }
        );
        audit::record(db, now, seller.id, 0, "connect_status", None, detail).await?;
    }
    Ok(Some((updated, news)))
}

fn on_off(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(charges: bool, due: &[&str]) -> ConnectStatus {
        ConnectStatus {
            charges_enabled: charges,
            payouts_enabled: charges,
            details_submitted: charges,
            due: due.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn connect_news_says_what_changed_for_the_seller() {
        let fresh = status(false, &["external_account", "tos_acceptance.date"]);
        assert_eq!(
            news(&ConnectStatus::default(), &fresh),
            ConnectNews::Due(fresh.due.clone())
        );
        assert_eq!(news(&fresh, &fresh), ConnectNews::Quiet);
        assert_eq!(news(&fresh, &status(true, &[])), ConnectNews::Ready);
        assert_eq!(
            news(&status(true, &[]), &status(true, &[])),
            ConnectNews::Quiet
        );
        let more = status(true, &["individual.id_number"]);
        assert_eq!(
            news(&status(true, &[]), &more),
            ConnectNews::Due(more.due.clone())
        );
        let stopped = status(false, &["individual.id_number"]);
        assert_eq!(
            news(&more, &stopped),
            ConnectNews::Stopped(stopped.due.clone())
        );
        assert!(status(true, &[]).complete() && !more.complete());
    }

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
