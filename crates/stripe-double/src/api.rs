//! The `/v1` resources: parameter validation, object creation and updates, lists, expansion.

use serde_json::{Value, json};

use crate::error::ApiError;
use crate::form::{IntParam, bool_of, expand_of, int_of, merge_metadata, metadata_of, str_of};
use crate::ids::{checkout_session_id, now};
use crate::objects;
use crate::ops::{self, RequestRef};
use crate::store::Store;

/// What a handler gets: the store (locked), where the double lives, and who asked.
pub struct Ctx<'a> {
    pub store: &'a mut Store,
    pub base_url: &'a str,
    pub request_id: String,
    pub idempotency_key: Option<String>,
    /// A `CardDeclined` fault is pending for this request.
    pub decline: bool,
}

impl Ctx<'_> {
    fn request_ref(&self) -> RequestRef {
        Some((self.request_id.clone(), self.idempotency_key.clone()))
    }
}

/// Route a `/v1/...` request. `segments` are the path segments after `v1`.
pub fn dispatch(
    ctx: &mut Ctx<'_>,
    method: &str,
    path: &str,
    segments: &[&str],
    params: &Value,
) -> Result<Value, ApiError> {
    let result = match (method, segments) {
        ("POST", ["customers"]) => create_customer(ctx, params),
        ("GET", ["customers"]) => list(ctx, "customer", path, params),
        ("GET", ["customers", id]) => retrieve(ctx, "customer", id),
        ("POST", ["customers", id]) => update_customer(ctx, id, params),
        ("DELETE", ["customers", id]) => delete(ctx, "customer", id),

        ("POST", ["products"]) => create_product(ctx, params),
        ("GET", ["products"]) => list(ctx, "product", path, params),
        ("GET", ["products", id]) => retrieve(ctx, "product", id),
        ("POST", ["products", id]) => update_product(ctx, id, params),
        ("DELETE", ["products", id]) => delete(ctx, "product", id),

        ("POST", ["prices"]) => create_price(ctx, params),
        ("GET", ["prices"]) => list(ctx, "price", path, params),
        ("GET", ["prices", id]) => retrieve(ctx, "price", id),
        ("POST", ["prices", id]) => update_price(ctx, id, params),

        ("POST", ["checkout", "sessions"]) => create_checkout_session(ctx, params),
        ("GET", ["checkout", "sessions"]) => list(ctx, "checkout.session", path, params),
        ("GET", ["checkout", "sessions", id]) => retrieve(ctx, "checkout.session", id),
        ("GET", ["checkout", "sessions", id, "line_items"]) => session_line_items(ctx, id, path),
        ("POST", ["checkout", "sessions", id, "expire"]) => {
            let req = ctx.request_ref();
            ops::expire_session(ctx.store, id, req).map(|(session, _)| session)
        }

        ("POST", ["billing_portal", "sessions"]) => create_portal_session(ctx, params),

        ("POST", ["payment_intents"]) => create_payment_intent(ctx, params),
        ("GET", ["payment_intents"]) => list(ctx, "payment_intent", path, params),
        ("GET", ["payment_intents", id]) => retrieve(ctx, "payment_intent", id),
        ("POST", ["payment_intents", id]) => update_payment_intent(ctx, id, params),
        ("POST", ["payment_intents", id, "confirm"]) => confirm_payment_intent(ctx, id, params),
        ("POST", ["payment_intents", id, "cancel"]) => cancel_payment_intent(ctx, id, params),

        ("POST", ["refunds"]) => create_refund(ctx, params),
        ("GET", ["refunds"]) => list(ctx, "refund", path, params),
        ("GET", ["refunds", id]) => retrieve(ctx, "refund", id),

        ("GET", ["charges"]) => list(ctx, "charge", path, params),
        ("GET", ["charges", id]) => retrieve(ctx, "charge", id),
        ("GET", ["disputes"]) => list(ctx, "dispute", path, params),
        ("GET", ["disputes", id]) => retrieve(ctx, "dispute", id),
        ("GET", ["events"]) => list(ctx, "event", path, params),
        ("GET", ["events", id]) => retrieve(ctx, "event", id),
        ("GET", ["subscriptions"]) => list(ctx, "subscription", path, params),
        ("GET", ["subscriptions", id]) => retrieve(ctx, "subscription", id),
        ("POST", ["subscriptions", id]) => {
            let request = ctx.request_ref();
            crate::billing::update(ctx.store, id, params, request)
        }
        ("DELETE", ["subscriptions", id]) => {
            let request = ctx.request_ref();
            crate::billing::cancel_now(ctx.store, id, request)
        }
        ("GET", ["invoices"]) => list(ctx, "invoice", path, params),
        ("GET", ["invoices", id]) => retrieve(ctx, "invoice", id),
        ("POST", ["coupons"]) => crate::billing::create_coupon(ctx.store, params),
        ("GET", ["coupons", id]) => retrieve(ctx, "coupon", id),
        ("GET", ["accounts", id]) => retrieve(ctx, "account", id),
        ("POST", ["accounts"]) => create_account(ctx, params),
        ("POST", ["account_links"]) => create_account_link(ctx, params),

        _ => Err(ApiError::unrecognized_url(method, path)),
    }?;
    Ok(expand(ctx.store, result, &expand_of(params)))
}

// ---------------------------------------------------------------------------------------------
// helpers

fn opt_int(params: &Value, key: &str) -> Result<Option<i64>, ApiError> {
    match int_of(params, key) {
        IntParam::Missing => Ok(None),
        IntParam::Ok(v) => Ok(Some(v)),
        IntParam::Invalid(raw) => Err(ApiError::invalid_integer(key, &raw)),
    }
}

fn opt_bool(params: &Value, key: &str) -> Result<Option<bool>, ApiError> {
    match params.get(key) {
        None => Ok(None),
        Some(_) => bool_of(params, key).map(Some).ok_or_else(|| {
            ApiError::invalid(format!(
                "Invalid boolean: {}",
                str_of(params, key).unwrap_or_default()
            ))
            .code("parameter_invalid_boolean")
            .param(key)
        }),
    }
}

