//! Tiny browser pages so a person in the sandbox can "pay": `GET /pay/{id}` with Pay and
//! Cancel buttons, and a stand-in billing portal at `GET /portal/{id}`.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::Value;

use crate::StripeDouble;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title>\
         <style>body{{font-family:sans-serif;max-width:32em;margin:3em auto}}\
         button{{font-size:1.1em;padding:.4em 1.2em;margin-right:1em}}</style></head>\
         <body><h1>{t}</h1>{body}<p><small>Stripe test double</small></p></body></html>",
        t = escape(title)
    )
}

fn money(amount: i64, currency: &str) -> String {
    let zero_decimal = ["jpy", "krw", "vnd", "clp", "isk", "ugx", "xaf", "xof"];
    if zero_decimal.contains(&currency) {
        format!("{amount} {}", currency.to_uppercase())
    } else {
        format!(
            "{}.{:02} {}",
            amount / 100,
            amount % 100,
            currency.to_uppercase()
        )
    }
}

fn redirect(location: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, location.to_string())],
    )
        .into_response()
}

fn not_found(what: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        Html(page(
            "Not found",
            &format!("<p>No such {}.</p>", escape(what)),
        )),
    )
        .into_response()
}

pub async fn pay_page(State(double): State<StripeDouble>, Path(id): Path<String>) -> Response {
    let Some(session) = double.checkout_session(&id) else {
        return not_found("checkout session");
    };
    let items = {
        let store = double.lock();
        store
            .extras
            .get(&id)
            .and_then(|e| e["line_items"].as_array().cloned())
            .unwrap_or_default()
    };
    let mut body = String::from("<ul>");
    for item in &items {
        body.push_str(&format!(
            "<li>{} × {} — {}</li>",
            item["quantity"],
            escape(item["description"].as_str().unwrap_or("item")),
            money(
                item["amount_total"].as_i64().unwrap_or(0),
                item["currency"].as_str().unwrap_or("usd")
            )
        ));
    }
    body.push_str("</ul>");
    if let (Some(total), Some(cur)) = (
        session["amount_total"].as_i64(),
        session["currency"].as_str(),
    ) {
        body.push_str(&format!("<p><b>Total: {}</b></p>", money(total, cur)));
    }
    let status = session["status"].as_str().unwrap_or("open");
    if status == "open" {
        let id = escape(&id);
        body.push_str(&format!(
            "<form method=\"post\" action=\"/pay/{id}/complete\" style=\"display:inline\">\
             <button type=\"submit\">Pay</button></form>\
             <form method=\"post\" action=\"/pay/{id}/cancel\" style=\"display:inline\">\
             <button type=\"submit\">Cancel</button></form>"
        ));
    } else {
        body.push_str(&format!(
            "<p>This checkout session is {}.</p>",
            escape(status)
        ));
    }
    Html(page("Checkout", &body)).into_response()
}

pub async fn pay_complete(State(double): State<StripeDouble>, Path(id): Path<String>) -> Response {
    if double.checkout_session(&id).is_none() {
        return not_found("checkout session");
    }
    match double.complete_checkout(&id).await {
        Ok(delivered) => {
            let session = &delivered.event["data"]["object"];
            match session["success_url"].as_str() {
                Some(url) => redirect(&url.replace("{CHECKOUT_SESSION_ID}", &id)),
                None => Html(page("Payment complete", "<p>Thank you.</p>")).into_response(),
            }
        }
        Err(e) => (
            StatusCode::BAD_REQUEST,
            Html(page(
                "Payment failed",
                &format!("<p>{}</p>", escape(&e.to_string())),
            )),
        )
            .into_response(),
    }
}

pub async fn pay_cancel(State(double): State<StripeDouble>, Path(id): Path<String>) -> Response {
    let Some(session) = double.checkout_session(&id) else {
        return not_found("checkout session");
    };
    match session["cancel_url"].as_str() {
        Some(url) => redirect(url),
        None => Html(page("Checkout canceled", "<p>You can close this page.</p>")).into_response(),
    }
}

pub async fn portal_page(State(double): State<StripeDouble>, Path(id): Path<String>) -> Response {
    let Some(session) = double.object(&id) else {
        return not_found("billing portal session");
    };
    let customer = session["customer"].as_str().unwrap_or_default();
    let email = double
        .object(customer)
        .and_then(|c| c["email"].as_str().map(str::to_string))
        .unwrap_or_default();
    let mut body = format!("<p>Customer {} {}</p>", escape(customer), escape(&email));
    if let Some(Value::String(url)) = session.get("return_url") {
        body.push_str(&format!("<p><a href=\"{}\">Return</a></p>", escape(url)));
    }
    Html(page("Billing portal", &body)).into_response()
}

/// Stripe's hosted Connect onboarding, reduced to one button: "Submit" completes it.
pub async fn onboard_page(
    State(double): State<StripeDouble>,
    Path(account): Path<String>,
) -> Response {
    let Some(object) = double.object(&account).filter(|o| o["object"] == "account") else {
        return not_found("account");
    };
    let due = object["requirements"]["currently_due"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(escape)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    let id = escape(&account);
    let body = format!(
        "<p>Account {id}</p><p>Stripe needs: {}</p>\
         <form method=\"post\" action=\"/connect/onboard/{id}/complete\">\
         <button type=\"submit\">Submit</button></form>",
        if due.is_empty() {
            "nothing".into()
        } else {
            due
        }
    );
    Html(page("Connect onboarding", &body)).into_response()
}

pub async fn onboard_complete(
    State(double): State<StripeDouble>,
    Path(account): Path<String>,
) -> Response {
    if let Err(e) = double.complete_onboarding(&account).await {
        return (
            StatusCode::BAD_REQUEST,
            Html(page(
                "Onboarding failed",
                &format!("<p>{}</p>", escape(&e.to_string())),
            )),
        )
            .into_response();
    }
    let back = double
        .lock()
        .extras
        .get(&format!("account_link:{account}"))
        .and_then(|l| l["return_url"].as_str().map(str::to_owned));
    match back {
        Some(url) => redirect(&url),
        None => Html(page(
            "Onboarding complete",
            "<p>You can close this page.</p>",
        ))
        .into_response(),
    }
}

/// Stripe's hosted invoice page: an open invoice has a "Pay" button.
pub async fn invoice_page(State(double): State<StripeDouble>, Path(id): Path<String>) -> Response {
    let Some(invoice) = double.object(&id).filter(|o| o["object"] == "invoice") else {
        return not_found("invoice");
    };
    let amount = money(
        invoice["amount_due"].as_i64().unwrap_or(0),
        invoice["currency"].as_str().unwrap_or("usd"),
    );
    let status = invoice["status"].as_str().unwrap_or("?");
    let mut body = format!(
        "<p>Invoice {} · {} · {}</p>",
        escape(&id),
        escape(&amount),
        escape(status)
    );
    if status == "open" {
        body.push_str(&format!(
            "<form method=\"post\" action=\"/invoice/{}/pay\"><button type=\"submit\">Pay {}</button></form>",
            escape(&id),
            escape(&amount)
        ));
    }
    Html(page("Invoice", &body)).into_response()
}

pub async fn invoice_pay(State(double): State<StripeDouble>, Path(id): Path<String>) -> Response {
    match double.pay_invoice(&id).await {
        Ok(_) => Html(page("Invoice paid", "<p>Thank you.</p>")).into_response(),
        Err(e) => (
            StatusCode::BAD_REQUEST,
            Html(page(
                "Payment failed",
                &format!("<p>{}</p>", escape(&e.to_string())),
            )),
        )
            .into_response(),
    }
}
