//! State transitions shared by the HTTP API and the driver: completing a Checkout Session,
//! charging, refunding, disputing, failing and expiring, and recording events.

use serde_json::{Map, Value, json};

use crate::error::ApiError;
use crate::ids::new_id;
use crate::objects;
use crate::store::Store;

/// `(request id, idempotency key)` of the API request that caused a change.
pub type RequestRef = Option<(String, Option<String>)>;

/// Store an event of `kind` carrying a snapshot of `object`, and return it.
pub fn record_event(store: &mut Store, kind: &str, object: Value, request: RequestRef) -> Value {
    let is_api = request.is_some();
    let mut event = objects::event(kind, object, request);
    event["pending_webhooks"] = json!(i64::from(store.webhook_url.is_some()));
    store.put(event.clone());
    if is_api {
        store.fresh_events.push(event.clone());
    }
    event
}

fn session_mut<'a>(store: &'a mut Store, id: &str) -> Result<&'a mut Value, ApiError> {
    store
        .get_kind_mut("checkout.session", id)
        .ok_or_else(|| ApiError::no_such("checkout.session", id))
}

pub fn get<'a>(store: &'a Store, kind: &str, id: &str) -> Result<&'a Value, ApiError> {
    store
        .get_kind(kind, id)
        .ok_or_else(|| ApiError::no_such(kind, id))
}

/// How a Checkout Session completes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Completion {
    /// Card payment: paid at once.
    Paid,
    /// A delayed payment method: complete but `unpaid` until the async payment resolves.
    Pending,
}

/// Create a charge on a PaymentIntent and move the PaymentIntent accordingly.
/// `status` is the charge status: `succeeded`, `pending` or `failed`.
pub fn charge_payment_intent(
    store: &mut Store,
    pi_id: &str,
    method_type: &str,
    status: &str,
) -> Result<Value, ApiError> {
    let mut pi = get(store, "payment_intent", pi_id)?.clone();
    let pm = pi["payment_method"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| new_id("pm"));
    let charge = objects::charge(&pi, &pm, method_type, status);
    pi["payment_method"] = json!(pm);
    pi["latest_charge"] = charge["id"].clone();
    match status {
        "succeeded" => {
            pi["status"] = json!("succeeded");
            pi["amount_received"] = pi["amount"].clone();
            pi["last_payment_error"] = Value::Null;
        }
        "pending" => pi["status"] = json!("processing"),
        _ => {
            pi["status"] = json!("requires_payment_method");
            let mut err = objects::decline_error(Some(&pm));
            err["charge"] = charge["id"].clone();
            pi["last_payment_error"] = err;
            pi["payment_method"] = Value::Null;
        }
    }
    store.put(charge.clone());
    store.put(pi);
    Ok(charge)
}

