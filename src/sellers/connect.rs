//! Stripe Connect onboarding for sellers: an Express account made for the seller, Stripe's
//! hosted onboarding reached through an account link, the seller's return, and
//! `account.updated` events that keep the account's state (charges and payouts enabled, what
//! Stripe needs) and tell the seller when something changes for them.
//!
//! An edge module: it calls Stripe and takes the app's context, like [`card`](super::card).
//! What it writes goes through [`payouts`] (the state, the audit trail); what the seller is
//! told is a job ([`NOTICE_JOB`]) the bot renders.
use serde_json::{Value, json};
use stripe_webhook::{Event, EventObject};

use super::{
    card::CardError,
    catalog::Seller,
    payouts::{self, Change, ConnectNews, ConnectStatus},
};
use crate::{
    billing::stripe::{Applied, HandleError},
    context::AppCtx,
    jobs::{self, NewJob},
    services::{
        ServiceResult,
        events::{self, Claim, EventSource},
    },
};

/// Tells a seller what changed on their connected account (payload `{"seller": id, "news":
/// "ready" | "due" | "stopped", "due": [..]}`).
pub const NOTICE_JOB: &str = "seller_connect_notice";

fn platform_key(ctx: &AppCtx) -> Result<String, CardError> {
    ctx.config
        .stripe
        .as_ref()
        .and_then(|s| s.secret_key.as_ref())
        .map(|k| k.expose().to_owned())
        .ok_or(CardError::NotConfigured)
}

fn api_base(ctx: &AppCtx) -> String {
    ctx.config.stripe.as_ref().map_or_else(
        || crate::config::DEFAULT_STRIPE_API_BASE.to_owned(),
        |s| s.api_base.to_string(),
    )
}

/// One call to the platform's Stripe account: the JSON answer, Stripe's refusal
/// ([`CardError::Rejected`] with its message) or no answer ([`CardError::Unreachable`]).
async fn call(
    ctx: &AppCtx,
    method: reqwest::Method,
    path: &str,
    form: &[(&str, String)],
    idempotency_key: Option<String>,
) -> Result<Value, CardError> {
    let key = platform_key(ctx)?;
    let mut req = reqwest::Client::new()
        .request(method, format!("{}v1/{path}", api_base(ctx)))
        .bearer_auth(key)
        .timeout(std::time::Duration::from_secs(20));
    if !form.is_empty() {
        req = req.form(form);
    }
    if let Some(k) = idempotency_key {
        req = req.header("Idempotency-Key", k);
    }
    let res = req
        .send()
        .await
        .map_err(|e| CardError::Unreachable(e.to_string()))?;
    let status = res.status();
    let body: Value = res
        .json()
        .await
        .map_err(|e| CardError::Unreachable(e.to_string()))?;
    if status.is_server_error() {
        return Err(CardError::Unreachable(format!("Stripe answered {status}")));
    }
    if !status.is_success() {
        let message = body["error"]["message"]
            .as_str()
            .unwrap_or("Stripe refused the request")
            .to_owned();
        return Err(CardError::Rejected(message));
    }
    Ok(body)
}

