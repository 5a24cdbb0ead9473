//! Subscriptions, their invoices and coupons, in the shapes of the API version the double
//! speaks ([`crate::API_VERSION`]): a subscription's period is on its items
//! (`items.data[].current_period_end`), an invoice names its subscription under
//! `parent.subscription_details`, and a line's service period is `lines.data[].period`.
//!
//! A Checkout Session in `subscription` mode starts one when it is paid
//! ([`start_from_session`]); driver actions renew it, fail a renewal, pay the open invoice or
//! end it, as Stripe's billing engine would on its own schedule.

use serde_json::{Value, json};

use crate::error::ApiError;
use crate::form::{merge_metadata, str_of};
use crate::ids::{new_id, now, random_chars};
use crate::ops::{RequestRef, get, record_event};
use crate::store::Store;

/// Seconds in one billing interval of `price` (`recurring.interval` × `interval_count`).
fn interval_secs(price: &Value) -> i64 {
    let count = price["recurring"]["interval_count"].as_i64().unwrap_or(1);
    let unit = match price["recurring"]["interval"].as_str().unwrap_or("month") {
        "day" => 86_400,
        "week" => 7 * 86_400,
        "year" => 365 * 86_400,
        _ => 30 * 86_400,
    };
    unit * count
}

fn item_of(sub: &Value) -> &Value {
    &sub["items"]["data"][0]
}

fn invoice(
    base_url: &str,
    sub: &Value,
    reason: &str,
    period: (i64, i64),
    paid: bool,
    amount: i64,
) -> Value {
    let id = new_id("in");
    let price = &item_of(sub)["price"];
    let created = now();
    json!({
        "id": id,
        "object": "invoice",
        "account_country": "US",
        "account_name": "Tollgate test account",
        "amount_due": amount,
        "amount_overpaid": 0,
        "amount_paid": if paid { amount } else { 0 },
        "amount_remaining": if paid { 0 } else { amount },
        "amount_shipping": 0,
        "attempt_count": 1,
        "attempted": true,
        "auto_advance": !paid,
        "automatic_tax": { "enabled": false, "liability": null, "provider": null, "status": null, "disabled_reason": null },
        "billing_reason": reason,
        "collection_method": "charge_automatically",
        "created": created,
        "currency": price["currency"],
        "customer": sub["customer"],
        "customer_email": null,
        "description": null,
        "discounts": [],
        "due_date": null,
        "hosted_invoice_url": format!("{base_url}/invoice/{id}"),
        "invoice_pdf": format!("{base_url}/invoice/{id}/pdf"),
        "issuer": { "type": "self" },
        "lines": {
            "object": "list",
            "data": [{
                "id": new_id("il"),
                "object": "line_item",
                "amount": amount,
                "currency": price["currency"],
                "description": format!("1 × {}", price["product"].as_str().unwrap_or("product")),
                "discountable": true,
                "discounts": [],
                "invoice": id,
                "livemode": false,
                "metadata": {},
                "parent": {
                    "type": "subscription_item_details",
                    "invoice_item_details": null,
                    "subscription_item_details": {
                        "invoice_item": null,
                        "proration": false,
                        "proration_details": { "credited_items": null },
                        "subscription": sub["id"],
                        "subscription_item": item_of(sub)["id"]
                    }
                },
                "period": { "start": period.0, "end": period.1 },
                "pricing": {
                    "type": "price_details",
                    "price_details": { "price": price["id"], "product": price["product"] },
                    "unit_amount_decimal": amount.to_string()
                },
                "quantity": 1
            }],
            "has_more": false,
            "url": format!("/v1/invoices/{id}/lines")
        },
        "livemode": false,
        "metadata": {},
        "next_payment_attempt": if paid { Value::Null } else { json!(created + 3 * 86_400) },
        "number": format!("{}-{:04}", random_chars(8).to_uppercase(), 1),
        "parent": {
            "type": "subscription_details",
            "quote_details": null,
            "subscription_details": {
                "metadata": sub["metadata"],
                "subscription": sub["id"]
            }
        },
        "period_end": period.0,
        "period_start": period.0,
        "status": if paid { "paid" } else { "open" },
        "status_transitions": {
            "finalized_at": created,
            "marked_uncollectible_at": null,
            "paid_at": if paid { json!(created) } else { Value::Null },
            "voided_at": null
        },
        "subtotal": amount,
        "total": amount,
        "webhooks_delivered_at": created
    })
}