/// Complete an open Checkout Session as the customer paying on the hosted page would.
pub fn complete_session(
    store: &mut Store,
    id: &str,
    completion: Completion,
) -> Result<Value, ApiError> {
    let session = session_mut(store, id)?.clone();
    if session["status"] != "open" {
        return Err(ApiError::invalid(format!(
            "This Checkout Session is not open (status: {}).",
            session["status"].as_str().unwrap_or("?")
        )));
    }
    let mode = session["mode"].as_str().unwrap_or("payment").to_string();
    let extras = store.extras.get(id).cloned().unwrap_or_else(|| json!({}));
    let pi_data = extras["payment_intent_data"].clone();
    let setup_future_usage = pi_data["setup_future_usage"].as_str().map(str::to_string);

    // The buyer's email: the session's, else the existing customer's, else a made-up one.
    let existing_customer = session["customer"].as_str().map(str::to_string);
    let email = session["customer_email"]
        .as_str()
        .map(str::to_string)
        .or_else(|| {
            existing_customer
                .as_ref()
                .and_then(|c| store.get(c))
                .and_then(|c| c["email"].as_str().map(str::to_string))
        })
        .unwrap_or_else(|| "buyer@example.com".to_string());
    let name = "Test Buyer";

    // Stripe creates a Customer in subscription and setup mode, with customer_creation=always,
    // or when the payment method is saved for future use; otherwise the session stays
    // customer-less (a "guest").
    let needs_customer = mode != "payment"
        || session["customer_creation"] == "always"
        || setup_future_usage.is_some();
    let customer = match existing_customer {
        Some(c) => Some(c),
        None if needs_customer => {
            let c = objects::customer(objects::NewCustomer {
                email: Some(email.clone()),
                name: Some(name.to_string()),
                phone: None,
                description: None,
                metadata: Map::new(),
                default_payment_method: None,
            });
            let cid = c["id"].as_str().unwrap_or_default().to_string();
            store.put(c);
            Some(cid)
        }
        None => None,
    };

    let mut updated = session.clone();
    updated["status"] = json!("complete");
    updated["url"] = Value::Null;
    updated["customer"] = json!(customer);
    updated["customer_details"] = objects::customer_details(Some(&email), Some(name));

    if mode == "setup" {
        updated["setup_intent"] = json!(new_id("seti"));
    } else {
        let method_type = if completion == Completion::Paid {
            "card"
        } else {
            "sepa_debit"
        };
        let metadata = pi_data["metadata"].as_object().cloned().unwrap_or_default();
        let pi = objects::payment_intent(objects::NewPaymentIntent {
            amount: session["amount_total"].as_i64().unwrap_or(0),
            currency: session["currency"].as_str().unwrap_or("usd").to_string(),
            customer: customer.clone(),
            description: pi_data["description"]
                .as_str()
                .map(str::to_string)
                .or_else(|| (mode == "subscription").then(|| "Subscription creation".into())),
            metadata,
            payment_method: Some(new_id("pm")),
            payment_method_types: vec![method_type.to_string()],
            setup_future_usage,
            receipt_email: pi_data["receipt_email"].as_str().map(str::to_string),
            status: "requires_confirmation".into(),
        });
        let mut pi = pi;
        // A destination charge: the fee stays with the platform, the rest goes to the account.
        if let Some(destination) = pi_data["transfer_data"]["destination"].as_str() {
            pi["transfer_data"] = json!({ "destination": destination });
            pi["application_fee_amount"] = pi_data["application_fee_amount"]
                .as_str()
                .and_then(|a| a.parse::<i64>().ok())
                .map_or(Value::Null, |a| json!(a));
        }
        let pi_id = pi["id"].as_str().unwrap_or_default().to_string();
        store.put(pi);
        let charge_status = if completion == Completion::Paid {
            "succeeded"
        } else {
            "pending"
        };
        charge_payment_intent(store, &pi_id, method_type, charge_status)?;
        let entry = store
            .extras
            .entry(id.to_string())
            .or_insert_with(|| json!({}));
        entry["payment_intent"] = json!(pi_id);
        if mode == "payment" {
            updated["payment_intent"] = json!(pi_id);
        } else {
            updated["subscription"] = json!(new_id("sub"));
            updated["invoice"] = json!(new_id("in"));
        }
        updated["payment_status"] = json!(if completion == Completion::Paid {
            "paid"
        } else {
            "unpaid"
        });
    }
    store.put(updated.clone());
    Ok(record_event(
        store,
        "checkout.session.completed",
        updated,
        None,
    ))
}

