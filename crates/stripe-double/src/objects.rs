//! JSON constructors for Stripe objects, in the shapes of the Stripe API (and hence the shapes
//! async-stripe 1.0 deserializes). Nullable fields are present as `null`.

use serde_json::{Map, Value, json};

use crate::ids::{new_id, now, random_chars};

pub fn list(url: &str, data: Vec<Value>, has_more: bool) -> Value {
    json!({ "object": "list", "data": data, "has_more": has_more, "url": url })
}

pub fn empty_address() -> Value {
    json!({
        "city": null, "country": null, "line1": null, "line2": null,
        "postal_code": null, "state": null
    })
}

pub struct NewCustomer {
    pub email: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub description: Option<String>,
    pub metadata: Map<String, Value>,
    pub default_payment_method: Option<String>,
}

pub fn customer(c: NewCustomer) -> Value {
    json!({
        "id": new_id("cus"),
        "object": "customer",
        "address": null,
        "balance": 0,
        "created": now(),
        "currency": null,
        "default_source": null,
        "delinquent": false,
        "description": c.description,
        "discount": null,
        "email": c.email,
        "invoice_prefix": random_chars(8).to_uppercase(),
        "invoice_settings": {
            "custom_fields": null,
            "default_payment_method": c.default_payment_method,
            "footer": null,
            "rendering_options": null
        },
        "livemode": false,
        "metadata": c.metadata,
        "name": c.name,
        "next_invoice_sequence": 1,
        "phone": c.phone,
        "preferred_locales": [],
        "shipping": null,
        "tax_exempt": "none",
        "test_clock": null
    })
}

pub fn product(
    name: &str,
    description: Option<String>,
    active: bool,
    metadata: Map<String, Value>,
) -> Value {
    let t = now();
    json!({
        "id": new_id("prod"),
        "object": "product",
        "active": active,
        "created": t,
        "default_price": null,
        "description": description,
        "images": [],
        "livemode": false,
        "marketing_features": [],
        "metadata": metadata,
        "name": name,
        "package_dimensions": null,
        "shippable": null,
        "statement_descriptor": null,
        "tax_code": null,
        "type": "service",
        "unit_label": null,
        "updated": t,
        "url": null
    })
}

pub struct NewPrice {
    pub product: String,
    pub currency: String,
    pub unit_amount: Option<i64>,
    pub recurring: Option<(String, i64)>,
    pub nickname: Option<String>,
    pub lookup_key: Option<String>,
    pub metadata: Map<String, Value>,
    pub active: bool,
}

pub fn price(p: NewPrice) -> Value {
    let recurring = p.recurring.as_ref().map(|(interval, count)| {
        json!({
            "interval": interval,
            "interval_count": count,
            "meter": null,
            "trial_period_days": null,
            "usage_type": "licensed"
        })
    });
    json!({
        "id": new_id("price"),
        "object": "price",
        "active": p.active,
        "billing_scheme": "per_unit",
        "created": now(),
        "currency": p.currency,
        "custom_unit_amount": null,
        "livemode": false,
        "lookup_key": p.lookup_key,
        "metadata": p.metadata,
        "nickname": p.nickname,
        "product": p.product,
        "recurring": recurring,
        "tax_behavior": "unspecified",
        "tiers_mode": null,
        "transform_quantity": null,
        "type": if p.recurring.is_some() { "recurring" } else { "one_time" },
        "unit_amount": p.unit_amount,
        "unit_amount_decimal": p.unit_amount.map(|a| a.to_string())
    })
}

/// A Checkout line item (`object: "item"`) for `quantity` of `price`.
pub fn line_item(price: &Value, quantity: i64, description: &str) -> Value {
    let amount = price["unit_amount"].as_i64().unwrap_or(0) * quantity;
    json!({
        "id": new_id("li"),
        "object": "item",
        "adjustable_quantity": null,
        "amount_discount": 0,
        "amount_subtotal": amount,
        "amount_tax": 0,
        "amount_total": amount,
        "currency": price["currency"],
        "description": description,
        "price": price,
        "quantity": quantity
    })
}

pub struct NewSession {
    pub id: String,
    pub base_url: String,
    pub mode: String,
    pub currency: Option<String>,
    pub amount: Option<i64>,
    pub customer: Option<String>,
    pub customer_email: Option<String>,
    pub customer_creation: Option<String>,
    pub client_reference_id: Option<String>,
    pub metadata: Map<String, Value>,
    pub success_url: Option<String>,
    pub cancel_url: Option<String>,
    pub expires_at: i64,
    pub payment_method_types: Vec<String>,
    pub locale: Option<String>,
    pub submit_type: Option<String>,
    pub allow_promotion_codes: Option<bool>,
}

