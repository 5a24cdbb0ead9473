//! Sellers' branding end to end: `/branding` in the bot (a name that is too long, a colour that
//! is not one, a logo that is a PDF, a sticker or a text: each refused with nothing changed; a
//! photo taken as the logo; preset and typed colours; reset), the return page after Checkout in
//! the seller's escaped name and colour with the logo served through our route, the Checkout
//! Session created with `branding_settings`, the share card and alerts under the brand's header,
//! `GET`/`PATCH /api/v1/branding` with its 422s, and the team roles (a developer may read it
//! but not change it; an admin may change it).
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use tg_emulator::{OutgoingKind, OutgoingMessage};
use tollgate::{
    sellers::{branding, catalog},
    storage::entities::seller_audit,
};

use crate::{
    helpers::TestApp,
    on_both_databases,
    seller_api::{call, key_from_bot},
    sellers::{press, shop, wait_contains},
};

fn send(app: &TestApp, user: i64, kind: OutgoingKind) {
    app.emu()
        .send(user, user, OutgoingMessage::new(kind))
        .unwrap();
}

async fn row(app: &TestApp, seller_id: i64) -> Option<branding::Branding> {
    branding::get(app.db(), seller_id).await.unwrap()
}

async fn page(app: &TestApp, path: &str) -> (StatusCode, String) {
    let res = app.http.get(app.url(path)).send().await.unwrap();
    let status = res.status();
    (status, res.text().await.unwrap())
}

