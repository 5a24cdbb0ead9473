//! Stripe Connect onboarding from the bot: `/payouts` makes an Express account through the
//! Stripe double and hands over its onboarding link; `account.updated` events keep the
//! account's state, tell the seller once per change, and turn card payments on and off; an
//! event about an account no seller uses, a redelivery, and visits to the return and refresh
//! pages change nothing they should not.
use reqwest::StatusCode;
use tollgate::sellers::{card, catalog, payouts};

use crate::{
    helpers::{Backend, TestApp, spawn_app_with},
    sellers::{press, shop, url_of, wait_contains},
};

fn count(app: &TestApp, user: i64, needle: &str) -> usize {
    app.emu()
        .bot_messages(user)
        .iter()
        .filter(|m| m.body().is_some_and(|b| b.contains(needle)))
        .count()
}

async fn connect_onboarding(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |_| {}).await else {
        return;
    };
    let stripe = app.h.stripe.clone().expect("Stripe is on");
    let ctx = &app.h.app.ctx;
    let db = app.db();
    let s = shop(&app, "Sam").await;
    let seller_of = || async {
        catalog::seller_of_user(db, s.sam)
            .await
            .unwrap()
            .expect("a seller")
    };

    // The seller asks for an account: one is made and the onboarding link is shown.
    app.say(s.sam, "/payouts");
    wait_contains(&app, s.sam, "Card payments for your plans", 1).await;
    press(&app, s.sam, "Create a Stripe account").await;
    wait_contains(&app, s.sam, "Express account", 1).await;
    let link = url_of(&app, s.sam, "Open Stripe", 1).await;
    let seller = seller_of().await;
    let account = seller.connect_account_id.clone().expect("an account id");
    assert!(account.starts_with("acct_"), "{account}");
    assert!(link.contains(&account), "{link}");
    assert_eq!(payouts::mode_of(&seller), payouts::PayMode::Connect);
    assert!(seller.connect_onboarding && !seller.connect_charges_enabled);
    let made = stripe.object(&account).expect("the double has the account");
    assert_eq!(made["type"], "express");
    assert_eq!(made["metadata"]["seller"], seller.id.to_string());
    // Not onboarded yet: no card payments.
    assert!(!card::card_available(ctx, &seller));
    let page = app.http.get(&link).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("external_account"));

    // Pressing again continues the same account with a fresh link.
    app.say(s.sam, "/payouts");
    wait_contains(&app, s.sam, "Stripe needs: business_profile.url", 1).await;
    press(&app, s.sam, "Continue Stripe onboarding").await;
    wait_contains(&app, s.sam, "fresh onboarding link", 1).await;
    let creations = stripe
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/v1/accounts")
        .count();
    assert_eq!(creations, 1);
    assert_eq!(
        seller_of().await.connect_account_id.as_deref(),
        Some(account.as_str())
    );

    // Stripe's onboarding done: account.updated turns card payments on, and the seller is
    // told once, however often the event comes and the return page is visited.
    let done = stripe.complete_onboarding(&account).await.unwrap();
    assert_eq!(done.status, 200);
    wait_contains(&app, s.sam, "Stripe enabled charges", 1).await;
    let again = stripe.redeliver(done.event_id()).await.unwrap();
    assert_eq!(again.status, 200);
    let back = app
        .http
        .get(app.url(&format!("/connect/return/{}", seller.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), StatusCode::OK);
    let seller = seller_of().await;
    assert!(seller.connect_charges_enabled && seller.connect_payouts_enabled);
    assert_eq!(seller.connect_requirements, None);
    assert!(card::card_available(ctx, &seller));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(count(&app, s.sam, "Stripe enabled charges"), 1);

    // Stripe needs more and stops charges: the seller hears it with a way back in, and card
    // payments stop.
    let stop = stripe
        .require_from_account(&account, &["individual.verification.document"], false)
        .await
        .unwrap();
    assert_eq!(stop.status, 200);
    wait_contains(&app, s.sam, "Stripe stopped charges", 1).await;
    let seller = seller_of().await;
    assert!(!card::card_available(ctx, &seller));
    assert_eq!(
        seller.connect_requirements.as_deref(),
        Some("individual.verification.document")
    );
    press(&app, s.sam, "Continue Stripe onboarding").await;
    wait_contains(&app, s.sam, "fresh onboarding link", 2).await;

    // An account no seller uses: received, nothing changes.
    stripe.add_connected_account("acct_stranger1", false);
    let other = stripe.complete_onboarding("acct_stranger1").await.unwrap();
    assert_eq!(other.status, 200);
    assert_eq!(seller_of().await, seller);

    // The refresh page hands out nothing; a return for an unknown seller changes nothing.
    let refresh = app
        .http
        .get(app.url(&format!("/connect/refresh/{}", seller.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(refresh.status(), StatusCode::OK);
    assert!(refresh.text().await.unwrap().contains("/payouts"));
    let unknown = app
        .http
        .get(app.url("/connect/return/987654"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::OK);

    // Every change of state is in the seller's audit trail.
    let (trail, _) = tollgate::sellers::audit::page(db, seller.id, None, 0, 50)
        .await
        .unwrap();
    assert!(
        trail
            .iter()
            .filter(|a| a.action == "connect_status")
            .count()
            >= 2,
        "{trail:?}"
    );
}

#[tokio::test]
async fn connect_onboarding_from_the_bot_on_sqlite() {
    connect_onboarding(Backend::Sqlite).await;
}

#[tokio::test]
async fn connect_onboarding_from_the_bot_on_postgres() {
    connect_onboarding(Backend::Postgres).await;
}