/// What the customer pays each period: the price, less a one-time coupon still waiting.
fn charge_amount(store: &mut Store, sub: &mut Value) -> i64 {
    let list = item_of(sub)["price"]["unit_amount"].as_i64().unwrap_or(0);
    let Some(coupon_id) = sub["discounts"]
        .as_array()
        .and_then(|d| d.first())
        .and_then(|d| d["coupon"]["id"].as_str().or(d["coupon"].as_str()))
        .map(str::to_string)
    else {
        return list;
    };
    let Some(coupon) = store.get(&coupon_id).cloned() else {
        return list;
    };
    let off = match coupon["percent_off"].as_f64() {
        Some(p) => (list as f64 * p / 100.0).round() as i64,
        None => coupon["amount_off"].as_i64().unwrap_or(0),
    };
    if coupon["duration"] == "once" {
        sub["discounts"] = json!([]);
        sub["discount"] = Value::Null;
    }
    (list - off).max(0)
}

/// A paid Checkout Session in `subscription` mode starts its subscription: the first invoice
/// is paid at once. Returns the subscription and its events (`customer.subscription.created`,
/// `invoice.paid`).
pub fn start_from_session(
    store: &mut Store,
    base_url: &str,
    session: &Value,
    customer: &str,
    sub_id: &str,
    invoice_id: &str,
) -> Vec<Value> {
    let extras = store
        .extras
        .get(session["id"].as_str().unwrap_or_default())
        .cloned()
        .unwrap_or_else(|| json!({}));
    let price = extras["line_items"][0]["price"].clone();
    let data = &extras["subscription_data"];
    let start = now();
    let end = start + interval_secs(&price);
    let metadata = data["metadata"].clone();
    let sub = json!({
        "id": sub_id,
        "object": "subscription",
        "application": null,
        "application_fee_percent": str_of(data, "application_fee_percent").and_then(|p| p.parse::<f64>().ok()),
        "automatic_tax": { "enabled": false, "liability": null, "disabled_reason": null },
        "billing_cycle_anchor": start,
        "billing_mode": { "type": "flexible", "flexible": null, "updated_at": null },
        "cancel_at": null,
        "cancel_at_period_end": false,
        "canceled_at": null,
        "cancellation_details": { "comment": null, "feedback": null, "reason": null },
        "collection_method": "charge_automatically",
        "created": start,
        "currency": price["currency"],
        "customer": customer,
        "days_until_due": null,
        "default_payment_method": null,
        "description": null,
        "discounts": [],
        "ended_at": null,
        "invoice_settings": { "account_tax_ids": null, "issuer": { "type": "self" } },
        "items": {
            "object": "list",
            "data": [{
                "id": new_id("si"),
                "object": "subscription_item",
                "created": start,
                "current_period_start": start,
                "current_period_end": end,
                "discounts": [],
                "metadata": {},
                "price": price,
                "quantity": 1,
                "subscription": sub_id,
                "tax_rates": []
            }],
            "has_more": false,
            "url": format!("/v1/subscription_items?subscription={sub_id}")
        },
        "latest_invoice": invoice_id,
        "livemode": false,
        "metadata": if metadata.is_object() { metadata } else { json!({}) },
        "next_pending_invoice_item_invoice": null,
        "on_behalf_of": null,
        "pause_collection": null,
        "payment_settings": { "payment_method_options": null, "payment_method_types": null, "save_default_payment_method": "off" },
        "pending_invoice_item_interval": null,
        "pending_setup_intent": null,
        "pending_update": null,
        "schedule": null,
        "start_date": start,
        "status": "active",
        "test_clock": null,
        "transfer_data": data.get("transfer_data").cloned().unwrap_or(Value::Null),
        "trial_end": null,
        "trial_settings": { "end_behavior": { "missing_payment_method": "create_invoice" } },
        "trial_start": null
    });
    let amount = price["unit_amount"].as_i64().unwrap_or(0);
    let mut inv = invoice(
        base_url,
        &sub,
        "subscription_create",
        (start, end),
        true,
        amount,
    );
    inv["id"] = json!(invoice_id);
    if let Some(owner) = store
        .owner
        .get(session["id"].as_str().unwrap_or_default())
        .cloned()
    {
        store.owner.insert(sub_id.to_string(), owner.clone());
        store.owner.insert(invoice_id.to_string(), owner);
    }
    store.put(sub.clone());
    store.put(inv.clone());
    vec![
        record_event(store, "customer.subscription.created", sub, None),
        record_event(store, "invoice.paid", inv, None),
    ]
}