/// The state of an account as Stripe's JSON gives it.
pub fn status_of(account: &Value) -> ConnectStatus {
    ConnectStatus {
        charges_enabled: account["charges_enabled"].as_bool().unwrap_or(false),
        payouts_enabled: account["payouts_enabled"].as_bool().unwrap_or(false),
        details_submitted: account["details_submitted"].as_bool().unwrap_or(false),
        due: account["requirements"]["currently_due"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// A connected account's state, read from Stripe.
pub async fn fetch_status(ctx: &AppCtx, account: &str) -> Result<ConnectStatus, CardError> {
    let account = call(
        ctx,
        reqwest::Method::GET,
        &format!("accounts/{account}"),
        &[],
        None,
    )
    .await?;
    Ok(status_of(&account))
}

/// Where Stripe's onboarding sends the seller back to, and where an expired link leads.
fn return_urls(ctx: &AppCtx, seller: &Seller) -> (String, String) {
    let base = ctx.public_base();
    (
        format!("{base}/connect/return/{}", seller.id),
        format!("{base}/connect/refresh/{}", seller.id),
    )
}

/// What the seller gets from "Create a Stripe account": the account and the onboarding link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Onboarding {
    pub account: String,
    pub url: String,
    /// The account was made now (false: the seller's earlier one is continued).
    pub created: bool,
}

/// Makes the seller an Express account (or continues the one Tollgate made before), switches
/// the seller to Connect mode on it, and returns a fresh onboarding link. Card payments start
/// once Stripe enables charges on it (an `account.updated` event says so).
pub async fn onboard(ctx: &AppCtx, seller: &Seller) -> Result<Onboarding, CardError> {
    let earlier = seller
        .connect_account_id
        .clone()
        .filter(|_| seller.connect_onboarding);
    let (account, created) = match earlier {
        Some(account) => (account, false),
        None => {
            let made = call(
                ctx,
                reqwest::Method::POST,
                "accounts",
                &[
                    ("type", "express".into()),
                    ("email", seller.email.clone()),
                    ("capabilities[card_payments][requested]", "true".into()),
                    ("capabilities[transfers][requested]", "true".into()),
                    ("business_profile[name]", seller.display_name.clone()),
                    ("metadata[seller]", seller.id.to_string()),
                ],
                // One account per seller, however often the button is pressed.
                Some(format!("tollgate-connect-account-{}", seller.id)),
            )
            .await?;
            let Some(id) = made["id"].as_str() else {
                return Err(CardError::Rejected("Stripe returned no account id".into()));
            };
            let status = status_of(&made);
            payouts::set_mode(
                &ctx.db,
                ctx.now(),
                seller,
                seller.user_id,
                Change::Connect {
                    account: id,
                    status: &status,
                    onboarding: true,
                },
            )
            .await?;
            (id.to_owned(), true)
        }
    };
    let (return_url, refresh_url) = return_urls(ctx, seller);
    let link = call(
        ctx,
        reqwest::Method::POST,
        "account_links",
        &[
            ("account", account.clone()),
            ("type", "account_onboarding".into()),
            ("return_url", return_url),
            ("refresh_url", refresh_url),
        ],
        None,
    )
    .await?;
    let Some(url) = link["url"].as_str() else {
        return Err(CardError::Rejected(
            "Stripe returned no onboarding link".into(),
        ));
    };
    Ok(Onboarding {
        account,
        url: url.to_owned(),
        created,
    })
}

/// The seller came back from Stripe's onboarding: reads the account and records it (the
/// seller is told when that changes something). None: the seller has no connected account.
pub async fn refresh(
    ctx: &AppCtx,
    seller: &Seller,
) -> Result<Option<(Seller, ConnectNews)>, CardError> {
    let Some(account) = seller.connect_account_id.as_deref() else {
        return Ok(None);
    };
    let status = fetch_status(ctx, account).await?;
    let recorded = payouts::record_connect_status(&ctx.db, ctx.now(), account, &status).await?;
    if let Some((seller, news)) = &recorded {
        tell(ctx, seller, news, None).await?;
    }
    Ok(recorded)
}

/// Queues the seller's notice about `news` (nothing when it is quiet); `key` keeps one notice
/// per Stripe event.
async fn tell(
    ctx: &AppCtx,
    seller: &Seller,
    news: &ConnectNews,
    key: Option<String>,
) -> ServiceResult<()> {
    let (kind, due) = match news {
        ConnectNews::Quiet => return Ok(()),
        ConnectNews::Ready => ("ready", Vec::new()),
        ConnectNews::Due(due) => ("due", due.clone()),
        ConnectNews::Stopped(due) => ("stopped", due.clone()),
    };
    let mut job = NewJob::now(
        NOTICE_JOB,
        json!({ "seller": seller.id, "news": kind, "due": due }),
        ctx.now(),
    );
    job.dedupe_key = key;
    jobs::enqueue(&ctx.db, ctx.now(), job).await?;
    ctx.jobs.notify();
    Ok(())
}

/// Applies `account.updated` from the platform's endpoint, once per event. None: another kind
/// of event. An account no seller uses is received and changes nothing.
pub async fn apply(ctx: &AppCtx, event: &Event) -> Result<Option<Applied>, HandleError> {
    let EventObject::AccountUpdated(account) = &event.data.object else {
        return Ok(None);
    };
    let id = event.id.as_str();
    let claim = events::claim(
        &ctx.db,
        ctx.now(),
        EventSource::Stripe,
        id,
        event.type_.as_str(),
        "processing",
    )
    .await?;
    if claim == Claim::Duplicate {
        return Ok(Some(Applied::Duplicate));
    }
    let status = ConnectStatus {
        charges_enabled: account.charges_enabled.unwrap_or(false),
        payouts_enabled: account.payouts_enabled.unwrap_or(false),
        details_submitted: account.details_submitted.unwrap_or(false),
        due: account
            .requirements
            .as_ref()
            .and_then(|r| r.currently_due.clone())
            .unwrap_or_default(),
    };
    let result = async {
        match payouts::record_connect_status(&ctx.db, ctx.now(), account.id.as_str(), &status)
            .await?
        {
            Some((seller, news)) => tell(ctx, &seller, &news, Some(format!("connect:{id}"))).await,
            None => {
                tracing::info!(
                    account = account.id.as_str(),
                    "account.updated for an account no seller uses; ignored"
                );
                Ok(())
            }
        }
    }
    .await;
    match result {
        Ok(()) => {
            events::complete(&ctx.db, ctx.now(), EventSource::Stripe, id).await?;
            Ok(Some(Applied::Applied))
        }
        Err(e) => {
            events::release(&ctx.db, EventSource::Stripe, id).await?;
            Err(e.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_accounts_state_is_read_from_stripes_json() {
        let account = json!({
            "id": "acct_1", "object": "account", "charges_enabled": false,
            "payouts_enabled": false, "details_submitted": true,
            "requirements": {"currently_due": ["external_account", "individual.dob.day"]}
        });
        assert_eq!(
            status_of(&account),
            ConnectStatus {
                charges_enabled: false,
                payouts_enabled: false,
                details_submitted: true,
                due: vec!["external_account".into(), "individual.dob.day".into()],
            }
        );
        assert_eq!(
            status_of(&json!({"id": "acct_2"})),
            ConnectStatus::default()
        );
    }
}
