//! HTTP front: routing, body decoding, faults, call recording, getUpdates.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{FromRequest, Multipart, Path, State};
use axum::http::{Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::{Map, Value, json};

use crate::Inner;
use crate::methods;
use crate::types::{ApiCall, Fault};
use crate::validate::{ApiError, ApiResult, Params};

pub(crate) fn router(inner: Arc<Inner>) -> Router {
    Router::new()
        .route("/{tok}/{method}", any(handle))
        .route("/file/{tok}/{*path}", axum::routing::get(download))
        .fallback(|| async { reply(Err(ApiError::new(404, "Not Found"))) })
        .with_state(inner)
}

fn reply(res: ApiResult) -> Response {
    match res {
        Ok(v) => (StatusCode::OK, axum::Json(json!({"ok": true, "result": v}))).into_response(),
        Err(e) => {
            let code = StatusCode::from_u16(e.code).unwrap_or(StatusCode::BAD_REQUEST);
            (code, axum::Json(e.body())).into_response()
        }
    }
}

async fn handle(
    State(inner): State<Arc<Inner>>,
    Path((tok, method)): Path<(String, String)>,
    req: Request<Body>,
) -> Response {
    let token_ok = tok.strip_prefix("bot").is_some_and(|t| t == inner.token);
    if !token_ok {
        return reply(Err(ApiError::new(401, "Unauthorized")));
    }
    let params = match read_params(req).await {
        Ok(p) => p,
        Err(e) => return reply(Err(e)),
    };
    let lower = method.to_ascii_lowercase();
    if lower == "getupdates" {
        return reply(get_updates(&inner, &params).await);
    }
    let name = methods::canonical(&method)
        .map(str::to_owned)
        .unwrap_or(method.clone());
    let mut answer_after = None;
    let res = {
        let mut w = inner.world.lock().expect("world lock");
        let fault = take_fault(&mut w.faults, &lower);
        let res = match fault {
            Some(Fault::SlowAnswer { delay }) => {
                answer_after = Some(delay);
                methods::call(&mut w, &lower, &params)
            }
            Some(f) => Err(fault_error(f)),
            None => methods::call(&mut w, &lower, &params),
        };
        let private_send =
            !w.keep_private_sends && params.i64("chat_id").ok().flatten().is_some_and(|c| c > 0);
        if !private_send {
            w.calls.push(ApiCall {
                method: name,
                params: params.normalized(),
                ok: res.is_ok(),
                error_code: res.as_ref().err().map(|e| e.code),
                description: res.as_ref().err().map(|e| e.description.clone()),
            });
        }
        res
    };
    if res.is_ok() && lower == "setwebhook" {
        crate::webhook::spawn_delivery(inner.clone());
    }
    if let Some(delay) = answer_after {
        tokio::time::sleep(delay).await;
    }
    reply(res)
}

/// A file's bytes, at the `file_path` getFile answered (`/file/bot<token>/<file_path>`).
async fn download(
    State(inner): State<Arc<Inner>>,
    Path((tok, path)): Path<(String, String)>,
) -> Response {
    let token_ok = tok.strip_prefix("bot").is_some_and(|t| t == inner.token);
    if !token_ok {
        return (StatusCode::UNAUTHORIZED, "Unauthorized").into_response();
    }
    if path.starts_with("photos/") {
        methods::PHOTO_BYTES.to_vec().into_response()
    } else if path.starts_with("documents/") {
        vec![0u8; 2048].into_response()
    } else {
        (StatusCode::NOT_FOUND, "Not Found").into_response()
    }
}

fn take_fault(faults: &mut Vec<(String, Fault, u32)>, method: &str) -> Option<Fault> {
    let pos = faults
        .iter()
        .position(|(m, _, _)| m.eq_ignore_ascii_case(method))
        .or_else(|| faults.iter().position(|(m, _, _)| m == "*"))?;
    let (_, f, left) = &mut faults[pos];
    let f = f.clone();
    *left -= 1;
    if *left == 0 {
        faults.remove(pos);
    }
    Some(f)
}

fn fault_error(f: Fault) -> ApiError {
    match f {
        Fault::TooManyRequests { retry_after } => ApiError::too_many(retry_after),
        Fault::Server { code } => {
            let text = match code {
                502 => "Bad Gateway",
                503 => "Service Unavailable",
                504 => "Gateway Timeout",
                _ => "Internal Server Error",
            };
            ApiError::new(code, text)
        }
        Fault::Forbidden(s) => ApiError::forbidden(s),
        Fault::BadRequest(s) => ApiError::bad(s),
        Fault::SlowAnswer { .. } => unreachable!("a slow answer is an answer, not an error"),
    }
}

/// Decode query string + JSON / urlencoded / multipart body into one map.
async fn read_params(req: Request<Body>) -> ApiResult<Params> {
    let mut map = Map::new();
    if let Some(q) = req.uri().query() {
        for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
            map.insert(k.into_owned(), Value::String(v.into_owned()));
        }
    }
    let ctype = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if ctype.starts_with("multipart/form-data") {
        let mut mp = Multipart::from_request(req, &())
            .await
            .map_err(|_| ApiError::bad("can't parse multipart request"))?;
        while let Ok(Some(field)) = mp.next_field().await {
            let name = field.name().unwrap_or_default().to_owned();
            let file_name = field.file_name().map(str::to_owned);
            let bytes = field
                .bytes()
                .await
                .map_err(|_| ApiError::bad("can't read multipart field"))?;
            match file_name {
                Some(f) => {
                    map.insert(
                        name,
                        json!({"__upload": true, "__filename": f, "__size": bytes.len()}),
                    );
                }
                None => {
                    map.insert(
                        name,
                        Value::String(String::from_utf8_lossy(&bytes).into_owned()),
                    );
                }
            }
        }
        // `attach://name` references point at uploaded parts.
        let attached: Vec<(String, Value)> = map
            .iter()
            .filter_map(|(k, v)| {
                let s = v.as_str()?.strip_prefix("attach://")?;
                Some((k.clone(), map.get(s)?.clone()))
            })
            .collect();
        for (k, v) in attached {
            map.insert(k, v);
        }
        return Ok(Params(map));
    }
    let body = to_bytes(req.into_body(), 64 * 1024 * 1024)
        .await
        .map_err(|_| ApiError::bad("can't read request body"))?;
    if body.is_empty() {
        return Ok(Params(map));
    }
    if ctype.starts_with("application/json") || (ctype.is_empty() && body.first() == Some(&b'{')) {
        let v: Value =
            serde_json::from_slice(&body).map_err(|_| ApiError::bad("can't parse JSON body"))?;
        if let Value::Object(o) = v {
            map.extend(o);
        }
    } else {
        for (k, v) in url::form_urlencoded::parse(&body) {
            map.insert(k.into_owned(), Value::String(v.into_owned()));
        }
    }
    Ok(Params(map))
}