fn required(params: &Value, key: &str) -> Result<String, ApiError> {
    str_of(params, key)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::missing(key))
}

fn non_empty(params: &Value, key: &str) -> Option<String> {
    str_of(params, key).filter(|s| !s.is_empty())
}

/// Reject parameters an endpoint does not take, as Stripe does.
fn only(params: &Value, allowed: &[&str]) -> Result<(), ApiError> {
    if let Value::Object(map) = params {
        for key in map.keys() {
            if !allowed.contains(&key.as_str()) && key != "expand" {
                return Err(ApiError::unknown_param(key));
            }
        }
    }
    Ok(())
}

fn check_currency(currency: &str, param: &str) -> Result<String, ApiError> {
    let c = currency.to_ascii_lowercase();
    if c.len() == 3 && c.chars().all(|ch| ch.is_ascii_lowercase()) {
        Ok(c)
    } else {
        Err(ApiError::invalid(format!("Invalid currency: {currency}."))
            .code("parameter_invalid_string")
            .param(param))
    }
}

fn retrieve(ctx: &mut Ctx<'_>, kind: &str, id: &str) -> Result<Value, ApiError> {
    ops::get(ctx.store, kind, id).cloned()
}

fn delete(ctx: &mut Ctx<'_>, kind: &str, id: &str) -> Result<Value, ApiError> {
    ops::get(ctx.store, kind, id)?;
    ctx.store.remove(id);
    Ok(json!({ "id": id, "object": kind, "deleted": true }))
}

/// A list endpoint: newest first, `limit` (1–100, default 10), `starting_after`,
/// `ending_before`, and equality filters on top-level string fields (`customer=cus_…`,
/// `payment_intent=pi_…`, `type=…`, `active=true`).
fn list(ctx: &mut Ctx<'_>, kind: &str, path: &str, params: &Value) -> Result<Value, ApiError> {
    let limit = opt_int(params, "limit")?.unwrap_or(10);
    if !(1..=100).contains(&limit) {
        return Err(
            ApiError::invalid("Invalid limit: must be between 1 and 100")
                .code("parameter_invalid_integer")
                .param("limit"),
        );
    }
    let mut items = ctx.store.list(kind);
    items.reverse();
    if let Value::Object(map) = params {
        for (key, wanted) in map {
            if matches!(
                key.as_str(),
                "limit" | "starting_after" | "ending_before" | "expand" | "created"
            ) {
                continue;
            }
            let Some(wanted) = wanted.as_str() else {
                continue;
            };
            items.retain(|o| match &o[key] {
                Value::String(s) => s == wanted,
                Value::Bool(b) => b.to_string() == wanted,
                Value::Number(n) => n.to_string() == wanted,
                _ => false,
            });
        }
    }
    if let Some(after) = non_empty(params, "starting_after") {
        let pos = items
            .iter()
            .position(|o| o["id"] == after.as_str())
            .ok_or_else(|| ApiError::no_such_param(kind, &after, "starting_after"))?;
        items.drain(..=pos);
    }
    if let Some(before) = non_empty(params, "ending_before") {
        let pos = items
            .iter()
            .position(|o| o["id"] == before.as_str())
            .ok_or_else(|| ApiError::no_such_param(kind, &before, "ending_before"))?;
        items.truncate(pos);
        let skip = items.len().saturating_sub(limit as usize);
        items.drain(..skip);
    }
    let has_more = items.len() > limit as usize;
    items.truncate(limit as usize);
    Ok(objects::list(path, items, has_more))
}

/// Apply `expand[]` paths: ids become the objects they name; `line_items` on a Checkout
/// Session becomes its line item list; `data.` prefixes apply to every list item.
fn expand(store: &Store, mut value: Value, paths: &[String]) -> Value {
    for path in paths {
        let segments: Vec<&str> = path.split('.').collect();
        expand_path(store, &mut value, &segments);
    }
    value
}

fn expand_path(store: &Store, value: &mut Value, segments: &[&str]) {
    let Some((first, rest)) = segments.split_first() else {
        return;
    };
    if value["object"] == "list" && *first == "data" {
        if let Some(items) = value["data"].as_array_mut() {
            for item in items {
                expand_path(store, item, rest);
            }
        }
        return;
    }
    if *first == "line_items" && value["object"] == "checkout.session" && rest.is_empty() {
        let id = value["id"].as_str().unwrap_or_default().to_string();
        value["line_items"] = line_items_list(store, &id);
        return;
    }
    let Some(field) = value.get_mut(*first) else {
        return;
    };
    if let Some(id) = field.as_str()
        && let Some(obj) = store.get(id)
    {
        *field = obj.clone();
    }
    if !rest.is_empty() {
        expand_path(store, field, rest);
    }
}

fn line_items_list(store: &Store, session_id: &str) -> Value {
    let items = store
        .extras
        .get(session_id)
        .and_then(|e| e["line_items"].as_array().cloned())
        .unwrap_or_default();
    objects::list(
        &format!("/v1/checkout/sessions/{session_id}/line_items"),
        items,
        false,
    )
}

fn session_line_items(ctx: &mut Ctx<'_>, id: &str, _path: &str) -> Result<Value, ApiError> {
    ops::get(ctx.store, "checkout.session", id)?;
    Ok(line_items_list(ctx.store, id))
}

fn customer_must_exist(store: &Store, id: &str, param: &str) -> Result<(), ApiError> {
    store
        .get_kind("customer", id)
        .map(|_| ())
        .ok_or_else(|| ApiError::no_such_param("customer", id, param))
}

// ---------------------------------------------------------------------------------------------
// customers

const CUSTOMER_PARAMS: &[&str] = &[
    "email",
    "name",
    "phone",
    "description",
    "metadata",
    "payment_method",
    "invoice_settings",
    "preferred_locales",
    "address",
    "shipping",
    "tax_exempt",
];

// ---------------------------------------------------------------------------------------------
// Connect: accounts and account links

const ACCOUNT_PARAMS: &[&str] = &[
    "type",
    "country",
    "email",
    "capabilities",
    "business_type",
    "business_profile",
    "metadata",
];

