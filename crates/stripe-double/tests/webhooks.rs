//! Every event the driver sends is delivered signed and parses with async-stripe's
//! `Webhook::construct_event` into the expected `EventObject` variant.

mod common;

use std::collections::HashMap;

use common::{Harness, SECRET, now};
use stripe_checkout::CheckoutSessionMode;
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionLineItemsPriceData,
    ProductData,
};
use stripe_core::payment_intent::CreatePaymentIntent;
use stripe_types::Currency;
use stripe_webhook::{EventObject, Webhook, WebhookError};

async fn open_session(h: &Harness, amount: i64) -> String {
    let mut pd = CreateCheckoutSessionLineItemsPriceData::new(Currency::USD);
    pd.unit_amount = Some(amount);
    pd.product_data = Some(ProductData::new("Access"));
    let mut item = CreateCheckoutSessionLineItems::new();
    item.price_data = Some(pd);
    item.quantity = Some(1);
    let session = CreateCheckoutSession::new()
        .mode(CheckoutSessionMode::Payment)
        .line_items(vec![item])
        .client_reference_id("user-7")
        .metadata(HashMap::from([("order_id".to_string(), "9".to_string())]))
        .success_url("https://bot.test/ok")
        .send(&h.client)
        .await
        .unwrap();
    session.id.as_str().to_string()
}