pub fn checkout_session(s: NewSession) -> Value {
    let payment_status = if s.mode == "setup" {
        "no_payment_required"
    } else {
        "unpaid"
    };
    let payment_method_collection = if s.mode == "payment" {
        Value::Null
    } else {
        json!("always")
    };
    let invoice_creation = if s.mode == "payment" {
        json!({
            "enabled": false,
            "invoice_data": {
                "account_tax_ids": null, "custom_fields": null, "description": null,
                "footer": null, "issuer": null, "metadata": {}, "rendering_options": null
            }
        })
    } else {
        Value::Null
    };
    let url = format!("{}pay/{}", s.base_url, s.id);
    json!({
        "id": s.id,
        "object": "checkout.session",
        "adaptive_pricing": null,
        "after_expiration": null,
        "allow_promotion_codes": s.allow_promotion_codes,
        "amount_subtotal": s.amount,
        "amount_total": s.amount,
        "automatic_tax": { "enabled": false, "liability": null, "provider": null, "status": null },
        "billing_address_collection": null,
        "cancel_url": s.cancel_url,
        "client_reference_id": s.client_reference_id,
        "client_secret": null,
        "collected_information": null,
        "consent": null,
        "consent_collection": null,
        "created": now(),
        "currency": s.currency,
        "currency_conversion": null,
        "custom_fields": [],
        "custom_text": {
            "after_submit": null, "shipping_address": null, "submit": null,
            "terms_of_service_acceptance": null
        },
        "customer": s.customer,
        "customer_creation": s.customer_creation,
        "customer_details": null,
        "customer_email": s.customer_email,
        "discounts": [],
        "expires_at": s.expires_at,
        "invoice": null,
        "invoice_creation": invoice_creation,
        "livemode": false,
        "locale": s.locale,
        "metadata": s.metadata,
        "mode": s.mode,
        "payment_intent": null,
        "payment_link": null,
        "payment_method_collection": payment_method_collection,
        "payment_method_configuration_details": null,
        "payment_method_options": {},
        "payment_method_types": s.payment_method_types,
        "payment_status": payment_status,
        "phone_number_collection": { "enabled": false },
        "recovered_from": null,
        "saved_payment_method_options": null,
        "setup_intent": null,
        "shipping_address_collection": null,
        "shipping_cost": null,
        "shipping_options": [],
        "status": "open",
        "submit_type": s.submit_type,
        "subscription": null,
        "success_url": s.success_url,
        "total_details": { "amount_discount": 0, "amount_shipping": 0, "amount_tax": 0 },
        "ui_mode": "hosted_page",
        "url": url,
        "wallet_options": null
    })
}

pub fn customer_details(email: Option<&str>, name: Option<&str>) -> Value {
    let mut address = empty_address();
    address["country"] = json!("US");
    address["postal_code"] = json!("42424");
    json!({
        "address": address,
        "email": email,
        "name": name,
        "phone": null,
        "tax_exempt": "none",
        "tax_ids": []
    })
}

pub struct NewPaymentIntent {
    pub amount: i64,
    pub currency: String,
    pub customer: Option<String>,
    pub description: Option<String>,
    pub metadata: Map<String, Value>,
    pub payment_method: Option<String>,
    pub payment_method_types: Vec<String>,
    pub setup_future_usage: Option<String>,
    pub receipt_email: Option<String>,
    pub status: String,
}

pub fn payment_intent(p: NewPaymentIntent) -> Value {
    let id = new_id("pi");
    let secret = format!("{id}_secret_{}", random_chars(25));
    json!({
        "id": id,
        "object": "payment_intent",
        "amount": p.amount,
        "amount_capturable": 0,
        "amount_details": { "tip": {} },
        "amount_received": 0,
        "application": null,
        "application_fee_amount": null,
        "automatic_payment_methods": null,
        "canceled_at": null,
        "cancellation_reason": null,
        "capture_method": "automatic_async",
        "client_secret": secret,
        "confirmation_method": "automatic",
        "created": now(),
        "currency": p.currency,
        "customer": p.customer,
        "description": p.description,
        "last_payment_error": null,
        "latest_charge": null,
        "livemode": false,
        "metadata": p.metadata,
        "next_action": null,
        "on_behalf_of": null,
        "payment_method": p.payment_method,
        "payment_method_configuration_details": null,
        "payment_method_options": {},
        "payment_method_types": p.payment_method_types,
        "processing": null,
        "receipt_email": p.receipt_email,
        "review": null,
        "setup_future_usage": p.setup_future_usage,
        "shipping": null,
        "source": null,
        "statement_descriptor": null,
        "statement_descriptor_suffix": null,
        "status": p.status,
        "transfer_data": null,
        "transfer_group": null
    })
}