/// getUpdates: confirm by offset, then answer at once or long-poll.
async fn get_updates(inner: &Arc<Inner>, p: &Params) -> ApiResult {
    let timeout = p.i64("timeout")?.unwrap_or(0).clamp(0, 50) as u64;
    let limit = p.i64("limit")?.unwrap_or(100).clamp(1, 100) as usize;
    let offset = p.i64("offset")?;
    let allowed = p.json("allowed_updates")?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
    let mut first = true;
    loop {
        let notify = {
            let w = inner.world.lock().expect("world lock");
            w.updates_notify.clone()
        };
        let notified = notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        {
            let mut w = inner.world.lock().expect("world lock");
            if w.webhook.is_some() {
                return Err(ApiError::new(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
                ));
            }
            if first {
                first = false;
                if let Some(a) = &allowed {
                    w.allowed_updates = Some(
                        a.as_array()
                            .map(|l| {
                                l.iter()
                                    .filter_map(Value::as_str)
                                    .map(str::to_owned)
                                    .collect()
                            })
                            .unwrap_or_default(),
                    );
                }
                match offset {
                    Some(o) if o < 0 => {
                        let keep = o.unsigned_abs() as usize;
                        while w.updates.len() > keep {
                            w.updates.pop_front();
                        }
                    }
                    Some(o) => {
                        while w.updates.front().is_some_and(|(id, _, _)| *id < o) {
                            w.updates.pop_front();
                        }
                    }
                    None => {}
                }
            }
            if !w.updates.is_empty() {
                let batch: Vec<Value> = w
                    .updates
                    .iter()
                    .take(limit)
                    .map(|(_, _, v)| v.clone())
                    .collect();
                let max_id = w
                    .updates
                    .iter()
                    .take(limit)
                    .map(|(id, _, _)| *id)
                    .max()
                    .unwrap_or(0);
                let new = w
                    .updates
                    .iter()
                    .take(limit)
                    .filter(|(id, _, _)| *id > w.max_delivered_update)
                    .count();
                w.delivered_count += new as u64;
                w.max_delivered_update = w.max_delivered_update.max(max_id);
                return Ok(Value::Array(batch));
            }
        }
        if inner.is_shut_down() || tokio::time::Instant::now() >= deadline {
            return Ok(json!([]));
        }
        let shutdown = inner.shutdown_notify.notified();
        tokio::select! {
            _ = notified => {}
            _ = shutdown => return Ok(json!([])),
            _ = tokio::time::sleep_until(deadline) => return Ok(json!([])),
        }
    }
}