/// `POST /v1/accounts`: a connected account that has not been onboarded yet (charges and
/// payouts off, the usual Express requirements due).
fn create_account(ctx: &mut Ctx<'_>, params: &Value) -> Result<Value, ApiError> {
    only(params, ACCOUNT_PARAMS)?;
    let kind = required(params, "type")?;
    if !["standard", "express", "custom"].contains(&kind.as_str()) {
        return Err(ApiError::invalid(
            "Invalid type: must be one of standard, express, or custom".to_string(),
        )
        .param("type"));
    }
    let capabilities: serde_json::Map<String, Value> = params["capabilities"]
        .as_object()
        .map(|caps| {
            caps.keys()
                .map(|name| (name.clone(), json!("inactive")))
                .collect()
        })
        .unwrap_or_default();
    let account = json!({
        "id": crate::ids::new_id("acct"),
        "object": "account",
        "type": kind,
        "email": non_empty(params, "email"),
        "country": non_empty(params, "country").unwrap_or_else(|| "US".into()),
        "default_currency": "usd",
        "business_type": non_empty(params, "business_type"),
        "business_profile": { "name": params["business_profile"]["name"].as_str() },
        "capabilities": capabilities,
        "charges_enabled": false,
        "payouts_enabled": false,
        "details_submitted": false,
        "requirements": objects::account_requirements(&objects::ONBOARDING_DUE, true),
        "created": now(),
        "metadata": metadata_of(params, "metadata"),
    });
    ctx.store.put(account.clone());
    Ok(account)
}

/// `POST /v1/account_links`: a single-use link to the double's onboarding page.
fn create_account_link(ctx: &mut Ctx<'_>, params: &Value) -> Result<Value, ApiError> {
    only(
        params,
        &["account", "type", "refresh_url", "return_url", "collect"],
    )?;
    let account = required(params, "account")?;
    let kind = required(params, "type")?;
    if !["account_onboarding", "account_update"].contains(&kind.as_str()) {
        return Err(ApiError::invalid(
            "Invalid type: must be one of account_onboarding or account_update".to_string(),
        )
        .param("type"));
    }
    let refresh_url = required(params, "refresh_url")?;
    let return_url = required(params, "return_url")?;
    ops::get(ctx.store, "account", &account)?;
    ctx.store.extras.insert(
        format!("account_link:{account}"),
        json!({ "return_url": return_url, "refresh_url": refresh_url }),
    );
    Ok(json!({
        "object": "account_link",
        "created": now(),
        "expires_at": now() + 300,
        "url": format!("{}connect/onboard/{account}", ctx.base_url),
    }))
}

fn create_customer(ctx: &mut Ctx<'_>, params: &Value) -> Result<Value, ApiError> {
    only(params, CUSTOMER_PARAMS)?;
    let default_pm = params["invoice_settings"]["default_payment_method"]
        .as_str()
        .map(str::to_string);
    let mut customer = objects::customer(objects::NewCustomer {
        email: non_empty(params, "email"),
        name: non_empty(params, "name"),
        phone: non_empty(params, "phone"),
        description: non_empty(params, "description"),
        metadata: metadata_of(params, "metadata"),
        default_payment_method: default_pm,
    });
    if let Some(Value::Array(locales)) = params.get("preferred_locales") {
        customer["preferred_locales"] = json!(locales);
    }
    ctx.store.put(customer.clone());
    Ok(customer)
}

fn update_customer(ctx: &mut Ctx<'_>, id: &str, params: &Value) -> Result<Value, ApiError> {
    only(params, CUSTOMER_PARAMS)?;
    let mut customer = ops::get(ctx.store, "customer", id)?.clone();
    for key in ["email", "name", "phone", "description"] {
        if let Some(v) = str_of(params, key) {
            customer[key] = if v.is_empty() { Value::Null } else { json!(v) };
        }
    }
    if let Some(pm) = params["invoice_settings"]["default_payment_method"].as_str() {
        customer["invoice_settings"]["default_payment_method"] = if pm.is_empty() {
            Value::Null
        } else {
            json!(pm)
        };
    }
    merge_metadata(&mut customer, params);
    ctx.store.put(customer.clone());
    Ok(customer)
}

// ---------------------------------------------------------------------------------------------
// products and prices

fn create_product(ctx: &mut Ctx<'_>, params: &Value) -> Result<Value, ApiError> {
    only(
        params,
        &[
            "id",
            "name",
            "description",
            "active",
            "metadata",
            "images",
            "url",
            "tax_code",
            "statement_descriptor",
            "unit_label",
            "default_price_data",
            "shippable",
        ],
    )?;
    let name = required(params, "name")?;
    let mut product = objects::product(
        &name,
        non_empty(params, "description"),
        opt_bool(params, "active")?.unwrap_or(true),
        metadata_of(params, "metadata"),
    );
    if let Some(custom_id) = non_empty(params, "id") {
        if ctx.store.get(&custom_id).is_some() {
            return Err(ApiError::invalid("Product already exists.")
                .code("resource_already_exists")
                .param("id"));
        }
        product["id"] = json!(custom_id);
    }
    for key in ["url", "tax_code", "statement_descriptor", "unit_label"] {
        if let Some(v) = non_empty(params, key) {
            product[key] = json!(v);
        }
    }
    if let Some(Value::Array(images)) = params.get("images") {
        product["images"] = json!(images);
    }
    if let Some(data) = params.get("default_price_data") {
        let product_id = product["id"].as_str().unwrap_or_default().to_string();
        ctx.store.put(product.clone());
        let price = build_price(ctx, data, &product_id, "default_price_data", true)?;
        product["default_price"] = price["id"].clone();
    }
    ctx.store.put(product.clone());
    Ok(product)
}