fn sub_of(store: &Store, id: &str) -> Result<Value, ApiError> {
    get(store, "subscription", id).cloned()
}

fn new_invoice_for(store: &mut Store, base_url: &str, sub: &mut Value, paid: bool) -> Value {
    let period = interval_secs(&item_of(sub)["price"]);
    let start = item_of(sub)["current_period_end"]
        .as_i64()
        .unwrap_or_else(now);
    let end = start + period;
    sub["items"]["data"][0]["current_period_start"] = json!(start);
    sub["items"]["data"][0]["current_period_end"] = json!(end);
    let amount = charge_amount(store, sub);
    let inv = invoice(
        base_url,
        sub,
        "subscription_cycle",
        (start, end),
        paid,
        amount,
    );
    sub["latest_invoice"] = inv["id"].clone();
    if let Some(owner) = store
        .owner
        .get(sub["id"].as_str().unwrap_or_default())
        .cloned()
    {
        store
            .owner
            .insert(inv["id"].as_str().unwrap_or_default().to_string(), owner);
    }
    store.put(inv.clone());
    inv
}

fn ensure_live(sub: &Value) -> Result<(), ApiError> {
    if sub["status"] == "canceled" || sub["status"] == "incomplete_expired" {
        return Err(ApiError::invalid(format!(
            "The subscription {} has ended.",
            sub["id"].as_str().unwrap_or("?")
        )));
    }
    Ok(())
}

fn ended(store: &mut Store, mut sub: Value, reason: &str, request: RequestRef) -> Vec<Value> {
    let t = now();
    sub["status"] = json!("canceled");
    sub["ended_at"] = json!(t);
    if sub["canceled_at"].is_null() {
        sub["canceled_at"] = json!(t);
    }
    sub["cancellation_details"]["reason"] = json!(reason);
    store.put(sub.clone());
    vec![record_event(
        store,
        "customer.subscription.deleted",
        sub,
        request,
    )]
}

/// The billing engine reaches the end of a period: a subscription set to cancel then ends
/// (`customer.subscription.deleted`); otherwise the next invoice is paid (`invoice.paid`,
/// then `customer.subscription.updated` with the new period).
pub fn renew(store: &mut Store, base_url: &str, id: &str) -> Result<Vec<Value>, ApiError> {
    let mut sub = sub_of(store, id)?;
    ensure_live(&sub)?;
    if sub["cancel_at_period_end"] == true {
        return Ok(ended(store, sub, "cancellation_requested", None));
    }
    let inv = new_invoice_for(store, base_url, &mut sub, true);
    sub["status"] = json!("active");
    store.put(sub.clone());
    Ok(vec![
        record_event(store, "invoice.paid", inv, None),
        record_event(store, "customer.subscription.updated", sub, None),
    ])
}

/// The renewal charge is declined: the new invoice stays open with its hosted page, and the
/// subscription is `past_due` (`invoice.payment_failed`, `customer.subscription.updated`).
pub fn fail_renewal(store: &mut Store, base_url: &str, id: &str) -> Result<Vec<Value>, ApiError> {
    let mut sub = sub_of(store, id)?;
    ensure_live(&sub)?;
    let inv = new_invoice_for(store, base_url, &mut sub, false);
    sub["status"] = json!("past_due");
    store.put(sub.clone());
    Ok(vec![
        record_event(store, "invoice.payment_failed", inv, None),
        record_event(store, "customer.subscription.updated", sub, None),
    ])
}