/// Resolve the delayed payment of a completed, unpaid Checkout Session.
pub fn async_payment(store: &mut Store, id: &str, succeeded: bool) -> Result<Value, ApiError> {
    let session = session_mut(store, id)?.clone();
    if session["status"] != "complete" || session["payment_status"] != "unpaid" {
        return Err(ApiError::invalid(format!(
            "Checkout Session {id} has no pending async payment (status {}, payment_status {}).",
            session["status"], session["payment_status"]
        )));
    }
    let pi_id = store
        .extras
        .get(id)
        .and_then(|e| e["payment_intent"].as_str().map(str::to_string))
        .ok_or_else(|| ApiError::invalid(format!("Checkout Session {id} has no payment")))?;
    let pi = get(store, "payment_intent", &pi_id)?.clone();
    let charge_id = pi["latest_charge"].as_str().unwrap_or_default().to_string();
    let mut charge = get(store, "charge", &charge_id)?.clone();
    let mut pi = pi;
    let mut updated = session;
    if succeeded {
        charge["status"] = json!("succeeded");
        charge["paid"] = json!(true);
        charge["captured"] = json!(true);
        charge["amount_captured"] = charge["amount"].clone();
        pi["status"] = json!("succeeded");
        pi["amount_received"] = pi["amount"].clone();
        updated["payment_status"] = json!("paid");
    } else {
        charge["status"] = json!("failed");
        charge["failure_code"] = json!("insufficient_funds");
        charge["failure_message"] = json!("The account has insufficient funds.");
        pi["status"] = json!("requires_payment_method");
        let mut err = objects::decline_error(pi["payment_method"].as_str());
        err["code"] = json!("insufficient_funds");
        err["decline_code"] = Value::Null;
        err["message"] = json!("The account has insufficient funds.");
        err["charge"] = json!(charge_id);
        pi["last_payment_error"] = err;
        pi["payment_method"] = Value::Null;
    }
    store.put(charge);
    store.put(pi);
    store.put(updated.clone());
    let kind = if succeeded {
        "checkout.session.async_payment_succeeded"
    } else {
        "checkout.session.async_payment_failed"
    };
    Ok(record_event(store, kind, updated, None))
}

/// Expire an open Checkout Session. Returns the session and the `checkout.session.expired`
/// event.
pub fn expire_session(
    store: &mut Store,
    id: &str,
    request: RequestRef,
) -> Result<(Value, Value), ApiError> {
    let session = session_mut(store, id)?;
    if session["status"] != "open" {
        return Err(ApiError::invalid(
            "Only Checkout Sessions with a status in [\"open\"] can be expired.",
        )
        .code("checkout_session_not_open")
        .param("session"));
    }
    session["status"] = json!("expired");
    session["url"] = Value::Null;
    let session = session.clone();
    let event = record_event(store, "checkout.session.expired", session.clone(), request);
    Ok((session, event))
}

/// The charge behind a PaymentIntent (its latest charge) or a charge id.
pub fn charge_of(store: &Store, pi_or_charge: &str, param: &str) -> Result<Value, ApiError> {
    if pi_or_charge.starts_with("ch_") || pi_or_charge.starts_with("py_") {
        return store
            .get_kind("charge", pi_or_charge)
            .cloned()
            .ok_or_else(|| ApiError::no_such_param("charge", pi_or_charge, param));
    }
    let pi = store
        .get_kind("payment_intent", pi_or_charge)
        .ok_or_else(|| ApiError::no_such_param("payment_intent", pi_or_charge, param))?;
    let charge_id = pi["latest_charge"].as_str().ok_or_else(|| {
        ApiError::invalid(format!(
            "This PaymentIntent ({pi_or_charge}) does not have a successful charge to refund."
        ))
        .code("charge_not_refundable")
        .param(param)
    })?;
    get(store, "charge", charge_id).cloned()
}

/// Refund `amount` (default: all that remains) of a charge. Returns the refund and the
/// `charge.refunded` event.
pub fn refund(
    store: &mut Store,
    mut charge: Value,
    amount: Option<i64>,
    reason: Option<String>,
    metadata: Map<String, Value>,
    request: RequestRef,
) -> Result<(Value, Value), ApiError> {
    let charge_id = charge["id"].as_str().unwrap_or_default().to_string();
    if charge["status"] != "succeeded" {
        return Err(ApiError::invalid(format!(
            "Charge {charge_id} has not succeeded and cannot be refunded."
        ))
        .code("charge_not_refundable"));
    }
    let total = charge["amount"].as_i64().unwrap_or(0);
    let refunded = charge["amount_refunded"].as_i64().unwrap_or(0);
    let remaining = total - refunded;
    if remaining <= 0 {
        return Err(
            ApiError::invalid(format!("Charge {charge_id} has already been refunded."))
                .code("charge_already_refunded"),
        );
    }
    let amount = amount.unwrap_or(remaining);
    if amount <= 0 {
        return Err(ApiError::invalid("Invalid positive integer")
            .code("parameter_invalid_integer")
            .param("amount"));
    }
    if amount > remaining {
        return Err(ApiError::invalid(format!(
            "Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})"
        ))
        .code("amount_too_large")
        .param("amount"));
    }
    let refund = objects::refund(&charge, amount, reason, metadata);
    store.put(refund.clone());
    charge["amount_refunded"] = json!(refunded + amount);
    charge["refunded"] = json!(refunded + amount == total);
    store.put(charge.clone());
    let event = record_event(store, "charge.refunded", charge, request);
    Ok((refund, event))
}

