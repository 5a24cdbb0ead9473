//! Errors: the Stripe-shaped HTTP errors the API returns, faults tests can inject, and the
//! errors of the driver API.

use serde_json::{Map, Value, json};

/// An error response in Stripe's shape: `{"error": {"type", "code", "message", "param", …}}`.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: u16,
    pub kind: &'static str,
    pub message: String,
    pub details: Box<ErrorDetails>,
}

/// The optional parts of an [`ApiError`] (boxed to keep `Result`s small).
#[derive(Debug, Clone, Default)]
pub struct ErrorDetails {
    pub code: Option<String>,
    pub decline_code: Option<String>,
    pub param: Option<String>,
    /// Extra fields of the error object (e.g. `payment_intent` on a declined confirmation).
    pub extra: Map<String, Value>,
}

impl ApiError {
    pub fn new(status: u16, kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            kind,
            message: message.into(),
            details: Box::default(),
        }
    }

    pub fn code(mut self, code: &str) -> Self {
        self.details.code = Some(code.to_string());
        self
    }

    pub fn param(mut self, param: &str) -> Self {
        self.details.param = Some(param.to_string());
        self
    }

    /// 400 `invalid_request_error`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(400, "invalid_request_error", message)
    }

    /// 400 `parameter_missing`.
    pub fn missing(param: &str) -> Self {
        Self::invalid(format!("Missing required param: {param}."))
            .code("parameter_missing")
            .param(param)
    }

    /// 400 `parameter_invalid_integer`.
    pub fn invalid_integer(param: &str, value: &str) -> Self {
        Self::invalid(format!("Invalid integer: {value}"))
            .code("parameter_invalid_integer")
            .param(param)
    }

    /// 400 `Received unknown parameter`.
    pub fn unknown_param(param: &str) -> Self {
        Self::invalid(format!("Received unknown parameter: {param}"))
            .code("parameter_unknown")
            .param(param)
    }

    /// `resource_missing` for an id given as a parameter of another request (HTTP 400).
    pub fn no_such_param(kind: &str, id: &str, param: &str) -> Self {
        Self::invalid(format!("No such {kind}: '{id}'"))
            .code("resource_missing")
            .param(param)
    }

    /// `resource_missing` for an id in the URL (HTTP 404, param `id`).
    pub fn no_such(kind: &str, id: &str) -> Self {
        Self::new(
            404,
            "invalid_request_error",
            format!("No such {kind}: '{id}'"),
        )
        .code("resource_missing")
        .param("id")
    }

    pub fn unrecognized_url(method: &str, path: &str) -> Self {
        Self::new(
            404,
            "invalid_request_error",
            format!(
                "Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs \
                 or we can help at https://support.stripe.com/."
            ),
        )
    }

    pub fn card_declined() -> Self {
        let mut e = Self::new(402, "card_error", "Your card was declined.").code("card_declined");
        e.details.decline_code = Some("generic_decline".into());
        e
    }

    pub fn from_fault(fault: &StripeFault) -> Self {
        match fault {
            StripeFault::ApiError => Self::new(
                500,
                "api_error",
                "An unknown error occurred while processing your request.",
            ),
            StripeFault::CardDeclined => Self::card_declined(),
            StripeFault::RateLimited => Self::new(
                429,
                "invalid_request_error",
                "Request rate limit exceeded. Learn more about rate limits here \
                 https://stripe.com/docs/rate-limits.",
            )
            .code("rate_limit"),
            StripeFault::InvalidRequest(message) => Self::invalid(message.clone()),
        }
    }

    /// The JSON body, with `doc_url` and `request_log_url` as Stripe fills them.
    pub fn body(&self, request_id: &str) -> Value {
        let mut err = Map::new();
        if let Some(code) = &self.details.code {
            err.insert("code".into(), json!(code));
            err.insert(
                "doc_url".into(),
                json!(format!(
                    "https://stripe.com/docs/error-codes/{}",
                    code.replace('_', "-")
                )),
            );
        }
        if let Some(dc) = &self.details.decline_code {
            err.insert("decline_code".into(), json!(dc));
        }
        err.insert("message".into(), json!(self.message));
        if let Some(param) = &self.details.param {
            err.insert("param".into(), json!(param));
        }
        err.insert(
            "request_log_url".into(),
            json!(format!(
                "https://dashboard.stripe.com/test/logs/{request_id}?t={}",
                crate::ids::now()
            )),
        );
        err.insert("type".into(), json!(self.kind));
        for (k, v) in &self.details.extra {
            err.insert(k.clone(), v.clone());
        }
        json!({ "error": Value::Object(err) })
    }
}

/// A failure to inject into the next matching API requests (see `StripeDouble::fail_next`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StripeFault {
    /// 500 `api_error`.
    ApiError,
    /// 402 `card_error`, code `card_declined`, decline_code `generic_decline`. On
    /// `POST /v1/payment_intents` (and `/confirm`) with `confirm=true` the PaymentIntent is
    /// still created, left in `requires_payment_method` with `last_payment_error`, and
    /// embedded in the error, as Stripe does.
    CardDeclined,
    /// 429 `rate_limit`.
    RateLimited,
    /// 400 `invalid_request_error` with the given message.
    InvalidRequest(String),
}

/// Errors of the driver API (test-side actions), not HTTP errors.
#[derive(Debug, thiserror::Error)]
pub enum DoubleError {
    #[error("no such {kind}: {id}")]
    NotFound { kind: &'static str, id: String },
    #[error("invalid state: {0}")]
    InvalidState(String),
    #[error("invalid argument: {0}")]
    Invalid(String),
    #[error("webhook delivery failed: {0}")]
    Delivery(String),
}
