//! Every resource, created and read through the real async-stripe 1.0.0-rc.10 client, so the
//! double's JSON is proven to deserialize into async-stripe's types.

mod common;

use std::collections::HashMap;

use common::Harness;
use stripe_billing::billing_portal_session::CreateBillingPortalSession;
use stripe_checkout::CheckoutSessionMode;
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionLineItemsPriceData,
    CreateCheckoutSessionPaymentIntentData, ExpireCheckoutSession, ProductData,
    RetrieveCheckoutSession,
};
use stripe_core::customer::{CreateCustomer, RetrieveCustomer, UpdateCustomer};
use stripe_core::payment_intent::{CreatePaymentIntent, RetrievePaymentIntent};
use stripe_core::refund::CreateRefund;
use stripe_product::price::{
    CreatePrice, CreatePriceRecurring, CreatePriceRecurringInterval, UpdatePrice,
};
use stripe_product::product::{CreateProduct, RetrieveProduct};
use stripe_types::Currency;

fn metadata(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn customers_are_created_retrieved_and_updated_through_async_stripe() {
    let h = Harness::start().await;
    let created = CreateCustomer::new()
        .email("ada@example.com")
        .name("Ada")
        .metadata(metadata(&[("telegram_id", "42")]))
        .send(&h.client)
        .await
        .unwrap();
    assert!(created.id.as_str().starts_with("cus_"));
    assert_eq!(created.email.as_deref(), Some("ada@example.com"));

    let fetched = RetrieveCustomer::new(created.id.clone())
        .send(&h.client)
        .await
        .unwrap();
    // Retrieve returns the `Deleted`-or-not customer enum in async-stripe.
    let fetched_json = format!("{fetched:?}");
    assert!(fetched_json.contains(created.id.as_str()));

    let updated = UpdateCustomer::new(created.id.clone())
        .metadata(metadata(&[("plan", "gold")]))
        .send(&h.client)
        .await
        .unwrap();
    let md = updated.metadata.unwrap();
    assert_eq!(md.get("telegram_id").map(String::as_str), Some("42"));
    assert_eq!(md.get("plan").map(String::as_str), Some("gold"));
}

#[tokio::test]
async fn products_and_prices_parse_and_price_amounts_are_immutable() {
    let h = Harness::start().await;
    let product = CreateProduct::new("Premium channel")
        .send(&h.client)
        .await
        .unwrap();
    assert!(product.id.as_str().starts_with("prod_"));
    let product = RetrieveProduct::new(product.id.clone())
        .send(&h.client)
        .await
        .unwrap();
    assert_eq!(product.name, "Premium channel");

    let price = CreatePrice::new(Currency::USD)
        .product(product.id.as_str())
        .unit_amount(500)
        .recurring(CreatePriceRecurring::new(
            CreatePriceRecurringInterval::Month,
        ))
        .send(&h.client)
        .await
        .unwrap();
    assert!(price.id.as_str().starts_with("price_"));
    assert_eq!(price.unit_amount, Some(500));
    assert!(price.recurring.is_some());

    let updated = UpdatePrice::new(price.id.clone())
        .nickname("monthly")
        .active(false)
        .send(&h.client)
        .await
        .unwrap();
    assert_eq!(updated.nickname.as_deref(), Some("monthly"));
    assert!(!updated.active);

    // Amounts cannot change: Stripe rejects the parameter outright.
    let raw = reqwest::Client::new()
        .post(format!(
            "{}v1/prices/{}",
            h.double.base_url(),
            price.id.as_str()
        ))
        .bearer_auth(common::API_KEY)
        .form(&[("unit_amount", "900")])
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 400);
    let body: serde_json::Value = raw.json().await.unwrap();
    assert_eq!(body["error"]["param"], "unit_amount");
}