fn update_product(ctx: &mut Ctx<'_>, id: &str, params: &Value) -> Result<Value, ApiError> {
    only(
        params,
        &[
            "name",
            "description",
            "active",
            "metadata",
            "images",
            "url",
            "default_price",
            "tax_code",
            "statement_descriptor",
            "unit_label",
            "shippable",
        ],
    )?;
    let mut product = ops::get(ctx.store, "product", id)?.clone();
    if let Some(name) = str_of(params, "name") {
        if name.is_empty() {
            return Err(
                ApiError::invalid("You cannot set 'name' to an empty string.").param("name"),
            );
        }
        product["name"] = json!(name);
    }
    for key in [
        "description",
        "url",
        "tax_code",
        "statement_descriptor",
        "unit_label",
    ] {
        if let Some(v) = str_of(params, key) {
            product[key] = if v.is_empty() { Value::Null } else { json!(v) };
        }
    }
    if let Some(active) = opt_bool(params, "active")? {
        product["active"] = json!(active);
    }
    if let Some(price) = non_empty(params, "default_price") {
        if ctx.store.get_kind("price", &price).is_none() {
            return Err(ApiError::no_such_param("price", &price, "default_price"));
        }
        product["default_price"] = json!(price);
    }
    merge_metadata(&mut product, params);
    product["updated"] = json!(now());
    ctx.store.put(product.clone());
    Ok(product)
}

/// Build and store a price from `price_data`-like parameters for `product`.
fn build_price(
    ctx: &mut Ctx<'_>,
    data: &Value,
    product: &str,
    prefix: &str,
    active: bool,
) -> Result<Value, ApiError> {
    let p = |k: &str| {
        if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}[{k}]")
        }
    };
    let currency = str_of(data, "currency").ok_or_else(|| ApiError::missing(&p("currency")))?;
    let currency = check_currency(&currency, &p("currency"))?;
    let unit_amount = match int_of(data, "unit_amount") {
        IntParam::Ok(v) => Some(v),
        IntParam::Invalid(raw) => return Err(ApiError::invalid_integer(&p("unit_amount"), &raw)),
        IntParam::Missing => match str_of(data, "unit_amount_decimal") {
            Some(dec) => Some(
                dec.parse::<f64>()
                    .map_err(|_| {
                        ApiError::invalid(format!("Invalid decimal: {dec}"))
                            .code("parameter_invalid_decimal")
                            .param(&p("unit_amount_decimal"))
                    })?
                    .round() as i64,
            ),
            None => None,
        },
    };
    let Some(unit_amount) = unit_amount else {
        return Err(ApiError::missing(&p("unit_amount")));
    };
    if unit_amount < 0 {
        return Err(
            ApiError::invalid("This value must be greater than or equal to 0.")
                .code("parameter_invalid_integer")
                .param(&p("unit_amount")),
        );
    }
    let recurring = match data.get("recurring") {
        Some(r) => {
            let interval = str_of(r, "interval")
                .ok_or_else(|| ApiError::missing(&format!("{}[interval]", p("recurring"))))?;
            if !["day", "week", "month", "year"].contains(&interval.as_str()) {
                return Err(ApiError::invalid(
                    "Invalid recurring[interval]: must be one of day, month, week, or year",
                )
                .code("parameter_invalid_string")
                .param(&format!("{}[interval]", p("recurring"))));
            }
            let count = opt_int(r, "interval_count")?.unwrap_or(1);
            Some((interval, count))
        }
        None => None,
    };
    let price = objects::price(objects::NewPrice {
        product: product.to_string(),
        currency,
        unit_amount: Some(unit_amount),
        recurring,
        nickname: non_empty(data, "nickname"),
        lookup_key: non_empty(data, "lookup_key"),
        metadata: metadata_of(data, "metadata"),
        active,
    });
    ctx.store.put(price.clone());
    Ok(price)
}

fn create_price(ctx: &mut Ctx<'_>, params: &Value) -> Result<Value, ApiError> {
    only(
        params,
        &[
            "currency",
            "unit_amount",
            "unit_amount_decimal",
            "product",
            "product_data",
            "recurring",
            "nickname",
            "lookup_key",
            "metadata",
            "active",
            "tax_behavior",
            "billing_scheme",
            "transfer_lookup_key",
        ],
    )?;
    let product = match (non_empty(params, "product"), params.get("product_data")) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "You may only specify one of these parameters: product, product_data.",
            ));
        }
        (Some(id), None) => {
            if ctx.store.get_kind("product", &id).is_none() {
                return Err(ApiError::no_such_param("product", &id, "product"));
            }
            id
        }
        (None, Some(data)) => {
            let name =
                str_of(data, "name").ok_or_else(|| ApiError::missing("product_data[name]"))?;
            let product = objects::product(&name, None, true, metadata_of(data, "metadata"));
            let id = product["id"].as_str().unwrap_or_default().to_string();
            ctx.store.put(product);
            id
        }
        (None, None) => return Err(ApiError::missing("product")),
    };
    let active = opt_bool(params, "active")?.unwrap_or(true);
    let mut price = build_price(ctx, params, &product, "", active)?;
    if let Some(tb) = non_empty(params, "tax_behavior") {
        price["tax_behavior"] = json!(tb);
        ctx.store.put(price.clone());
    }
    Ok(price)
}

fn update_price(ctx: &mut Ctx<'_>, id: &str, params: &Value) -> Result<Value, ApiError> {
    // Amounts, currency, product and recurrence are immutable: Stripe rejects them as unknown.
    only(
        params,
        &[
            "active",
            "metadata",
            "nickname",
            "lookup_key",
            "tax_behavior",
            "transfer_lookup_key",
        ],
    )?;
    let mut price = ops::get(ctx.store, "price", id)?.clone();
    if let Some(active) = opt_bool(params, "active")? {
        price["active"] = json!(active);
    }
    for key in ["nickname", "lookup_key", "tax_behavior"] {
        if let Some(v) = str_of(params, key) {
            price[key] = if v.is_empty() { Value::Null } else { json!(v) };
        }
    }
    merge_metadata(&mut price, params);
    ctx.store.put(price.clone());
    Ok(price)
}

// ---------------------------------------------------------------------------------------------
// checkout sessions