/// The `last_payment_error` of a declined PaymentIntent.
pub fn decline_error(payment_method: Option<&str>) -> Value {
    json!({
        "charge": null,
        "code": "card_declined",
        "decline_code": "generic_decline",
        "doc_url": "https://stripe.com/docs/error-codes/card-declined",
        "message": "Your card was declined.",
        "param": null,
        "payment_method_type": payment_method.map(|_| "card"),
        "type": "card_error"
    })
}

fn payment_method_details(method_type: &str) -> Value {
    if method_type == "card" {
        json!({
            "type": "card",
            "card": {
                "amount_authorization": null,
                "brand": "visa",
                "checks": {
                    "address_line1_check": null,
                    "address_postal_code_check": "pass",
                    "cvc_check": "pass"
                },
                "country": "US",
                "exp_month": 12,
                "exp_year": 2034,
                "extended_authorization": { "status": "disabled" },
                "fingerprint": random_chars(16),
                "funding": "credit",
                "installments": null,
                "last4": "4242",
                "mandate": null,
                "network": "visa",
                "network_token": { "used": false },
                "three_d_secure": null,
                "wallet": null
            }
        })
    } else {
        let mut details = Map::new();
        details.insert("type".into(), json!(method_type));
        details.insert(method_type.to_string(), json!({}));
        Value::Object(details)
    }
}

/// A charge for a PaymentIntent. `status` is `succeeded`, `pending` or `failed`.
pub fn charge(pi: &Value, payment_method: &str, method_type: &str, status: &str) -> Value {
    let id = new_id("ch");
    let amount = pi["amount"].as_i64().unwrap_or(0);
    let succeeded = status == "succeeded";
    let outcome = match status {
        "failed" => json!({
            "network_status": "declined_by_network",
            "reason": "generic_decline",
            "risk_level": "normal",
            "risk_score": 41,
            "seller_message": "The bank did not return any further details with this decline.",
            "type": "issuer_declined"
        }),
        _ => json!({
            "network_status": "approved_by_network",
            "reason": null,
            "risk_level": "normal",
            "risk_score": 32,
            "seller_message": "Payment complete.",
            "type": "authorized"
        }),
    };
    json!({
        "id": id,
        "object": "charge",
        "amount": amount,
        "amount_captured": if succeeded { amount } else { 0 },
        "amount_refunded": 0,
        "application": null,
        "application_fee": null,
        "application_fee_amount": null,
        "balance_transaction": null,
        "billing_details": {
            "address": empty_address(),
            "email": null,
            "name": null,
            "phone": null,
            "tax_id": null
        },
        "calculated_statement_descriptor": "TOLLGATE",
        "captured": succeeded,
        "created": now(),
        "currency": pi["currency"],
        "customer": pi["customer"],
        "description": pi["description"],
        "disputed": false,
        "failure_balance_transaction": null,
        "failure_code": if status == "failed" { json!("card_declined") } else { Value::Null },
        "failure_message": if status == "failed" { json!("Your card was declined.") } else { Value::Null },
        "fraud_details": {},
        "livemode": false,
        "metadata": pi["metadata"],
        "on_behalf_of": null,
        "outcome": outcome,
        "paid": succeeded,
        "payment_intent": pi["id"],
        "payment_method": payment_method,
        "payment_method_details": payment_method_details(method_type),
        "receipt_email": pi["receipt_email"],
        "receipt_number": null,
        "receipt_url": format!("https://pay.stripe.com/receipts/payment/{}", random_chars(40)),
        "refunded": false,
        "review": null,
        "shipping": null,
        "source_transfer": null,
        "statement_descriptor": null,
        "statement_descriptor_suffix": null,
        "status": status,
        "transfer_data": null,
        "transfer_group": null
    })
}