#[tokio::test]
async fn checkout_sessions_round_trip_with_price_data_metadata_and_client_reference() {
    let h = Harness::start().await;
    let mut price_data = CreateCheckoutSessionLineItemsPriceData::new(Currency::USD);
    price_data.unit_amount = Some(1500);
    price_data.product_data = Some(ProductData::new("30 days access"));
    let mut item = CreateCheckoutSessionLineItems::new();
    item.price_data = Some(price_data);
    item.quantity = Some(2);
    let mut pi_data = CreateCheckoutSessionPaymentIntentData::new();
    pi_data.metadata = Some(metadata(&[("order_id", "77")]));

    let session = CreateCheckoutSession::new()
        .mode(CheckoutSessionMode::Payment)
        .line_items(vec![item])
        .client_reference_id("order-77")
        .metadata(metadata(&[("order_id", "77")]))
        .success_url("https://bot.test/ok?session={CHECKOUT_SESSION_ID}")
        .cancel_url("https://bot.test/cancel")
        .payment_intent_data(pi_data)
        .send(&h.client)
        .await
        .unwrap();
    assert!(session.id.as_str().starts_with("cs_test_"));
    assert_eq!(session.amount_total, Some(3000));
    assert_eq!(session.client_reference_id.as_deref(), Some("order-77"));
    let url = session.url.clone().unwrap();
    assert!(url.starts_with(&format!("{}pay/", h.double.base_url())));

    let fetched = RetrieveCheckoutSession::new(session.id.clone())
        .expand(vec!["line_items".to_string()])
        .send(&h.client)
        .await
        .unwrap();
    let items = fetched.line_items.expect("line_items expanded");
    assert_eq!(items.data.len(), 1);
    assert_eq!(items.data[0].quantity, Some(2));
    assert_eq!(items.data[0].amount_total, 3000);

    // Completing it creates a PaymentIntent the client can read back.
    h.double
        .complete_checkout(session.id.as_str())
        .await
        .unwrap();
    let paid = RetrieveCheckoutSession::new(session.id.clone())
        .send(&h.client)
        .await
        .unwrap();
    let pi_id = paid.payment_intent.as_ref().unwrap().id().clone();
    let pi = RetrievePaymentIntent::new(pi_id)
        .send(&h.client)
        .await
        .unwrap();
    assert_eq!(pi.amount, 3000);
    assert_eq!(pi.metadata.get("order_id").map(String::as_str), Some("77"));

    // And a second Checkout Session can be expired through the API.
    let mut item = CreateCheckoutSessionLineItems::new();
    let mut pd = CreateCheckoutSessionLineItemsPriceData::new(Currency::EUR);
    pd.unit_amount = Some(100);
    pd.product_data = Some(ProductData::new("x"));
    item.price_data = Some(pd);
    item.quantity = Some(1);
    let other = CreateCheckoutSession::new()
        .mode(CheckoutSessionMode::Payment)
        .line_items(vec![item])
        .send(&h.client)
        .await
        .unwrap();
    let expired = ExpireCheckoutSession::new(other.id.clone())
        .send(&h.client)
        .await
        .unwrap();
    assert_eq!(
        expired.status,
        Some(stripe_checkout::CheckoutSessionStatus::Expired)
    );
}

#[tokio::test]
async fn subscription_checkout_uses_a_recurring_price_and_completes_with_a_customer() {
    let h = Harness::start().await;
    let product = CreateProduct::new("VIP").send(&h.client).await.unwrap();
    let price = CreatePrice::new(Currency::USD)
        .product(product.id.as_str())
        .unit_amount(999)
        .recurring(CreatePriceRecurring::new(
            CreatePriceRecurringInterval::Month,
        ))
        .send(&h.client)
        .await
        .unwrap();
    let mut item = CreateCheckoutSessionLineItems::new();
    item.price = Some(price.id.as_str().to_string());
    item.quantity = Some(1);
    let session = CreateCheckoutSession::new()
        .mode(CheckoutSessionMode::Subscription)
        .line_items(vec![item])
        .customer_email("vip@example.com")
        .send(&h.client)
        .await
        .unwrap();
    assert_eq!(session.mode, CheckoutSessionMode::Subscription);
    h.double
        .complete_checkout(session.id.as_str())
        .await
        .unwrap();
    let done = RetrieveCheckoutSession::new(session.id.clone())
        .send(&h.client)
        .await
        .unwrap();
    assert!(done.subscription.is_some());
    assert!(done.customer.is_some());
}

#[tokio::test]
async fn billing_portal_sessions_need_an_existing_customer() {
    let h = Harness::start().await;
    let customer = CreateCustomer::new().send(&h.client).await.unwrap();
    let portal = CreateBillingPortalSession::new()
        .customer(customer.id.as_str())
        .return_url("https://bot.test/back")
        .send(&h.client)
        .await
        .unwrap();
    assert!(portal.id.as_str().starts_with("bps_"));
    assert!(portal.url.starts_with(&h.double.base_url()));

    let err = CreateBillingPortalSession::new()
        .customer("cus_missing")
        .send(&h.client)
        .await
        .unwrap_err();
    match err {
        stripe::StripeError::Stripe(api, status) => {
            assert_eq!(status, 400);
            assert_eq!(
                api.code.as_ref().map(|c| c.as_str()),
                Some("resource_missing")
            );
            assert_eq!(api.param.as_deref(), Some("customer"));
        }
        other => panic!("expected a Stripe error, got {other:?}"),
    }
}

