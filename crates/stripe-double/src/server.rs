//! The HTTP front: authentication, fault injection, idempotency, request recording, then the
//! `/v1` dispatcher; and the browser pages.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;

use crate::api::{self, Ctx};
use crate::error::{ApiError, StripeFault};
use crate::form::{bool_of, decode};
use crate::ids::new_id;
use crate::store::IdempotencyRecord;
use crate::{RecordedRequest, StripeDouble, pages};

pub fn spawn(double: StripeDouble, listener: tokio::net::TcpListener) {
    let app = Router::new()
        .route("/pay/{id}", get(pages::pay_page))
        .route("/pay/{id}/complete", post(pages::pay_complete))
        .route("/pay/{id}/cancel", post(pages::pay_cancel))
        .route("/portal/{id}", get(pages::portal_page))
        .route("/invoice/{id}", get(pages::invoice_page))
        .route("/invoice/{id}/pay", post(pages::invoice_pay))
        .route("/connect/onboard/{account}", get(pages::onboard_page))
        .route(
            "/connect/onboard/{account}/complete",
            post(pages::onboard_complete),
        )
        .fallback(api_handler)
        .with_state(double.clone());
    tokio::spawn(async move {
        let inner = double.inner.clone();
        drop(double);
        let shutdown = async move { inner.shutdown.notified().await };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::warn!(error = %e, "stripe double server stopped");
        }
    });
}

struct ApiOutcome {
    status: u16,
    body: Value,
    replayed: bool,
}

