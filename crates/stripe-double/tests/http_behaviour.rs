//! The HTTP surface as Stripe behaves: idempotency, error shapes, authentication, request
//! recording, the hosted pay page.

mod common;

use common::{API_KEY, Harness};
use serde_json::{Value, json};

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn post(
    h: &Harness,
    path: &str,
    body: &str,
    idempotency_key: Option<&str>,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut req = http()
        .post(format!("{}v1{path}", h.double.base_url()))
        .bearer_auth(API_KEY)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_string());
    if let Some(key) = idempotency_key {
        req = req.header("Idempotency-Key", key);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, res.json().await.unwrap(), headers)
}

const SESSION: &str = "mode=payment&line_items[0][price_data][currency]=usd\
    &line_items[0][price_data][unit_amount]=250&line_items[0][price_data][product_data][name]=Pass\
    &line_items[0][quantity]=2&metadata[order_id]=42&client_reference_id=u1\
    &success_url=https%3A%2F%2Fbot.test%2Fok%3Fs%3D%7BCHECKOUT_SESSION_ID%7D\
    &cancel_url=https%3A%2F%2Fbot.test%2Fcancel&payment_method_types[0]=card";

#[tokio::test]
async fn the_same_idempotency_key_replays_the_first_response() {
    let h = Harness::start().await;
    let (s1, first, _) = post(&h, "/checkout/sessions", SESSION, Some("key-1")).await;
    let (s2, second, headers) = post(&h, "/checkout/sessions", SESSION, Some("key-1")).await;
    assert_eq!((s1, s2), (200, 200));
    assert_eq!(first, second);
    assert_eq!(headers.get("idempotent-replayed").unwrap(), "true");
    assert_eq!(h.double.checkout_sessions().len(), 1);
}

#[tokio::test]
async fn the_same_idempotency_key_with_other_parameters_is_an_idempotency_error() {
    let h = Harness::start().await;
    post(&h, "/customers", "email=a%40x.test", Some("key-2")).await;
    let (status, body, _) = post(&h, "/customers", "email=b%40x.test", Some("key-2")).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["type"], "idempotency_error");
    assert_eq!(h.double.customers().len(), 1);
}

#[tokio::test]
async fn bracketed_form_parameters_are_recorded_as_nested_json() {
    let h = Harness::start().await;
    let (status, session, _) = post(&h, "/checkout/sessions", SESSION, Some("k")).await;
    assert_eq!(status, 200);
    assert_eq!(session["amount_total"], 500);
    assert_eq!(session["metadata"], json!({"order_id": "42"}));
    let recorded = h.double.requests().pop().unwrap();
    assert_eq!(recorded.method, "POST");
    assert_eq!(recorded.path, "/v1/checkout/sessions");
    assert_eq!(recorded.idempotency_key.as_deref(), Some("k"));
    assert_eq!(recorded.status, 200);
    assert_eq!(
        recorded.params["line_items"][0]["price_data"]["product_data"]["name"],
        "Pass"
    );
    assert_eq!(recorded.params["payment_method_types"], json!(["card"]));
}

#[tokio::test]
async fn errors_have_stripes_shape_and_status() {
    let h = Harness::start().await;
    let (status, body, _) = post(
        &h,
        "/checkout/sessions",
        "mode=payment&customer=cus_nope&line_items[0][price]=price_x&line_items[0][quantity]=1",
        None,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "resource_missing");
    assert_eq!(body["error"]["message"], "No such customer: 'cus_nope'");
    assert_eq!(body["error"]["param"], "customer");
    assert!(body["error"]["doc_url"].is_string());
    assert!(body["error"]["request_log_url"].is_string());

    let (status, body, _) = post(&h, "/checkout/sessions", "line_items[0][price]=p", None).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (400, json!("parameter_missing"))
    );

    let (status, body, _) = post(&h, "/nothing/here", "", None).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["type"], "invalid_request_error");

    let res = http()
        .get(format!("{}v1/customers", h.double.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["type"], "invalid_request_error");
}