pub fn refund(
    charge: &Value,
    amount: i64,
    reason: Option<String>,
    metadata: Map<String, Value>,
) -> Value {
    json!({
        "id": new_id("re"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": null,
        "charge": charge["id"],
        "created": now(),
        "currency": charge["currency"],
        "destination_details": null,
        "metadata": metadata,
        "payment_intent": charge["payment_intent"],
        "reason": reason,
        "receipt_number": null,
        "source_transfer_reversal": null,
        "status": "succeeded",
        "transfer_reversal": null
    })
}

pub fn dispute(charge: &Value) -> Value {
    let evidence_fields = [
        "access_activity_log",
        "billing_address",
        "cancellation_policy",
        "cancellation_policy_disclosure",
        "cancellation_rebuttal",
        "customer_communication",
        "customer_email_address",
        "customer_name",
        "customer_purchase_ip",
        "customer_signature",
        "duplicate_charge_documentation",
        "duplicate_charge_explanation",
        "duplicate_charge_id",
        "product_description",
        "receipt",
        "refund_policy",
        "refund_policy_disclosure",
        "refund_refusal_explanation",
        "service_date",
        "service_documentation",
        "shipping_address",
        "shipping_carrier",
        "shipping_date",
        "shipping_documentation",
        "shipping_tracking_number",
        "uncategorized_file",
        "uncategorized_text",
    ];
    let mut evidence = Map::new();
    for f in evidence_fields {
        evidence.insert(f.to_string(), Value::Null);
    }
    evidence.insert("enhanced_evidence".into(), json!({}));
    json!({
        "id": new_id("du"),
        "object": "dispute",
        "amount": charge["amount"],
        "balance_transactions": [],
        "charge": charge["id"],
        "created": now(),
        "currency": charge["currency"],
        "enhanced_eligibility_types": [],
        "evidence": evidence,
        "evidence_details": {
            "due_by": now() + 7 * 24 * 3600,
            "enhanced_eligibility": {},
            "has_evidence": false,
            "past_due": false,
            "submission_count": 0
        },
        "is_charge_refundable": false,
        "livemode": false,
        "metadata": {},
        "payment_intent": charge["payment_intent"],
        "payment_method_details": {
            "card": {
                "brand": "visa",
                "case_type": "chargeback",
                "network": "visa",
                "network_reason_code": "10.4"
            },
            "type": "card"
        },
        "reason": "fraudulent",
        "status": "needs_response"
    })
}

pub fn portal_session(base_url: &str, customer: &str, return_url: Option<String>) -> Value {
    let id = new_id("bps");
    json!({
        "id": id,
        "object": "billing_portal.session",
        "configuration": "bpc_default_configuration",
        "created": now(),
        "customer": customer,
        "flow": null,
        "livemode": false,
        "locale": null,
        "on_behalf_of": null,
        "return_url": return_url,
        "url": format!("{base_url}portal/{id}")
    })
}

/// An event envelope. `request` is `(request id, idempotency key)` for events caused by an
/// API request, `None` for events caused by the driver (Stripe sends `{"id": null, …}` then).
/// What Stripe asks of a fresh Express account before it may take charges.
pub const ONBOARDING_DUE: [&str; 5] = [
    "business_profile.url",
    "external_account",
    "individual.dob.day",
    "individual.id_number",
    "tos_acceptance.date",
];

/// An account's `requirements`: `due` currently due; `blocking` when charges wait on them.
pub fn account_requirements(due: &[&str], blocking: bool) -> Value {
    json!({
        "alternatives": [],
        "current_deadline": null,
        "currently_due": due,
        "disabled_reason": if blocking && !due.is_empty() {
            json!("requirements.past_due")
        } else {
            Value::Null
        },
        "errors": [],
        "eventually_due": due,
        "past_due": if blocking { json!(due) } else { json!([]) },
        "pending_verification": [],
    })
}

pub fn event(kind: &str, object: Value, request: Option<(String, Option<String>)>) -> Value {
    let (req_id, idem) = match request {
        Some((id, key)) => (json!(id), json!(key)),
        None => (Value::Null, Value::Null),
    };
    json!({
        "id": new_id("evt"),
        "object": "event",
        "api_version": crate::API_VERSION,
        "created": now(),
        "data": { "object": object },
        "livemode": false,
        "pending_webhooks": 1,
        "request": { "id": req_id, "idempotency_key": idem },
        "type": kind
    })
}