const SESSION_PARAMS: &[&str] = &[
    "mode",
    "line_items",
    "success_url",
    "cancel_url",
    "return_url",
    "client_reference_id",
    "metadata",
    "customer",
    "customer_email",
    "customer_creation",
    "payment_intent_data",
    "subscription_data",
    "expires_at",
    "payment_method_types",
    "locale",
    "submit_type",
    "allow_promotion_codes",
    "currency",
    "ui_mode",
    "billing_address_collection",
    "phone_number_collection",
    "automatic_tax",
    "tax_id_collection",
    "consent_collection",
    "custom_text",
    "custom_fields",
    "discounts",
    "invoice_creation",
    "payment_method_collection",
    "payment_method_options",
    "payment_method_configuration",
    "saved_payment_method_options",
    "setup_intent_data",
    "shipping_address_collection",
    "shipping_options",
    "customer_update",
    "after_expiration",
    "redirect_on_completion",
    "adaptive_pricing",
    "wallet_options",
    "branding_settings",
];

/// A hex colour as Stripe takes it: `#` and three or six hex digits.
fn is_hex_color(s: &str) -> bool {
    s.strip_prefix('#')
        .is_some_and(|h| (h.len() == 3 || h.len() == 6) && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// `branding_settings[logo]` or `[icon]`: `type` `url` with a `url`, or `file` with a `file`.
fn branding_image(data: &Value, key: &str) -> Result<Value, ApiError> {
    let p = |k: &str| format!("branding_settings[{key}][{k}]");
    let kind = str_of(data, "type").ok_or_else(|| ApiError::missing(&p("type")))?;
    let url = non_empty(data, "url");
    let file = non_empty(data, "file");
    match kind.as_str() {
        "url" => {
            if file.is_some() {
                return Err(
                    ApiError::invalid("`file` is only allowed when `type` is `file`.")
                        .param(&p("file")),
                );
            }
            let url = url.ok_or_else(|| ApiError::missing(&p("url")))?;
            Ok(json!({"type": "url", "url": url, "file": null}))
        }
        "file" => {
            if url.is_some() {
                return Err(
                    ApiError::invalid("`url` is only allowed when `type` is `url`.")
                        .param(&p("url")),
                );
            }
            let file = file.ok_or_else(|| ApiError::missing(&p("file")))?;
            Ok(json!({"type": "file", "file": file, "url": null}))
        }
        _ => Err(
            ApiError::invalid(format!("Invalid {}: must be one of file or url", p("type")))
                .code("parameter_invalid_string")
                .param(&p("type")),
        ),
    }
}

/// `branding_settings` of a Checkout Session, checked as Stripe checks it, and as the session
/// shows it: what was given over the account's defaults.
fn branding_settings(params: &Value) -> Result<Value, ApiError> {
    let Some(data) = params.get("branding_settings") else {
        return Ok(Value::Null);
    };
    const FIELDS: [&str; 7] = [
        "background_color",
        "border_style",
        "button_color",
        "display_name",
        "font_family",
        "icon",
        "logo",
    ];
    if let Value::Object(map) = data
        && let Some(unknown) = map.keys().find(|k| !FIELDS.contains(&k.as_str()))
    {
        return Err(ApiError::unknown_param(&format!(
            "branding_settings[{unknown}]"
        )));
    }
    let mut out = json!({
        "background_color": "#ffffff",
        "border_style": "rounded",
        "button_color": "#0074d4",
        "display_name": "Stripe double account",
        "font_family": "default",
        "icon": null,
        "logo": null,
    });
    for key in ["background_color", "button_color"] {
        if let Some(c) = str_of(data, key) {
            if !is_hex_color(&c) {
                return Err(ApiError::invalid(format!(
                    "Invalid branding_settings[{key}]: must be a hex color value starting with #"
                ))
                .param(&format!("branding_settings[{key}]")));
            }
            out[key] = json!(c);
        }
    }
    if let Some(style) = str_of(data, "border_style") {
        if !["rounded", "rectangular", "pill"].contains(&style.as_str()) {
            return Err(ApiError::invalid(
                "Invalid branding_settings[border_style]: must be one of rounded, rectangular, or pill",
            )
            .code("parameter_invalid_string")
            .param("branding_settings[border_style]"));
        }
        out["border_style"] = json!(style);
    }
    if let Some(name) = non_empty(data, "display_name") {
        if name.chars().count() > 5000 {
            return Err(
                ApiError::invalid("branding_settings[display_name] is too long")
                    .param("branding_settings[display_name]"),
            );
        }
        out["display_name"] = json!(name);
    }
    if let Some(font) = non_empty(data, "font_family") {
        out["font_family"] = json!(font);
    }
    if data.get("logo").is_some() && data.get("icon").is_some() {
        return Err(ApiError::invalid("You cannot set both `logo` and `icon`.")
            .param("branding_settings[logo]"));
    }
    for key in ["logo", "icon"] {
        if let Some(image) = data.get(key) {
            out[key] = branding_image(image, key)?;
        }
    }
    Ok(out)
}

fn create_checkout_session(ctx: &mut Ctx<'_>, params: &Value) -> Result<Value, ApiError> {
    only(params, SESSION_PARAMS)?;
    let mode = required(params, "mode")?;
    if !["payment", "subscription", "setup"].contains(&mode.as_str()) {
        return Err(ApiError::invalid(
            "Invalid mode: must be one of payment, setup, or subscription",
        )
        .code("parameter_invalid_string")
        .param("mode"));
    }
    let customer = non_empty(params, "customer");
    let customer_email = non_empty(params, "customer_email");
    let customer_creation = non_empty(params, "customer_creation");
    if customer.is_some() && customer_email.is_some() {
        return Err(ApiError::invalid(
            "You may only specify one of these parameters: customer, customer_email.",
        )
        .param("customer_email"));
    }
    if let Some(cc) = &customer_creation {
        if mode != "payment" {
            return Err(ApiError::invalid(
                "`customer_creation` can only be used in `payment` mode.",
            )
            .param("customer_creation"));
        }
        if !["always", "if_required"].contains(&cc.as_str()) {
            return Err(ApiError::invalid(
                "Invalid customer_creation: must be one of always or if_required",
            )
            .param("customer_creation"));
        }
        if customer.is_some() {
            return Err(ApiError::invalid(
                "You may only specify one of these parameters: customer, customer_creation.",
            )
            .param("customer_creation"));
        }
    }
    if let Some(c) = &customer {
        customer_must_exist(ctx.store, c, "customer")?;
    }
    if params.get("payment_intent_data").is_some() && mode != "payment" {
        return Err(ApiError::invalid(format!(
            "You can not pass `payment_intent_data` in `{mode}` mode."
        ))
        .param("payment_intent_data"));
    }
    if params.get("subscription_data").is_some() && mode != "subscription" {
        return Err(ApiError::invalid(format!(
            "You can not pass `subscription_data` in `{mode}` mode."
        ))
        .param("subscription_data"));
    }
    let pi_data = params
        .get("payment_intent_data")
        .cloned()
        .unwrap_or_else(|| json!({}));
    if let Some(sfu) = non_empty(&pi_data, "setup_future_usage")
        && !["on_session", "off_session"].contains(&sfu.as_str())
    {
        return Err(ApiError::invalid(
            "Invalid payment_intent_data[setup_future_usage]: must be one of on_session or off_session",
        )
        .param("payment_intent_data[setup_future_usage]"));
    }
    if let Some(destination) = pi_data["transfer_data"]["destination"].as_str()
        && ctx.store.get_kind("account", destination).is_none()
    {
        return Err(
            ApiError::invalid(format!("No such destination: '{destination}'"))
                .param("payment_intent_data[transfer_data][destination]"),
        );
    }
    if pi_data.get("application_fee_amount").is_some()
        && pi_data["transfer_data"]["destination"].as_str().is_none()
    {
        return Err(ApiError::invalid(
            "Can only apply an application_fee_amount when the PaymentIntent is attempting a \
             direct payment (using an OAuth key or Stripe-Account header) or destination payment \
             (using `transfer_data[destination]`).",
        )
        .param("payment_intent_data[application_fee_amount]"));
    }
    let created = now();
    let expires_at = match opt_int(params, "expires_at")? {
        Some(t) => {
            if t > created + 24 * 3600 + 5 {
                return Err(ApiError::invalid(
                    "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
                )
                .param("expires_at"));
            }
            if t < created + 30 * 60 - 5 {
                return Err(ApiError::invalid(
                    "The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.",
                )
                .param("expires_at"));
            }
            t
        }
        None => created + 24 * 3600,
    };
    if let Some(crid) = str_of(params, "client_reference_id")
        && crid.len() > 200
    {
        return Err(
            ApiError::invalid("client_reference_id must be at most 200 characters.")
                .param("client_reference_id"),
        );
    }

    // Line items: each either an existing price or inline price_data.
    let raw_items = match params.get("line_items") {
        Some(Value::Array(items)) => items.clone(),
        Some(_) => return Err(ApiError::invalid("Invalid array").param("line_items")),
        None => Vec::new(),
    };
    if raw_items.is_empty() && mode != "setup" {
        return Err(
            ApiError::invalid(format!("`line_items` is required in `{mode}` mode."))
                .code("parameter_missing")
                .param("line_items"),
        );
    }
    let mut items = Vec::new();
    let mut currency: Option<String> = non_empty(params, "currency").map(|c| c.to_lowercase());
    let mut total = 0i64;
    let mut recurring_seen = false;
    for (i, raw) in raw_items.iter().enumerate() {
        let quantity = opt_int(raw, "quantity")
            .map_err(|_| ApiError::invalid_integer(&format!("line_items[{i}][quantity]"), ""))?
            .ok_or_else(|| ApiError::missing(&format!("line_items[{i}][quantity]")))?;
        if quantity < 1 {
            return Err(ApiError::invalid("Quantity must be at least 1.")
                .param(&format!("line_items[{i}][quantity]")));
        }
        let price = match (non_empty(raw, "price"), raw.get("price_data")) {
            (Some(price_id), None) => {
                let price = ctx
                    .store
                    .get_kind("price", &price_id)
                    .cloned()
                    .ok_or_else(|| {
                        ApiError::no_such_param(
                            "price",
                            &price_id,
                            &format!("line_items[{i}][price]"),
                        )
                    })?;
                if price["active"] == false {
                    return Err(ApiError::invalid(
                        "The price specified is inactive. This field only accepts active prices.",
                    )
                    .param(&format!("line_items[{i}][price]")));
                }
                price
            }
            (None, Some(data)) => {
                let prefix = format!("line_items[{i}][price_data]");
                let product = match (non_empty(data, "product"), data.get("product_data")) {
                    (Some(id), _) => {
                        if ctx.store.get_kind("product", &id).is_none() {
                            return Err(ApiError::no_such_param(
                                "product",
                                &id,
                                &format!("{prefix}[product]"),
                            ));
                        }
                        id
                    }
                    (None, Some(pd)) => {
                        let name = str_of(pd, "name").ok_or_else(|| {
                            ApiError::missing(&format!("{prefix}[product_data][name]"))
                        })?;
                        let product = objects::product(
                            &name,
                            non_empty(pd, "description"),
                            false,
                            metadata_of(pd, "metadata"),
                        );
                        let id = product["id"].as_str().unwrap_or_default().to_string();
                        ctx.store.put(product);
                        id
                    }
                    (None, None) => {
                        return Err(ApiError::missing(&format!("{prefix}[product]")));
                    }
                };
                build_price(ctx, data, &product, &prefix, false)?
            }
            (Some(_), Some(_)) => {
                return Err(ApiError::invalid(format!(
                    "You may only specify one of these parameters: line_items[{i}][price], line_items[{i}][price_data]."
                )));
            }
            (None, None) => {
                return Err(ApiError::invalid(format!(
                    "You must specify either `price` or `price_data` for line_items[{i}]."
                ))
                .param(&format!("line_items[{i}]")));
            }
        };
        let price_currency = price["currency"].as_str().unwrap_or("usd").to_string();
        match &currency {
            Some(c) if *c != price_currency => {
                return Err(ApiError::invalid(
                    "All prices must use the same currency as the Checkout Session.",
                )
                .param(&format!("line_items[{i}]")));
            }
            _ => currency = Some(price_currency),
        }
        let is_recurring = price["type"] == "recurring";
        if is_recurring && mode == "payment" {
            return Err(ApiError::invalid(
                "You specified `payment` mode but passed a recurring price. Either switch to \
                 `subscription` mode or use only one-time prices.",
            )
            .param(&format!("line_items[{i}]")));
        }
        recurring_seen |= is_recurring;
        let product_name = ctx
            .store
            .get(price["product"].as_str().unwrap_or_default())
            .and_then(|p| p["name"].as_str().map(str::to_string))
            .unwrap_or_default();
        let item = objects::line_item(&price, quantity, &product_name);
        total += item["amount_total"].as_i64().unwrap_or(0);
        items.push(item);
    }
    if mode == "subscription" && !recurring_seen {
        return Err(ApiError::invalid(
            "You must provide at least one recurring price in `subscription` mode when using prices.",
        )
        .param("line_items"));
    }
    let payment_method_types = match params.get("payment_method_types") {
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(|t| t.as_str().map(str::to_string))
            .collect(),
        _ => vec!["card".to_string()],
    };
    let branding = branding_settings(params)?;
    let id = checkout_session_id();
    let mut session = objects::checkout_session(objects::NewSession {
        id: id.clone(),
        base_url: ctx.base_url.to_string(),
        mode: mode.clone(),
        currency,
        amount: (mode != "setup").then_some(total),
        customer,
        customer_email,
        customer_creation: if mode == "payment" {
            Some(customer_creation.unwrap_or_else(|| "if_required".into()))
        } else {
            None
        },
        client_reference_id: non_empty(params, "client_reference_id"),
        metadata: metadata_of(params, "metadata"),
        success_url: non_empty(params, "success_url"),
        cancel_url: non_empty(params, "cancel_url"),
        expires_at,
        payment_method_types,
        locale: non_empty(params, "locale"),
        submit_type: non_empty(params, "submit_type"),
        allow_promotion_codes: opt_bool(params, "allow_promotion_codes")?,
    });
    session["branding_settings"] = branding;
    let mut pi_extra = pi_data.clone();
    pi_extra["metadata"] = Value::Object(metadata_of(&pi_data, "metadata"));
    ctx.store.extras.insert(
        id.clone(),
        json!({
            "line_items": items,
            "payment_intent_data": pi_extra,
            "subscription_data": params.get("subscription_data").cloned().unwrap_or(Value::Null),
        }),
    );
    ctx.store.put(session.clone());
    Ok(session)
}

// ---------------------------------------------------------------------------------------------
// billing portal

fn create_portal_session(ctx: &mut Ctx<'_>, params: &Value) -> Result<Value, ApiError> {
    only(
        params,
        &[
            "customer",
            "return_url",
            "configuration",
            "flow_data",
            "locale",
            "on_behalf_of",
        ],
    )?;
    let customer = required(params, "customer")?;
    customer_must_exist(ctx.store, &customer, "customer")?;
    let mut session =
        objects::portal_session(ctx.base_url, &customer, non_empty(params, "return_url"));
    if let Some(locale) = non_empty(params, "locale") {
        session["locale"] = json!(locale);
    }
    ctx.store.put(session.clone());
    Ok(session)
}

// ---------------------------------------------------------------------------------------------
// payment intents

const PI_PARAMS: &[&str] = &[
    "amount",
    "currency",
    "customer",
    "payment_method",
    "off_session",
    "confirm",
    "metadata",
    "description",
    "setup_future_usage",
    "receipt_email",
    "payment_method_types",
    "automatic_payment_methods",
    "capture_method",
    "confirmation_method",
    "statement_descriptor",
    "statement_descriptor_suffix",
    "return_url",
    "error_on_requires_action",
    "mandate",
    "payment_method_options",
    "shipping",
    "transfer_group",
    "use_stripe_sdk",
];

fn create_payment_intent(ctx: &mut Ctx<'_>, params: &Value) -> Result<Value, ApiError> {
    only(params, PI_PARAMS)?;
    let amount = opt_int(params, "amount")?.ok_or_else(|| ApiError::missing("amount"))?;
    if amount < 1 {
        return Err(
            ApiError::invalid("This value must be greater than or equal to 1.")
                .code("parameter_invalid_integer")
                .param("amount"),
        );
    }
    let currency = check_currency(&required(params, "currency")?, "currency")?;
    let customer = non_empty(params, "customer");
    if let Some(c) = &customer {
        customer_must_exist(ctx.store, c, "customer")?;
    }
    let confirm = opt_bool(params, "confirm")?.unwrap_or(false);
    // `off_session` is a boolean or `one_off` / `recurring`.
    let off_session = non_empty(params, "off_session").is_some_and(|v| v != "false");
    if off_session && !confirm {
        return Err(ApiError::invalid(
            "The parameter `off_session` can only be passed when `confirm` is true.",
        )
        .param("off_session"));
    }
    let mut payment_method = non_empty(params, "payment_method");
    if payment_method.is_none()
        && confirm
        && let Some(c) = &customer
    {
        payment_method = ctx.store.get(c).and_then(|c| {
            c["invoice_settings"]["default_payment_method"]
                .as_str()
                .map(str::to_string)
        });
    }
    let payment_method_types = match params.get("payment_method_types") {
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(|t| t.as_str().map(str::to_string))
            .collect(),
        _ => vec!["card".to_string()],
    };
    let status = if payment_method.is_some() {
        "requires_confirmation"
    } else {
        "requires_payment_method"
    };
    let pi = objects::payment_intent(objects::NewPaymentIntent {
        amount,
        currency,
        customer,
        description: non_empty(params, "description"),
        metadata: metadata_of(params, "metadata"),
        payment_method: payment_method.clone(),
        payment_method_types,
        setup_future_usage: non_empty(params, "setup_future_usage"),
        receipt_email: non_empty(params, "receipt_email"),
        status: status.into(),
    });
    let id = pi["id"].as_str().unwrap_or_default().to_string();
    if confirm && payment_method.is_none() {
        return Err(ApiError::invalid(
            "You cannot confirm this PaymentIntent because it's missing a payment method. To \
             confirm the PaymentIntent with a customer, you must provide `payment_method`.",
        )
        .code("payment_intent_unexpected_state")
        .param("payment_method"));
    }
    ctx.store.put(pi.clone());
    if confirm {
        let req = ctx.request_ref();
        return ops::confirm_payment_intent(ctx.store, &id, ctx.decline, req).map(|(pi, _)| pi);
    }
    Ok(pi)
}

fn update_payment_intent(ctx: &mut Ctx<'_>, id: &str, params: &Value) -> Result<Value, ApiError> {
    only(
        params,
        &[
            "amount",
            "currency",
            "customer",
            "description",
            "metadata",
            "payment_method",
            "receipt_email",
            "setup_future_usage",
            "payment_method_types",
        ],
    )?;
    let mut pi = ops::get(ctx.store, "payment_intent", id)?.clone();
    if matches!(
        pi["status"].as_str(),
        Some("succeeded" | "canceled" | "processing")
    ) {
        return Err(ApiError::invalid(format!(
            "This PaymentIntent's amount could not be updated because it has a status of {}.",
            pi["status"].as_str().unwrap_or("?")
        ))
        .code("payment_intent_unexpected_state"));
    }
    if let Some(amount) = opt_int(params, "amount")? {
        pi["amount"] = json!(amount);
    }
    if let Some(c) = non_empty(params, "customer") {
        customer_must_exist(ctx.store, &c, "customer")?;
        pi["customer"] = json!(c);
    }
    for key in ["description", "receipt_email", "setup_future_usage"] {
        if let Some(v) = str_of(params, key) {
            pi[key] = if v.is_empty() { Value::Null } else { json!(v) };
        }
    }
    if let Some(pm) = non_empty(params, "payment_method") {
        pi["payment_method"] = json!(pm);
        pi["status"] = json!("requires_confirmation");
    }
    merge_metadata(&mut pi, params);
    ctx.store.put(pi.clone());
    Ok(pi)
}

fn confirm_payment_intent(ctx: &mut Ctx<'_>, id: &str, params: &Value) -> Result<Value, ApiError> {
    only(
        params,
        &[
            "payment_method",
            "off_session",
            "return_url",
            "setup_future_usage",
            "mandate",
            "error_on_requires_action",
            "receipt_email",
            "payment_method_options",
            "use_stripe_sdk",
        ],
    )?;
    let mut pi = ops::get(ctx.store, "payment_intent", id)?.clone();
    if !matches!(
        pi["status"].as_str(),
        Some("requires_confirmation" | "requires_payment_method")
    ) {
        return Err(ApiError::invalid(format!(
            "You cannot confirm this PaymentIntent because it has a status of {}.",
            pi["status"].as_str().unwrap_or("?")
        ))
        .code("payment_intent_unexpected_state"));
    }
    if let Some(pm) = non_empty(params, "payment_method") {
        pi["payment_method"] = json!(pm);
    }
    if pi["payment_method"].is_null() {
        return Err(ApiError::invalid(
            "You cannot confirm this PaymentIntent because it's missing a payment method.",
        )
        .code("payment_intent_unexpected_state")
        .param("payment_method"));
    }
    ctx.store.put(pi);
    let req = ctx.request_ref();
    ops::confirm_payment_intent(ctx.store, id, ctx.decline, req).map(|(pi, _)| pi)
}

fn cancel_payment_intent(ctx: &mut Ctx<'_>, id: &str, params: &Value) -> Result<Value, ApiError> {
    only(params, &["cancellation_reason"])?;
    let mut pi = ops::get(ctx.store, "payment_intent", id)?.clone();
    if matches!(pi["status"].as_str(), Some("succeeded" | "canceled")) {
        return Err(ApiError::invalid(format!(
            "You cannot cancel this PaymentIntent because it has a status of {}. Only a \
             PaymentIntent with one of the following statuses may be canceled: \
             requires_payment_method, requires_capture, requires_confirmation, requires_action, \
             processing.",
            pi["status"].as_str().unwrap_or("?")
        ))
        .code("payment_intent_unexpected_state"));
    }
    pi["status"] = json!("canceled");
    pi["canceled_at"] = json!(now());
    pi["cancellation_reason"] = json!(non_empty(params, "cancellation_reason"));
    ctx.store.put(pi.clone());
    Ok(pi)
}

// ---------------------------------------------------------------------------------------------
// refunds

fn create_refund(ctx: &mut Ctx<'_>, params: &Value) -> Result<Value, ApiError> {
    only(
        params,
        &[
            "payment_intent",
            "charge",
            "amount",
            "reason",
            "metadata",
            "instructions_email",
            "refund_application_fee",
            "reverse_transfer",
            "origin",
            "currency",
            "customer",
        ],
    )?;
    let charge = match (
        non_empty(params, "payment_intent"),
        non_empty(params, "charge"),
    ) {
        (Some(pi), None) => ops::charge_of(ctx.store, &pi, "payment_intent")?,
        (None, Some(ch)) => ops::charge_of(ctx.store, &ch, "charge")?,
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "You may only specify one of these parameters: charge, payment_intent.",
            ));
        }
        (None, None) => {
            return Err(ApiError::invalid(
                "One of the following params should be provided for this request: \
                 payment_intent or charge.",
            )
            .code("parameter_missing"));
        }
    };
    let reason = non_empty(params, "reason");
    if let Some(r) = &reason
        && !["duplicate", "fraudulent", "requested_by_customer"].contains(&r.as_str())
    {
        return Err(ApiError::invalid(
            "Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer",
        )
        .param("reason"));
    }
    let amount = opt_int(params, "amount")?;
    let req = ctx.request_ref();
    let (refund, _event) = ops::refund(
        ctx.store,
        charge,
        amount,
        reason,
        metadata_of(params, "metadata"),
        req,
    )?;
    Ok(refund)
}