#[tokio::test]
async fn a_completed_checkout_is_delivered_as_checkout_session_completed_with_its_references() {
    let h = Harness::start().await;
    let id = open_session(&h, 1200).await;
    let delivered = h.double.complete_checkout(&id).await.unwrap();
    assert_eq!(
        delivered.status, 200,
        "the receiver verified and accepted it"
    );
    assert!(delivered.event_id().starts_with("evt_"));
    match h.last_event().data.object {
        EventObject::CheckoutSessionCompleted(session) => {
            assert_eq!(session.id.as_str(), id);
            assert_eq!(session.client_reference_id.as_deref(), Some("user-7"));
            assert_eq!(
                session
                    .metadata
                    .unwrap()
                    .get("order_id")
                    .map(String::as_str),
                Some("9")
            );
            assert_eq!(
                session.payment_status,
                stripe_checkout::CheckoutSessionPaymentStatus::Paid
            );
            assert!(session.payment_intent.is_some());
            assert_eq!(session.amount_total, Some(1200));
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn delayed_payments_deliver_unpaid_completion_then_async_success_or_failure() {
    let h = Harness::start().await;
    let ok = open_session(&h, 500).await;
    h.double.complete_checkout_async_pending(&ok).await.unwrap();
    match h.last_event().data.object {
        EventObject::CheckoutSessionCompleted(s) => assert_eq!(
            s.payment_status,
            stripe_checkout::CheckoutSessionPaymentStatus::Unpaid
        ),
        other => panic!("unexpected {other:?}"),
    }
    h.double.async_payment_succeeded(&ok).await.unwrap();
    match h.last_event().data.object {
        EventObject::CheckoutSessionAsyncPaymentSucceeded(s) => assert_eq!(
            s.payment_status,
            stripe_checkout::CheckoutSessionPaymentStatus::Paid
        ),
        other => panic!("unexpected {other:?}"),
    }

    let bad = open_session(&h, 500).await;
    h.double
        .complete_checkout_async_pending(&bad)
        .await
        .unwrap();
    h.double.async_payment_failed(&bad).await.unwrap();
    match h.last_event().data.object {
        EventObject::CheckoutSessionAsyncPaymentFailed(s) => {
            assert_eq!(s.id.as_str(), bad);
            assert_eq!(s.client_reference_id.as_deref(), Some("user-7"));
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn an_expired_session_is_delivered_as_checkout_session_expired() {
    let h = Harness::start().await;
    let id = open_session(&h, 700).await;
    h.double.expire_checkout(&id).await.unwrap();
    match h.last_event().data.object {
        EventObject::CheckoutSessionExpired(s) => {
            assert_eq!(
                s.status,
                Some(stripe_checkout::CheckoutSessionStatus::Expired)
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(
        h.double.complete_checkout(&id).await.is_err(),
        "expired sessions cannot be paid"
    );
}

#[tokio::test]
async fn refunds_are_delivered_as_charge_refunded_and_cannot_exceed_the_charge() {
    let h = Harness::start().await;
    let id = open_session(&h, 1000).await;
    h.double.complete_checkout(&id).await.unwrap();
    let pi = h.double.checkout_session(&id).unwrap()["payment_intent"]
        .as_str()
        .unwrap()
        .to_string();
    h.double.refund_payment(&pi, Some(400)).await.unwrap();
    match h.last_event().data.object {
        EventObject::ChargeRefunded(charge) => {
            assert_eq!(charge.amount_refunded, 400);
            assert!(!charge.refunded);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(h.double.refund_payment(&pi, Some(601)).await.is_err());
    h.double.refund_payment(&pi, None).await.unwrap();
    match h.last_event().data.object {
        EventObject::ChargeRefunded(charge) => assert!(charge.refunded),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(h.double.refunds().len(), 2);
}

#[tokio::test]
async fn disputes_are_delivered_as_charge_dispute_created() {
    let h = Harness::start().await;
    let id = open_session(&h, 1000).await;
    h.double.complete_checkout(&id).await.unwrap();
    let pi = h.double.checkout_session(&id).unwrap()["payment_intent"]
        .as_str()
        .unwrap()
        .to_string();
    h.double.dispute_payment(&pi).await.unwrap();
    match h.last_event().data.object {
        EventObject::ChargeDisputeCreated(dispute) => {
            assert_eq!(dispute.amount, 1000);
            assert_eq!(
                dispute
                    .payment_intent
                    .as_ref()
                    .map(|p| p.id().as_str().to_string()),
                Some(pi)
            );
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn a_failed_payment_intent_is_delivered_as_payment_intent_payment_failed() {
    let h = Harness::start().await;
    let pi = CreatePaymentIntent::new(900, Currency::USD)
        .payment_method("pm_card_visa")
        .send(&h.client)
        .await
        .unwrap();
    h.double.fail_payment_intent(pi.id.as_str()).await.unwrap();
    match h.last_event().data.object {
        EventObject::PaymentIntentPaymentFailed(p) => {
            assert_eq!(p.id, pi.id);
            let err = p.last_payment_error.expect("last_payment_error");
            assert_eq!(err.code.as_ref().map(|c| c.as_str()), Some("card_declined"));
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn redelivery_sends_the_same_event_id_again() {
    let h = Harness::start().await;
    let id = open_session(&h, 300).await;
    let first = h.double.complete_checkout(&id).await.unwrap();
    let again = h.double.redeliver(first.event_id()).await.unwrap();
    assert_eq!(again.status, 200);
    assert_eq!(again.event_id(), first.event_id());
    let received = h.receiver.all();
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].payload, received[1].payload);
    assert_eq!(h.double.deliveries().len(), 2);
}

#[tokio::test]
async fn stored_events_of_every_driver_kind_parse_with_async_stripe() {
    let h = Harness::start().await;
    let a = open_session(&h, 100).await;
    h.double.complete_checkout(&a).await.unwrap();
    let b = open_session(&h, 100).await;
    h.double.expire_checkout(&b).await.unwrap();
    let pi = h.double.checkout_session(&a).unwrap()["payment_intent"]
        .as_str()
        .unwrap()
        .to_string();
    h.double.refund_payment(&pi, Some(10)).await.unwrap();
    h.double.dispute_payment(&pi).await.unwrap();
    let events = h.double.events();
    assert_eq!(events.len(), 4);
    for e in &events {
        let parsed = common::parse_event(&h.double, e);
        assert_eq!(parsed.id.as_str(), e["id"].as_str().unwrap());
        assert_eq!(e["api_version"], stripe_double::API_VERSION);
        assert_eq!(e["livemode"], false);
    }
}

#[tokio::test]
async fn a_signature_made_with_another_secret_is_rejected() {
    let h = Harness::start().await;
    let id = open_session(&h, 100).await;
    let event = h.double.complete_checkout(&id).await.unwrap().event;
    let payload = serde_json::to_string(&event).unwrap();
    let forged = stripe_double::StripeDouble::signature_header("whsec_other", &payload, now());
    assert!(matches!(
        Webhook::construct_event(&payload, &forged, SECRET),
        Err(WebhookError::BadSignature)
    ));
    assert_eq!(
        h.double.post_raw(&payload, Some(&forged)).await.unwrap(),
        400
    );
    assert_eq!(h.double.post_raw(&payload, None).await.unwrap(), 400);
}

#[tokio::test]
async fn a_signature_older_than_five_minutes_is_rejected() {
    let h = Harness::start().await;
    let id = open_session(&h, 100).await;
    let event = h.double.complete_checkout(&id).await.unwrap().event;
    let payload = serde_json::to_string(&event).unwrap();
    let stale = h.double.sign(&payload, now() - 301);
    assert!(matches!(
        Webhook::construct_event(&payload, &stale, SECRET),
        Err(WebhookError::BadTimestamp(_))
    ));
    assert_eq!(
        h.double.post_raw(&payload, Some(&stale)).await.unwrap(),
        400
    );
}

#[tokio::test]
async fn a_payload_changed_after_signing_is_rejected() {
    let h = Harness::start().await;
    let id = open_session(&h, 100).await;
    let event = h.double.complete_checkout(&id).await.unwrap().event;
    let payload = serde_json::to_string(&event).unwrap();
    let sig = h.double.sign(&payload, now());
    let tampered = payload.replace("\"amount_total\":100", "\"amount_total\":1");
    assert_ne!(tampered, payload);
    assert!(matches!(
        Webhook::construct_event(&tampered, &sig, SECRET),
        Err(WebhookError::BadSignature)
    ));
    assert_eq!(h.double.post_raw(&tampered, Some(&sig)).await.unwrap(), 400);
    assert_eq!(h.double.post_raw(&payload, Some(&sig)).await.unwrap(), 200);
}

#[tokio::test]
async fn api_caused_events_are_delivered_in_the_background() {
    let h = Harness::start().await;
    let pi = CreatePaymentIntent::new(900, Currency::USD)
        .payment_method("pm_card_visa")
        .confirm(true)
        .send(&h.client)
        .await
        .unwrap();
    let stored = h.double.events_of_type("payment_intent.succeeded");
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0]["request"]["id"]
            .as_str()
            .map(|s| s.starts_with("req_")),
        Some(true)
    );
    // Wait (without a deadline assertion) for the background delivery to land.
    while h.receiver.all().is_empty() {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    match h.last_event().data.object {
        EventObject::PaymentIntentSucceeded(p) => assert_eq!(p.id, pi.id),
        other => panic!("unexpected {other:?}"),
    }
}