#[tokio::test]
async fn off_session_payment_intents_succeed_and_can_be_refunded_partially() {
    let h = Harness::start().await;
    let customer = CreateCustomer::new().send(&h.client).await.unwrap();
    let pi = CreatePaymentIntent::new(2000, Currency::USD)
        .customer(customer.id.as_str())
        .payment_method("pm_card_visa")
        .off_session(stripe_core::payment_intent::CreatePaymentIntentOffSession::Bool(true))
        .confirm(true)
        .send(&h.client)
        .await
        .unwrap();
    assert_eq!(pi.status, stripe_core::PaymentIntentStatus::Succeeded);
    assert!(pi.latest_charge.is_some());

    let refund = CreateRefund::new()
        .payment_intent(pi.id.as_str())
        .amount(500)
        .send(&h.client)
        .await
        .unwrap();
    assert_eq!(refund.amount, 500);

    let err = CreateRefund::new()
        .payment_intent(pi.id.as_str())
        .amount(1600)
        .send(&h.client)
        .await
        .unwrap_err();
    assert!(
        matches!(err, stripe::StripeError::Stripe(_, 400)),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_injected_card_decline_surfaces_as_a_402_card_error_with_the_payment_intent() {
    let h = Harness::start().await;
    h.double.fail_next(
        "/v1/payment_intents",
        stripe_double::StripeFault::CardDeclined,
        1,
    );
    let err = CreatePaymentIntent::new(2000, Currency::USD)
        .payment_method("pm_card_visa")
        .off_session(stripe_core::payment_intent::CreatePaymentIntentOffSession::Bool(true))
        .confirm(true)
        .send(&h.client)
        .await
        .unwrap_err();
    match err {
        stripe::StripeError::Stripe(api, status) => {
            assert_eq!(status, 402);
            assert_eq!(api.code.as_ref().map(|c| c.as_str()), Some("card_declined"));
            assert_eq!(api.decline_code.as_deref(), Some("generic_decline"));
            let pi = api.payment_intent.expect("the declined PaymentIntent");
            assert_eq!(
                pi.status,
                stripe_core::PaymentIntentStatus::RequiresPaymentMethod
            );
        }
        other => panic!("expected a Stripe error, got {other:?}"),
    }
    // The next attempt goes through.
    let ok = CreatePaymentIntent::new(2000, Currency::USD)
        .payment_method("pm_card_visa")
        .confirm(true)
        .send(&h.client)
        .await
        .unwrap();
    assert_eq!(ok.status, stripe_core::PaymentIntentStatus::Succeeded);
}

#[tokio::test]
async fn unknown_ids_are_404_resource_missing_and_a_wrong_key_is_401() {
    let h = Harness::start().await;
    let err = RetrieveCheckoutSession::new("cs_test_nope")
        .send(&h.client)
        .await
        .unwrap_err();
    match err {
        stripe::StripeError::Stripe(api, status) => {
            assert_eq!(status, 404);
            assert_eq!(
                api.code.as_ref().map(|c| c.as_str()),
                Some("resource_missing")
            );
            assert_eq!(
                api.message.as_deref(),
                Some("No such checkout.session: 'cs_test_nope'")
            );
        }
        other => panic!("expected a Stripe error, got {other:?}"),
    }

    let bad = stripe::ClientBuilder::new("sk_test_wrong")
        .url(h.double.base_url())
        .build()
        .unwrap();
    let err = CreateCustomer::new().send(&bad).await.unwrap_err();
    assert!(
        matches!(err, stripe::StripeError::Stripe(_, 401)),
        "{err:?}"
    );
}

#[tokio::test]
async fn injected_server_errors_and_rate_limits_surface_with_their_statuses() {
    let h = Harness::start().await;
    h.double
        .fail_next("/customers", stripe_double::StripeFault::ApiError, 1);
    h.double
        .fail_next("/customers", stripe_double::StripeFault::RateLimited, 1);
    let first = CreateCustomer::new().send(&h.client).await.unwrap_err();
    assert!(
        matches!(first, stripe::StripeError::Stripe(ref e, 500) if e.type_ == stripe::ApiErrorsType::ApiError),
        "{first:?}"
    );
    let second = CreateCustomer::new().send(&h.client).await.unwrap_err();
    assert!(
        matches!(second, stripe::StripeError::Stripe(_, 429)),
        "{second:?}"
    );
    CreateCustomer::new().send(&h.client).await.unwrap();
}