async fn api_handler(
    State(double): State<StripeDouble>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let mut params = decode(uri.query().unwrap_or(""));
    // Stripe reads a form body on POST and DELETE (`DELETE /v1/subscriptions/{id}` takes
    // `prorate`, `invoice_now`).
    if (method == Method::POST || method == Method::DELETE)
        && let Value::Object(body_params) = decode(&String::from_utf8_lossy(&body))
        && let Value::Object(map) = &mut params
    {
        map.extend(body_params);
    }
    let idempotency_key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let request_id = new_id("req");
    let outcome = handle(
        &double,
        method.as_str(),
        &path,
        &params,
        idempotency_key.clone(),
        headers.get("authorization").and_then(|v| v.to_str().ok()),
        &request_id,
    );

    // Events the request caused go out in the background, as Stripe sends them.
    let fresh: Vec<Value> = {
        let mut store = double.lock();
        let fresh = std::mem::take(&mut store.fresh_events);
        if store.auto_deliver && store.webhook_url.is_some() {
            fresh
        } else {
            Vec::new()
        }
    };
    if !fresh.is_empty() {
        let d = double.clone();
        tokio::spawn(async move {
            for event in fresh {
                let _ = d.deliver(&event).await;
            }
        });
    }

    let mut response = (
        StatusCode::from_u16(outcome.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        axum::Json(outcome.body),
    )
        .into_response();
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        h.insert("request-id", v);
    }
    let version = headers
        .get("stripe-version")
        .cloned()
        .unwrap_or_else(|| HeaderValue::from_static(crate::API_VERSION));
    h.insert("stripe-version", version);
    if let Some(key) = &idempotency_key
        && let Ok(v) = HeaderValue::from_str(key)
    {
        h.insert("idempotency-key", v);
    }
    if outcome.replayed {
        h.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}

fn check_auth(expected: &str, authorization: Option<&str>) -> Result<(), ApiError> {
    let Some(auth) = authorization else {
        return Err(ApiError::new(
            401,
            "invalid_request_error",
            "You did not provide an API key. You need to provide your API key in the \
             Authorization header, using Bearer auth (e.g. 'Authorization: Bearer \
             YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we \
             can help at https://support.stripe.com/.",
        ));
    };
    let given = auth.strip_prefix("Bearer ").unwrap_or(auth).trim();
    if given == expected {
        return Ok(());
    }
    let tail: String = given
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let prefix: String = given.chars().take(8).collect();
    Err(ApiError::new(
        401,
        "invalid_request_error",
        format!("Invalid API Key provided: {prefix}********{tail}"),
    )
    .code("api_key_invalid"))
}

fn fault_matches(prefix: &str, path: &str) -> bool {
    path.starts_with(prefix)
        || path
            .strip_prefix("/v1")
            .is_some_and(|rest| rest.starts_with(prefix))
}

/// Whether a `CardDeclined` fault on this request declines a real PaymentIntent confirmation.
fn is_confirmation(method: &str, path: &str, params: &Value) -> bool {
    method == "POST"
        && ((path == "/v1/payment_intents" && bool_of(params, "confirm") == Some(true))
            || (path.starts_with("/v1/payment_intents/") && path.ends_with("/confirm")))
}

fn handle(
    double: &StripeDouble,
    method: &str,
    path: &str,
    params: &Value,
    idempotency_key: Option<String>,
    authorization: Option<&str>,
    request_id: &str,
) -> ApiOutcome {
    let error = |e: ApiError| ApiOutcome {
        status: e.status,
        body: e.body(request_id),
        replayed: false,
    };
    let record = |double: &StripeDouble, status: u16| {
        double.lock().requests.push(RecordedRequest {
            method: method.to_string(),
            path: path.to_string(),
            params: params.clone(),
            idempotency_key: idempotency_key.clone(),
            status,
        });
    };

    let given = authorization.map(|a| a.strip_prefix("Bearer ").unwrap_or(a).trim());
    let account = given.filter(|k| double.lock().accounts.contains_key(*k));
    if let Some(expected) = &double.inner.cfg.api_key
        && account.is_none()
        && let Err(e) = check_auth(expected, authorization)
    {
        record(double, e.status);
        return error(e);
    }
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    if segments.first() != Some(&"v1") {
        let e = ApiError::unrecognized_url(method, path);
        record(double, e.status);
        return error(e);
    }

    let mut store = double.lock();
    let mut decline = false;
    if let Some(rule) = store
        .faults
        .iter_mut()
        .find(|r| r.remaining > 0 && fault_matches(&r.path_prefix, path))
    {
        rule.remaining -= 1;
        let fault = rule.fault.clone();
        store.faults.retain(|r| r.remaining > 0);
        if fault == StripeFault::CardDeclined && is_confirmation(method, path, params) {
            decline = true;
        } else {
            drop(store);
            let e = ApiError::from_fault(&fault);
            record(double, e.status);
            return error(e);
        }
    }

    if method == "POST"
        && let Some(key) = &idempotency_key
        && let Some(previous) = store.idempotency.get(key)
    {
        let outcome = if previous.method == method
            && previous.path == path
            && previous.params == *params
        {
            ApiOutcome {
                status: previous.status,
                body: previous.body.clone(),
                replayed: true,
            }
        } else {
            let e = ApiError::new(
                400,
                "idempotency_error",
                format!(
                    "Keys for idempotent requests can only be used with the same parameters they \
                     were first used with. Try using a key other than '{key}' if you meant to \
                     execute a different request."
                ),
            );
            error(e)
        };
        drop(store);
        record(double, outcome.status);
        return outcome;
    }

    let base_url = double.inner.base_url.clone();
    let mut ctx = Ctx {
        store: &mut store,
        base_url: &base_url,
        request_id: request_id.to_string(),
        idempotency_key: idempotency_key.clone(),
        decline,
    };
    let outcome = match api::dispatch(&mut ctx, method, path, &segments[1..], params) {
        Ok(body) if method == "POST" && account.is_some() => {
            // What another account creates is that account's: its events go to its endpoint.
            if let (Some(key), Some(id)) = (account, body["id"].as_str()) {
                store.owner.insert(id.to_string(), key.to_string());
            }
            ApiOutcome {
                status: 200,
                body,
                replayed: false,
            }
        }
        Ok(body) => ApiOutcome {
            status: 200,
            body,
            replayed: false,
        },
        Err(e) => error(e),
    };
    // Stripe saves the result once an endpoint has executed (successes and declines);
    // validation failures are not saved.
    if method == "POST"
        && let Some(key) = &idempotency_key
        && matches!(outcome.status, 200 | 402)
    {
        store.idempotency.insert(
            key.clone(),
            IdempotencyRecord {
                method: method.to_string(),
                path: path.to_string(),
                params: params.clone(),
                status: outcome.status,
                body: outcome.body.clone(),
            },
        );
    }
    drop(store);
    record(double, outcome.status);
    outcome
}