/// The customer pays the open invoice (on its hosted page, or a retry succeeds): `invoice.paid`
/// and the subscription is `active` again.
pub fn pay_open_invoice(store: &mut Store, invoice_id: &str) -> Result<Vec<Value>, ApiError> {
    let mut inv = get(store, "invoice", invoice_id)?.clone();
    if inv["status"] != "open" {
        return Err(ApiError::invalid(format!(
            "Invoice {invoice_id} is not open (status: {}).",
            inv["status"]
        )));
    }
    let t = now();
    inv["status"] = json!("paid");
    inv["amount_paid"] = inv["amount_due"].clone();
    inv["amount_remaining"] = json!(0);
    inv["status_transitions"]["paid_at"] = json!(t);
    inv["attempt_count"] = json!(inv["attempt_count"].as_i64().unwrap_or(1) + 1);
    inv["next_payment_attempt"] = Value::Null;
    store.put(inv.clone());
    let mut events = vec![record_event(store, "invoice.paid", inv.clone(), None)];
    if let Some(sub_id) = inv["parent"]["subscription_details"]["subscription"].as_str()
        && let Ok(mut sub) = sub_of(store, sub_id)
        && sub["status"] == "past_due"
    {
        sub["status"] = json!("active");
        store.put(sub.clone());
        events.push(record_event(
            store,
            "customer.subscription.updated",
            sub,
            None,
        ));
    }
    Ok(events)
}

/// Stripe gives up on a past-due subscription (the retry schedule ran out).
pub fn give_up(store: &mut Store, id: &str) -> Result<Vec<Value>, ApiError> {
    let sub = sub_of(store, id)?;
    ensure_live(&sub)?;
    Ok(ended(store, sub, "payment_failed", None))
}

// ---------------------------------------------------------------------------------------------
// the API

/// `POST /v1/subscriptions/{id}`: `cancel_at_period_end`, `discounts[0][coupon]`, `metadata`,
/// `proration_behavior`. Sends `customer.subscription.updated`.
pub fn update(
    store: &mut Store,
    id: &str,
    params: &Value,
    request: RequestRef,
) -> Result<Value, ApiError> {
    let mut sub = sub_of(store, id)?;
    if let Value::Object(map) = params {
        for key in map.keys() {
            if ![
                "cancel_at_period_end",
                "discounts",
                "metadata",
                "proration_behavior",
                "expand",
            ]
            .contains(&key.as_str())
            {
                return Err(
                    ApiError::invalid(format!("Received unknown parameter: {key}"))
                        .code("parameter_unknown")
                        .param(key),
                );
            }
        }
    }
    if sub["status"] == "canceled" {
        return Err(ApiError::invalid(
            "A canceled subscription can only update its cancellation_details and metadata.",
        ));
    }
    let previous = json!({
        "cancel_at_period_end": sub["cancel_at_period_end"],
        "discounts": sub["discounts"],
    });
    if let Some(raw) = params.get("cancel_at_period_end") {
        let on = match raw {
            Value::Bool(b) => *b,
            Value::String(s) if s == "true" => true,
            Value::String(s) if s == "false" => false,
            _ => {
                return Err(ApiError::invalid("Invalid boolean")
                    .code("parameter_invalid_boolean")
                    .param("cancel_at_period_end"));
            }
        };
        sub["cancel_at_period_end"] = json!(on);
        sub["cancel_at"] = if on {
            item_of(&sub)["current_period_end"].clone()
        } else {
            Value::Null
        };
        sub["canceled_at"] = if on { json!(now()) } else { Value::Null };
        sub["cancellation_details"]["reason"] = if on {
            json!("cancellation_requested")
        } else {
            Value::Null
        };
    }
    if let Some(discounts) = params.get("discounts") {
        let mut out = Vec::new();
        let list: Vec<Value> = match discounts {
            Value::Array(a) => a.clone(),
            Value::Object(m) => m.values().cloned().collect(),
            Value::String(s) if s.is_empty() => Vec::new(),
            _ => return Err(ApiError::invalid("Invalid array").param("discounts")),
        };
        for d in list {
            let coupon =
                str_of(&d, "coupon").ok_or_else(|| ApiError::missing("discounts[0][coupon]"))?;
            let found = get(store, "coupon", &coupon)
                .map_err(|_| {
                    ApiError::invalid(format!("No such coupon: '{coupon}'"))
                        .code("resource_missing")
                        .param("discounts[0][coupon]")
                })?
                .clone();
            out.push(json!({
                "id": new_id("di"),
                "object": "discount",
                "coupon": found,
                "customer": sub["customer"],
                "start": now(),
                "end": null,
                "subscription": sub["id"],
            }));
        }
        sub["discounts"] = Value::Array(out);
    }
    merge_metadata(&mut sub, params);
    store.put(sub.clone());
    let mut event = crate::objects::event(
        "customer.subscription.updated",
        sub.clone(),
        request.clone(),
    );
    event["data"]["previous_attributes"] = previous;
    event["pending_webhooks"] = json!(i64::from(store.webhook_url.is_some()));
    store.put(event.clone());
    if request.is_some() {
        store.fresh_events.push(event);
    }
    Ok(sub)
}