#[tokio::test]
async fn an_injected_invalid_request_fails_only_the_next_matching_call() {
    let h = Harness::start().await;
    h.double.fail_next(
        "/v1/customers",
        stripe_double::StripeFault::InvalidRequest("nope".into()),
        1,
    );
    let (status, body, _) = post(&h, "/customers", "", None).await;
    assert_eq!(
        (status, body["error"]["message"].clone()),
        (400, json!("nope"))
    );
    let (status, _, _) = post(&h, "/customers", "", None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn lists_are_newest_first_and_filter_by_field() {
    let h = Harness::start().await;
    post(&h, "/customers", "email=a%40x.test", None).await;
    post(&h, "/customers", "email=b%40x.test", None).await;
    let res = http()
        .get(format!("{}v1/customers?limit=1", h.double.base_url()))
        .bearer_auth(API_KEY)
        .send()
        .await
        .unwrap();
    let list: Value = res.json().await.unwrap();
    assert_eq!(list["object"], "list");
    assert_eq!(list["has_more"], true);
    assert_eq!(list["data"][0]["email"], "b@x.test");
    let res = http()
        .get(format!(
            "{}v1/customers?email=a%40x.test",
            h.double.base_url()
        ))
        .bearer_auth(API_KEY)
        .send()
        .await
        .unwrap();
    let list: Value = res.json().await.unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_person_can_pay_on_the_hosted_page_and_is_sent_to_the_success_url() {
    let h = Harness::start().await;
    let (_, session, _) = post(&h, "/checkout/sessions", SESSION, None).await;
    let id = session["id"].as_str().unwrap();
    let url = session["url"].as_str().unwrap();
    let page = http().get(url).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Pay") && page.contains("Cancel"));
    assert!(page.contains("5.00 USD"));

    let res = http().post(format!("{url}/complete")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(
        res.headers().get("location").unwrap().to_str().unwrap(),
        format!("https://bot.test/ok?s={id}")
    );
    assert_eq!(h.double.checkout_session(id).unwrap()["status"], "complete");
    assert_eq!(h.receiver.all().len(), 1);

    let (_, other, _) = post(&h, "/checkout/sessions", SESSION, None).await;
    let res = http()
        .post(format!("{}/cancel", other["url"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(
        res.headers().get("location").unwrap(),
        "https://bot.test/cancel"
    );
}

#[tokio::test]
async fn expand_replaces_ids_with_objects() {
    let h = Harness::start().await;
    let (_, customer, _) = post(&h, "/customers", "email=c%40x.test", None).await;
    let body = format!(
        "{SESSION}&customer={}&expand[]=customer&expand[]=line_items",
        customer["id"].as_str().unwrap()
    );
    let (status, session, _) = post(&h, "/checkout/sessions", &body, None).await;
    assert_eq!(status, 200);
    assert_eq!(session["customer"]["email"], "c@x.test");
    assert_eq!(session["line_items"]["data"][0]["quantity"], 2);
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let h = Harness::start().await;
    let base = h.double.base_url();
    h.double.shutdown();
    // Poll until the listener is gone (no deadline assertion).
    loop {
        if http()
            .get(format!("{base}v1/customers"))
            .send()
            .await
            .is_err()
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn branding_settings_are_checked_and_shown_on_the_session() {
    let h = Harness::start().await;
    let branded = format!(
        "{SESSION}&branding_settings[display_name]=Sam%27s+Club\
         &branding_settings[button_color]=%232e7d32\
         &branding_settings[logo][type]=url\
         &branding_settings[logo][url]=https%3A%2F%2Fbot.test%2Fbrand%2F1%2Flogo"
    );
    let (status, session, _) = post(&h, "/checkout/sessions", &branded, None).await;
    assert_eq!(status, 200, "{session}");
    let b = &session["branding_settings"];
    assert_eq!(b["display_name"], "Sam's Club");
    assert_eq!(b["button_color"], "#2e7d32");
    assert_eq!(b["background_color"], "#ffffff");
    assert_eq!(b["border_style"], "rounded");
    assert_eq!(
        b["logo"],
        json!({"type": "url", "url": "https://bot.test/brand/1/logo", "file": null})
    );
    // Without it, the session has none of its own.
    let (_, plain, _) = post(&h, "/checkout/sessions", SESSION, None).await;
    assert_eq!(plain["branding_settings"], Value::Null);

    for (extra, param) in [
        (
            "&branding_settings[button_color]=green",
            "branding_settings[button_color]",
        ),
        (
            "&branding_settings[border_style]=wavy",
            "branding_settings[border_style]",
        ),
        (
            "&branding_settings[logo][type]=url",
            "branding_settings[logo][url]",
        ),
        (
            "&branding_settings[logo][type]=url&branding_settings[logo][url]=https%3A%2F%2Fx.test\
             &branding_settings[icon][type]=url&branding_settings[icon][url]=https%3A%2F%2Fx.test",
            "branding_settings[logo]",
        ),
        (
            "&branding_settings[colour]=%23000000",
            "branding_settings[colour]",
        ),
    ] {
        let (status, body, _) =
            post(&h, "/checkout/sessions", &format!("{SESSION}{extra}"), None).await;
        assert_eq!(status, 400, "{extra}: {body}");
        assert_eq!(body["error"]["param"], param, "{extra}: {body}");
    }
    assert_eq!(h.double.checkout_sessions().len(), 2);
}