async fn branding_from_the_bot(app: TestApp) {
    let stripe = app.h.stripe.clone().expect("Stripe is on");
    let s = shop(&app, "Sam").await;
    let seller = catalog::seller_of_user(app.db(), s.sam)
        .await
        .unwrap()
        .unwrap();
    app.say(s.sam, "/branding");
    wait_contains(&app, s.sam, "Your branding", 1).await;
    wait_contains(&app, s.sam, "Name: Sam Signals", 1).await;

    // A name too short or too long: refused, nothing stored, the bot still waits.
    press(&app, s.sam, "Name").await;
    wait_contains(&app, s.sam, "Your brand name, as buyers will see it", 1).await;
    app.say(s.sam, "X");
    wait_contains(&app, s.sam, "A name is 2 to 64 characters", 1).await;
    app.say(s.sam, &"x".repeat(65));
    wait_contains(&app, s.sam, "A name is 2 to 64 characters", 2).await;
    assert_eq!(row(&app, seller.id).await, None);
    app.say(s.sam, "Sam's <Club> & Co");
    wait_contains(&app, s.sam, "Branding saved", 1).await;
    assert_eq!(
        row(&app, seller.id).await.unwrap().name.as_deref(),
        Some("Sam's <Club> & Co")
    );

    // A logo that is not an image: a PDF, a sticker, a text. Each refused, no logo.
    press(&app, s.sam, "Logo").await;
    wait_contains(&app, s.sam, "Send your logo as a photo", 1).await;
    send(
        &app,
        s.sam,
        OutgoingKind::Document {
            file_name: "logo.pdf".into(),
            caption: None,
        },
    );
    wait_contains(&app, s.sam, "That file is not an image", 1).await;
    send(
        &app,
        s.sam,
        OutgoingKind::Sticker {
            emoji: "😀".into()
        },
    );
    wait_contains(&app, s.sam, "A sticker cannot be your logo", 1).await;
    app.say(s.sam, "my logo");
    wait_contains(&app, s.sam, "That is not an image", 1).await;
    assert_eq!(row(&app, seller.id).await.unwrap().logo_file_id, None);
    // A photo is the logo (its largest size).
    send(&app, s.sam, OutgoingKind::Photo { caption: None });
    wait_contains(&app, s.sam, "Branding saved", 2).await;
    let logo = row(&app, seller.id).await.unwrap().logo_file_id.unwrap();
    assert!(logo.starts_with("AgAC") && !logo.ends_with("_s"), "{logo}");

    // A colour that is not one, then one typed, then a preset.
    press(&app, s.sam, "Another colour").await;
    wait_contains(&app, s.sam, "Send your accent colour", 1).await;
    app.say(s.sam, "#12345");
    wait_contains(&app, s.sam, "That is not a colour", 1).await;
    app.say(s.sam, "red");
    wait_contains(&app, s.sam, "That is not a colour", 2).await;
    assert_eq!(row(&app, seller.id).await.unwrap().accent_color, None);
    app.say(s.sam, "#FF8800");
    wait_contains(&app, s.sam, "Branding saved", 3).await;
    assert_eq!(
        row(&app, seller.id).await.unwrap().accent_color.as_deref(),
        Some("#ff8800")
    );
    press(&app, s.sam, "Green").await;
    wait_contains(&app, s.sam, "Branding saved", 4).await;
    assert_eq!(
        row(&app, seller.id).await.unwrap().accent_color.as_deref(),
        Some("#2e7d32")
    );

    // The return page after Checkout: the escaped name, the colour and the logo, which our
    // route serves without the bot's token anywhere in sight.
    let (status, html) = page(&app, &format!("/pay/success/{}", seller.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Sam&#39;s &lt;Club&gt; &amp; Co"), "{html}");
    assert!(!html.contains("<Club>"), "{html}");
    assert!(html.contains("#2e7d32"), "{html}");
    let img = format!("/brand/{}/logo", seller.id);
    assert!(html.contains(&img), "{html}");
    assert!(!html.contains("/file/bot"), "{html}");
    let (status, cancel) = page(&app, &format!("/pay/cancel/{}", seller.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(cancel.contains("Payment cancelled") && cancel.contains("#2e7d32"));
    let res = app.http.get(app.url(&img)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert!(res.bytes().await.unwrap().starts_with(b"\x89PNG"));
    // An unknown seller: the plain page, and no logo.
    let (status, plain) = page(&app, "/pay/success/987654").await;
    assert_eq!(status, StatusCode::OK);
    assert!(plain.contains("Thank you"));
    let res = app
        .http
        .get(app.url("/brand/987654/logo"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Stripe Checkout carries the branding, and comes back to the seller's return page.
    let service = catalog::service_by_chat(app.db(), s.chat)
        .await
        .unwrap()
        .unwrap();
    let plan = catalog::plans_of(app.db(), service.id, true)
        .await
        .unwrap()
        .remove(0);
    assert!(
        catalog::set_card_price(app.db(), seller.id, plan.id, Some((999, "usd".into())))
            .await
            .unwrap()
    );
    let plan = catalog::plan(app.db(), plan.id).await.unwrap().unwrap();
    let buyer = app.started_user("Bo", "en").await;
    let ctx = &app.h.app.ctx;
    tollgate::sellers::card::checkout(ctx, &seller, &service, &plan, buyer, None)
        .await
        .unwrap();
    let session = stripe.checkout_sessions().pop().unwrap();
    let brand = &session["branding_settings"];
    assert_eq!(brand["display_name"], "Sam's <Club> & Co", "{session}");
    assert_eq!(brand["button_color"], "#2e7d32", "{session}");
    assert_eq!(brand["logo"]["type"], "url", "{session}");
    assert!(
        brand["logo"]["url"].as_str().unwrap().ends_with(&img),
        "{session}"
    );
    assert!(
        session["success_url"]
            .as_str()
            .unwrap()
            .contains(&format!("/pay/success/{}?session_id=", seller.id)),
        "{session}"
    );
    let sent = stripe
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.method == "POST" && r.path == "/v1/checkout/sessions")
        .unwrap();
    assert_eq!(sent.status, 200);
    assert_eq!(
        sent.params["branding_settings"]["button_color"], "#2e7d32",
        "{:?}",
        sent.params
    );

    // Alerts go out under the brand's header (the colour's square and the name).
    app.say(s.sam, "/alert test");
    wait_contains(&app, s.sam, "Alert posted", 1).await;
    wait_contains(&app, s.chat, "🟩 Sam's <Club> & Co", 1).await;
    // The share card of a new plan is the logo, with the header in its caption.
    press(&app, s.sam, "Add a plan").await;
    wait_contains(&app, s.sam, "price in Telegram Stars", 2).await;
    app.say(s.sam, "100");
    wait_contains(&app, s.sam, "How many days", 2).await;
    app.say(s.sam, "7");
    wait_contains(&app, s.sam, "Free trial days", 2).await;
    app.say(s.sam, "0");
    let card = wait_contains(&app, s.sam, "Join for ⭐ 100", 1).await;
    assert_eq!(card.kind, "photo");
    assert!(card.body().unwrap().starts_with("🟩 Sam's <Club> & Co"));
    // Buyers see the brand name on the service's card.
    app.say(buyer, &format!("/start s_{}", s.code));
    wait_contains(&app, buyer, "by Sam's <Club> & Co", 1).await;

    // Every change is in the audit trail; reset goes back to the defaults.
    let changes = seller_audit::Entity::find()
        .filter(seller_audit::Column::SellerId.eq(seller.id))
        .filter(seller_audit::Column::Action.eq("branding"))
        .all(app.db())
        .await
        .unwrap();
    assert_eq!(changes.len(), 4, "{changes:?}");
    press(&app, s.sam, "Reset").await;
    wait_contains(&app, s.sam, "Branding reset", 1).await;
    let cleared = row(&app, seller.id).await.unwrap();
    assert_eq!(
        (cleared.name, cleared.accent_color, cleared.logo_file_id),
        (None, None, None)
    );
    let (_, html) = page(&app, &format!("/pay/success/{}", seller.id)).await;
    assert!(
        html.contains("Sam Signals") && !html.contains(&img),
        "{html}"
    );
    app.stop().await;
}
on_both_databases!(bot, branding_from_the_bot);

/// The owner's invite button pressed; the payload of the link it shows (`team_…`).
async fn invite(app: &TestApp, owner: i64, label: &str, nth: usize) -> String {
    press(app, owner, label).await;
    let shown = wait_contains(app, owner, "It works once", nth).await;
    let body = shown.body().unwrap();
    let start = body.find("start=team_").expect("the invite link") + "start=".len();
    body[start..].split_whitespace().next().unwrap().to_owned()
}

async fn branding_api_and_roles(app: TestApp) {
    let s = shop(&app, "Sam").await;
    let seller = catalog::seller_of_user(app.db(), s.sam)
        .await
        .unwrap()
        .unwrap();
    let key = key_from_bot(&app, s.sam, "live", "crm").await;

    // The defaults until something is set.
    let (status, body) = call(&app, Method::GET, Some(&key), "/branding", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["name"], "Sam Signals");
    assert_eq!(body["name_set"], false);
    assert_eq!(body["accent_color"], branding::DEFAULT_ACCENT);
    assert_eq!(body["has_logo"], false);
    assert_eq!(body["updated_at"], json!(null));

    // Bad values: 422 naming the field, and nothing changes.
    for (patch, field) in [
        (json!({"name": "x".repeat(65)}), "name"),
        (json!({"name": "A"}), "name"),
        (json!({"accent_color": "#12345"}), "accent_color"),
        (json!({"accent_color": "blue"}), "accent_color"),
        (
            json!({"name": "Fine name", "accent_color": "#zzzzzz"}),
            "accent_color",
        ),
        (json!({"logo": "https://example.com/x.png"}), "logo"),
    ] {
        let (status, body) = call(&app, Method::PATCH, Some(&key), "/branding", Some(patch)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["code"], "invalid", "{body}");
        assert_eq!(body["error"]["field"], field, "{body}");
    }
    let (status, body) = call(
        &app,
        Method::PATCH,
        Some(&key),
        "/branding",
        Some(json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(row(&app, seller.id).await, None);

    // A good change; a field left out stays, null clears.
    let (status, body) = call(
        &app,
        Method::PATCH,
        Some(&key),
        "/branding",
        Some(json!({"name": "  Sam & Co  ", "accent_color": "#AABBCC"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["name"], "Sam & Co");
    assert_eq!(body["accent_color"], "#aabbcc");
    let (_, body) = call(
        &app,
        Method::PATCH,
        Some(&key),
        "/branding",
        Some(json!({"accent_color": null})),
    )
    .await;
    assert_eq!(body["name"], "Sam & Co", "{body}");
    assert_eq!(body["accent_color"], branding::DEFAULT_ACCENT, "{body}");
    assert_eq!(body["accent_color_set"], false, "{body}");
    let (status, html) = page(&app, &format!("/pay/cancel/{}", seller.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Sam &amp; Co"), "{html}");

    // An image sent as a file is a logo too; the API shows where it is served.
    app.say(s.sam, "/branding");
    wait_contains(&app, s.sam, "Your branding", 1).await;
    press(&app, s.sam, "Logo").await;
    wait_contains(&app, s.sam, "Send your logo as a photo", 1).await;
    send(
        &app,
        s.sam,
        OutgoingKind::Document {
            file_name: "logo.png".into(),
            caption: None,
        },
    );
    wait_contains(&app, s.sam, "Branding saved", 1).await;
    let (_, body) = call(&app, Method::GET, Some(&key), "/branding", None).await;
    assert_eq!(body["has_logo"], true, "{body}");
    assert!(
        body["logo_url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/brand/{}/logo", seller.id)),
        "{body}"
    );

    // Roles: a developer reads it but may not change it, in the bot or the API; an admin may.
    app.say(s.sam, "/team");
    wait_contains(&app, s.sam, "Your team", 1).await;
    let dev_link = invite(&app, s.sam, "Invite a developer", 1).await;
    let dev = app.started_user("Dev", "en").await;
    app.say(dev, &format!("/start {dev_link}"));
    wait_contains(&app, dev, "You joined the team of", 1).await;
    app.say(dev, "/branding");
    wait_contains(&app, dev, "Name: Sam & Co", 1).await;
    press(&app, dev, "Green").await;
    wait_contains(&app, dev, "Your role (developer) cannot do this", 1).await;
    press(&app, dev, "Name").await;
    wait_contains(&app, dev, "Your role (developer) cannot do this", 2).await;
    let dev_key = key_from_bot(&app, dev, "live", "devkey").await;
    let (status, body) = call(&app, Method::GET, Some(&dev_key), "/branding", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = call(
        &app,
        Method::PATCH,
        Some(&dev_key),
        "/branding",
        Some(json!({"name": "Dev's"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "forbidden_role");
    let kept = row(&app, seller.id).await.unwrap();
    assert_eq!(
        (kept.name.as_deref(), kept.accent_color),
        (Some("Sam & Co"), None)
    );

    app.say(s.sam, "/team");
    wait_contains(&app, s.sam, "Your team", 2).await;
    let admin_link = invite(&app, s.sam, "Invite an admin", 2).await;
    let ada = app.started_user("Ada", "en").await;
    app.say(ada, &format!("/start {admin_link}"));
    wait_contains(&app, ada, "You joined the team of", 1).await;
    app.say(ada, "/branding");
    wait_contains(&app, ada, "Your branding", 1).await;
    press(&app, ada, "Purple").await;
    wait_contains(&app, ada, "Branding saved", 1).await;
    let changed = row(&app, seller.id).await.unwrap();
    assert_eq!(changed.accent_color.as_deref(), Some("#6a1b9a"));
    assert_eq!(changed.updated_by, ada);
    app.stop().await;
}
on_both_databases!(api, branding_api_and_roles);