/// `DELETE /v1/subscriptions/{id}`: ends it now (`customer.subscription.deleted`).
pub fn cancel_now(store: &mut Store, id: &str, request: RequestRef) -> Result<Value, ApiError> {
    let sub = sub_of(store, id)?;
    ensure_live(&sub)?;
    ended(store, sub, "cancellation_requested", request);
    sub_of(store, id)
}

/// `POST /v1/coupons`: `percent_off` or `amount_off` + `currency`, `duration` once / forever
/// / repeating, `name`, `max_redemptions`, `metadata`.
pub fn create_coupon(store: &mut Store, params: &Value) -> Result<Value, ApiError> {
    let percent = str_of(params, "percent_off")
        .map(|p| {
            p.parse::<f64>().map_err(|_| {
                ApiError::invalid(format!("Invalid decimal: {p}"))
                    .code("parameter_invalid_decimal")
                    .param("percent_off")
            })
        })
        .transpose()?;
    let amount = str_of(params, "amount_off")
        .map(|a| {
            a.parse::<i64>()
                .map_err(|_| ApiError::invalid_integer("amount_off", &a))
        })
        .transpose()?;
    match (percent, amount) {
        (Some(p), None) if p > 0.0 && p <= 100.0 => {}
        (None, Some(a)) if a > 0 && str_of(params, "currency").is_some() => {}
        (None, None) => {
            return Err(ApiError::invalid(
                "You must pass either `percent_off` or `amount_off`.",
            ));
        }
        _ => {
            return Err(ApiError::invalid(
                "Invalid coupon: percent_off must be in (0, 100], amount_off must be positive \
                 with a currency, and not both.",
            ));
        }
    }
    let duration = str_of(params, "duration").unwrap_or_else(|| "once".into());
    if !["once", "forever", "repeating"].contains(&duration.as_str()) {
        return Err(ApiError::invalid(
            "Invalid duration: must be one of forever, once, or repeating",
        )
        .param("duration"));
    }
    let coupon = json!({
        "id": str_of(params, "id").unwrap_or_else(|| random_chars(8)),
        "object": "coupon",
        "amount_off": amount,
        "created": now(),
        "currency": str_of(params, "currency"),
        "duration": duration,
        "duration_in_months": null,
        "livemode": false,
        "max_redemptions": str_of(params, "max_redemptions").and_then(|m| m.parse::<i64>().ok()),
        "metadata": Value::Object(crate::form::metadata_of(params, "metadata")),
        "name": str_of(params, "name"),
        "percent_off": percent,
        "redeem_by": null,
        "times_redeemed": 0,
        "valid": true
    });
    store.put(coupon.clone());
    Ok(coupon)
}