/// Open a dispute on the latest charge of a PaymentIntent.
pub fn dispute(store: &mut Store, pi_id: &str) -> Result<Value, ApiError> {
    let mut charge = charge_of(store, pi_id, "payment_intent")?;
    if charge["status"] != "succeeded" {
        return Err(ApiError::invalid("Only succeeded charges can be disputed."));
    }
    charge["disputed"] = json!(true);
    let dispute = objects::dispute(&charge);
    store.put(charge);
    store.put(dispute.clone());
    Ok(record_event(store, "charge.dispute.created", dispute, None))
}

/// Decline a PaymentIntent's payment attempt: `payment_intent.payment_failed`.
pub fn fail_payment_intent(
    store: &mut Store,
    pi_id: &str,
    request: RequestRef,
) -> Result<Value, ApiError> {
    let mut pi = get(store, "payment_intent", pi_id)?.clone();
    if pi["status"] == "succeeded" || pi["status"] == "canceled" {
        return Err(ApiError::invalid(format!(
            "This PaymentIntent's payment cannot fail because it has a status of {}.",
            pi["status"].as_str().unwrap_or("?")
        ))
        .code("payment_intent_unexpected_state"));
    }
    if pi["status"] == "processing"
        && let Some(ch) = pi["latest_charge"].as_str().map(str::to_string)
        && let Some(charge) = store.get_kind_mut("charge", &ch)
    {
        charge["status"] = json!("failed");
        charge["failure_code"] = json!("card_declined");
        charge["failure_message"] = json!("Your card was declined.");
    }
    let mut err = objects::decline_error(pi["payment_method"].as_str());
    err["charge"] = pi["latest_charge"].clone();
    pi["last_payment_error"] = err;
    pi["status"] = json!("requires_payment_method");
    pi["payment_method"] = Value::Null;
    store.put(pi.clone());
    Ok(record_event(
        store,
        "payment_intent.payment_failed",
        pi,
        request,
    ))
}

/// A PaymentIntent confirmation: charge it (or decline it). Returns the updated PaymentIntent
/// and the event (`payment_intent.succeeded` or `payment_intent.payment_failed`); on a
/// decline the error to answer with embeds the PaymentIntent.
pub fn confirm_payment_intent(
    store: &mut Store,
    pi_id: &str,
    decline: bool,
    request: RequestRef,
) -> Result<(Value, Value), ApiError> {
    let pi = get(store, "payment_intent", pi_id)?.clone();
    let pm = pi["payment_method"].as_str().map(str::to_string);
    let declined = decline
        || pm
            .as_deref()
            .is_some_and(|p| p.contains("Declined") || p.contains("declined"));
    if declined {
        charge_payment_intent(store, pi_id, "card", "failed")?;
        let pi = get(store, "payment_intent", pi_id)?.clone();
        record_event(store, "payment_intent.payment_failed", pi.clone(), request);
        let mut err = ApiError::card_declined();
        err.details
            .extra
            .insert("payment_intent".into(), pi.clone());
        err.details
            .extra
            .insert("charge".into(), pi["latest_charge"].clone());
        return Err(err);
    }
    charge_payment_intent(store, pi_id, "card", "succeeded")?;
    let pi = get(store, "payment_intent", pi_id)?.clone();
    let event = record_event(store, "payment_intent.succeeded", pi.clone(), request);
    Ok((pi, event))
}
