use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;

use crate::{services::ServiceError, storage::StorageError};

/// The HTTP layer's error: a safe message out, the whole cause in the log. Every route answers
/// with `{"error": {"code", "message", "field"}}`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    /// One message for a missing, unknown, revoked or expired key: no hint which.
    #[error("a valid API key is required: Authorization: Bearer tg_live_… or tg_test_…")]
    Unauthorized,
    #[error("{0}")]
    NotFound(&'static str),
    /// The key's creating team member has a role that may not do this.
    #[error("this key's team role ({0}) may not do this")]
    ForbiddenRole(&'static str),
    /// A request that cannot be taken as it is, naming the field at fault when there is one.
    #[error("{message}")]
    Invalid {
        field: Option<String>,
        message: String,
    },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("too many requests: the key's hourly limit is reached")]
    RateLimited { retry_after: u64 },
    /// A limit other than the key's hourly one (a send cooldown, a daily usage limit), named
    /// by its code; `retry_after` when waiting helps.
    #[error("{message}")]
    Limited {
        code: &'static str,
        message: String,
        retry_after: Option<u64>,
    },
    /// The seller's platform plan does not allow this (`limit` names which); 429 for the
    /// hourly API calls, 403 for the rest.
    #[error("{message}")]
    PlanLimit {
        limit: &'static str,
        message: String,
        retry_after: Option<u64>,
    },
    #[error("not ready: {0}")]
    Unavailable(&'static str),
    #[error("the body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("the body did not arrive in time")]
    BodyTimeout,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
    /// A 422 with its own code (`needs_start`, `invalid_transition`…), naming the field at
    /// fault when there is one.
    #[error("{message}")]
    Unprocessable {
        code: &'static str,
        field: Option<String>,
        message: String,
    },
    /// A signed delivery (a shop's webhook) whose signature is missing or does not check out.
    #[error("the signature is missing or does not match the body")]
    BadSignature,
}

impl ApiError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Invalid {
            field: Some(field.into()),
            message: message.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::ForbiddenRole(_) => StatusCode::FORBIDDEN,
            ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::RateLimited { .. } | ApiError::Limited { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ApiError::PlanLimit { limit, .. } => {
                if *limit == "api_calls_per_hour" {
                    StatusCode::TOO_MANY_REQUESTS
                } else {
                    StatusCode::FORBIDDEN
                }
            }
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::BadSignature => StatusCode::UNAUTHORIZED,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Unauthorized => "unauthorized",
            ApiError::NotFound(_) => "not_found",
            ApiError::ForbiddenRole(_) => "forbidden_role",
            ApiError::Invalid { .. } => "invalid",
            ApiError::Conflict { code, .. } => code,
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::Limited { code, .. } => code,
            ApiError::PlanLimit { .. } => "plan_limit",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::TooLarge(_) => "too_large",
            ApiError::BodyTimeout => "timeout",
            ApiError::Internal(_) => "internal",
            ApiError::Unprocessable { code, .. } => code,
            ApiError::BadSignature => "bad_signature",
        }
    }
}

/// The error body every route answers with.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable: `unauthorized`, `forbidden_role`, `not_found`, `invalid`, `rate_limited`,
    /// `idempotency_key_reused`, `idempotency_key_in_use`, `too_large`, `conflict`,
    /// `usage_limit`, `plan_limit`, `otp_cooldown`, `otp_user_limit`, `otp_key_limit`,
    /// `contact_stopped`, `unknown_contact`, `needs_start`, `invalid_transition`, …
    pub code: String,
    pub message: String,
    /// The request field at fault, when there is one (for `plan_limit`: the limit, one of
    /// `services`, `active_members`, `api_calls_per_hour`).
    pub field: Option<String>,
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        ApiError::Internal(e.into())
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        ApiError::Internal(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = match &self {
            ApiError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                "internal error".to_owned()
            }
            other => other.to_string(),
        };
        let field = match &self {
            ApiError::Invalid { field, .. } | ApiError::Unprocessable { field, .. } => {
                field.clone()
            }
            ApiError::PlanLimit { limit, .. } => Some((*limit).to_owned()),
            _ => None,
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code().to_owned(),
                message,
                field,
            },
        };
        let mut res = (status, Json(body)).into_response();
        if let ApiError::RateLimited { retry_after }
        | ApiError::Limited {
            retry_after: Some(retry_after),
            ..
        }
        | ApiError::PlanLimit {
            retry_after: Some(retry_after),
            ..
        } = self
        {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"tollgate\""),
            );
        }
        res
    }
}
