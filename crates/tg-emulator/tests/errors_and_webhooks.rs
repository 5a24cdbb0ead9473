//! Validation errors, injected faults, raw HTTP behaviour and webhook delivery.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{drain, setup, user};
use serde_json::{Value, json};
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, LabeledPrice, ParseMode};
use teloxide::{ApiError, RequestError};
use tg_emulator::{Emulator, EmulatorConfig, EmulatorLimits, Fault, UserSpec};

/// (secret header, body) of one webhook POST.
type Delivered = (Option<String>, Value);

async fn raw(emu: &Emulator, method: &str, body: Value) -> (u16, Value) {
    let url = format!("{}/bot{}/{}", emu.api_url(), emu.token(), method);
    let r = reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

async fn started(emu: &Emulator) -> i64 {
    let u = emu.add_user(UserSpec::default());
    emu.send_text(u, u, "/start").unwrap();
    u
}

#[tokio::test]
async fn empty_and_too_long_texts_are_rejected_with_telegram_texts() {
    let (emu, bot) = setup().await;
    let u = started(&emu).await;
    let err = bot.send_message(ChatId(u), "").await.unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::MessageTextIsEmpty)),
        "{err:?}"
    );
    let err = bot
        .send_message(ChatId(u), "x".repeat(4097))
        .await
        .unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::MessageIsTooLong)),
        "{err:?}"
    );
    bot.send_message(ChatId(u), "x".repeat(4096)).await.unwrap();
}

#[tokio::test]
async fn bad_html_is_a_cant_parse_entities_error() {
    let (emu, bot) = setup().await;
    let u = started(&emu).await;
    let err = bot
        .send_message(ChatId(u), "<b>open")
        .parse_mode(ParseMode::Html)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("can't parse entities"), "{err}");
    let (code, body) = raw(
        &emu,
        "sendMessage",
        json!({"chat_id": u, "text": "<x>y</x>", "parse_mode": "HTML"}),
    )
    .await;
    assert_eq!(code, 400);
    assert!(
        body["description"]
            .as_str()
            .unwrap()
            .starts_with("Bad Request: can't parse entities: Unsupported start tag")
    );
}

#[tokio::test]
async fn oversized_or_empty_callback_data_is_button_data_invalid() {
    let (emu, bot) = setup().await;
    let u = started(&emu).await;
    for data in ["x".repeat(65), String::new()] {
        let kb = InlineKeyboardMarkup::new(vec![vec![InlineKeyboardButton::callback("b", data)]]);
        let err = bot
            .send_message(ChatId(u), "t")
            .reply_markup(kb)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("BUTTON_DATA_INVALID"), "{err}");
    }
    // 64 bytes of multi-byte text counts bytes, not characters.
    let kb = InlineKeyboardMarkup::new(vec![vec![InlineKeyboardButton::callback(
        "b",
        "é".repeat(33),
    )]]);
    assert!(
        bot.send_message(ChatId(u), "t")
            .reply_markup(kb)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn unreachable_users_get_the_right_403s() {
    let (emu, bot) = setup().await;
    let never = emu.add_user(UserSpec::default());
    let err = bot.send_message(ChatId(never), "hi").await.unwrap_err();
    // Real Telegram says "Forbidden: …" (403); teloxide only knows an old
    // "Unauthorized: …" spelling, so it surfaces as ApiError::Unknown.
    assert!(
        err.to_string()
            .contains("Forbidden: bot can't initiate conversation with a user"),
        "{err}"
    );
    let blocked = started(&emu).await;
    emu.block_bot(blocked);
    let err = bot.send_message(ChatId(blocked), "hi").await.unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::BotBlocked)),
        "{err:?}"
    );
    emu.unblock_bot(blocked);
    bot.send_message(ChatId(blocked), "hi").await.unwrap();
    let gone = started(&emu).await;
    emu.deactivate_user(gone);
    let err = bot.send_message(ChatId(gone), "hi").await.unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::UserDeactivated)),
        "{err:?}"
    );
    let err = bot.send_message(ChatId(-100_123), "hi").await.unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::ChatNotFound)),
        "{err:?}"
    );
    let calls = emu.calls_to("sendMessage");
    assert_eq!(
        calls.iter().filter(|c| c.error_code == Some(403)).count(),
        3
    );
}

#[tokio::test]
async fn an_injected_429_surfaces_as_retry_after_in_teloxide() {
    let (emu, bot) = setup().await;
    let u = started(&emu).await;
    emu.fail_next("sendMessage", Fault::TooManyRequests { retry_after: 7 }, 1);
    let err = bot.send_message(ChatId(u), "hi").await.unwrap_err();
    match err {
        RequestError::RetryAfter(s) => assert_eq!(s.seconds(), 7),
        other => panic!("{other:?}"),
    }
    bot.send_message(ChatId(u), "hi").await.unwrap();
    let (code, body) = {
        emu.fail_next("*", Fault::TooManyRequests { retry_after: 3 }, 1);
        raw(&emu, "getMe", json!({})).await
    };
    assert_eq!(code, 429);
    assert_eq!(body["parameters"]["retry_after"], 3);
    assert_eq!(body["description"], "Too Many Requests: retry after 3");
}

#[tokio::test]
async fn injected_403_and_bad_request_faults_are_returned_once() {
    let (emu, bot) = setup().await;
    let u = started(&emu).await;
    emu.fail_next(
        "sendmessage",
        Fault::Forbidden("bot was blocked by the user".into()),
        2,
    );
    for _ in 0..2 {
        let err = bot.send_message(ChatId(u), "x").await.unwrap_err();
        assert!(
            matches!(err, RequestError::Api(ApiError::BotBlocked)),
            "{err:?}"
        );
    }
    bot.send_message(ChatId(u), "x").await.unwrap();
    emu.fail_next("getChat", Fault::BadRequest("chat not found".into()), 1);
    let err = bot.get_chat(ChatId(u)).await.unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::ChatNotFound)),
        "{err:?}"
    );
    emu.fail_next("getMe", Fault::Server { code: 502 }, 1);
    let (code, _) = raw(&emu, "getMe", json!({})).await;
    assert_eq!(code, 502);
}

#[tokio::test]
async fn unknown_methods_are_404_and_a_wrong_token_is_401() {
    let (emu, _bot) = setup().await;
    let (code, body) = raw(&emu, "sendTelepathy", json!({})).await;
    assert_eq!(code, 404);
    assert_eq!(
        body,
        json!({"ok": false, "error_code": 404, "description": "Not Found"})
    );
    let url = format!("{}/bot999:WRONG/getMe", emu.api_url());
    let r = reqwest::get(url).await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["description"], "Unauthorized");
}

#[tokio::test]
async fn method_names_are_case_insensitive_and_forms_are_accepted() {
    let (emu, _bot) = setup().await;
    let u = started(&emu).await;
    let url = format!("{}/bot{}/SENDMESSAGE", emu.api_url(), emu.token());
    let markup = r#"{"inline_keyboard":[[{"text":"a","callback_data":"x"}]]}"#;
    let r = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "chat_id={u}&text=hello%20form&reply_markup={}",
            url::form_urlencoded::byte_serialize(markup.as_bytes()).collect::<String>()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let rec = emu.last_bot_message(u).unwrap();
    assert_eq!(rec.text.as_deref(), Some("hello form"));
    assert_eq!(rec.buttons[0][0].callback_data.as_deref(), Some("x"));
    let url = format!("{}/bot{}/getMe?x=1", emu.api_url(), emu.token());
    assert_eq!(reqwest::get(url).await.unwrap().status().as_u16(), 200);
    assert_eq!(
        emu.calls_to("sendMessage")[0].params["reply_markup"]["inline_keyboard"][0][0]["text"],
        "a"
    );
}

#[tokio::test]
async fn star_invoices_need_one_price_and_no_provider_token() {
    let (emu, bot) = setup().await;
    let u = started(&emu).await;
    let two = vec![LabeledPrice::new("a", 1), LabeledPrice::new("b", 2)];
    assert!(
        bot.send_invoice(ChatId(u), "T", "D", "p", "XTR", two)
            .await
            .is_err()
    );
    let err = bot
        .send_invoice(
            ChatId(u),
            "T",
            "D",
            "p",
            "XTR",
            vec![LabeledPrice::new("a", 1)],
        )
        .provider_token("tok")
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("PAYMENT_PROVIDER_INVALID"),
        "{err}"
    );
    let err = bot
        .send_invoice(
            ChatId(u),
            "T",
            "D",
            "x".repeat(129),
            "XTR",
            vec![LabeledPrice::new("a", 1)],
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("INVOICE_PAYLOAD_INVALID"), "{err}");
    let err = bot
        .refund_star_payment(
            UserId(u as u64),
            teloxide::types::TelegramTransactionId("nope".into()),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("CHARGE_NOT_FOUND"), "{err}");
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after_when_enforced() {
    let emu = Emulator::start(EmulatorConfig {
        enforce_rate_limits: true,
        ..Default::default()
    })
    .await
    .unwrap();
    let u = started(&emu).await;
    let mut codes = Vec::new();
    for _ in 0..6 {
        let (code, body) = raw(&emu, "sendMessage", json!({"chat_id": u, "text": "spam"})).await;
        if code == 429 {
            assert!(body["parameters"]["retry_after"].as_u64().unwrap() >= 1);
        }
        codes.push(code);
    }
    assert!(codes.contains(&429), "{codes:?}");
}

#[tokio::test]
async fn commands_are_stored_per_scope_and_language() {
    let (emu, bot) = setup().await;
    use teloxide::types::{BotCommand, BotCommandScope};
    bot.set_my_commands(vec![BotCommand::new("start", "Start")])
        .await
        .unwrap();
    bot.set_my_commands(vec![BotCommand::new("plans", "Pläne")])
        .scope(BotCommandScope::AllPrivateChats)
        .language_code("de")
        .await
        .unwrap();
    let d = bot.get_my_commands().await.unwrap();
    assert_eq!(d[0].command, "start");
    let de = bot
        .get_my_commands()
        .scope(BotCommandScope::AllPrivateChats)
        .language_code("de")
        .await
        .unwrap();
    assert_eq!(de[0].command, "plans");
    bot.delete_my_commands().await.unwrap();
    assert!(bot.get_my_commands().await.unwrap().is_empty());
    let _ = emu;
}

#[tokio::test]
async fn chat_member_updates_need_to_be_requested_explicitly() {
    let (emu, bot) = setup().await;
    let sg = emu.create_supergroup("G", false);
    let u = user(&emu, "U");
    emu.add_member(sg, u, tg_emulator::MemberStatus::Member);
    let ups = drain(&bot).await;
    // Only the service message arrives: chat_member is excluded by default.
    assert!(
        ups.iter()
            .all(|u| !matches!(u.kind, teloxide::types::UpdateKind::ChatMember(_)))
    );
    assert_eq!(ups.len(), 1);
}

#[tokio::test]
async fn webhook_delivers_updates_with_the_secret_header_and_blocks_get_updates() {
    let (emu, bot) = setup().await;
    let got: Arc<Mutex<Vec<Delivered>>> = Arc::default();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let failures = Arc::new(Mutex::new(1u32));
    let app = {
        let got = got.clone();
        let failures = failures.clone();
        axum::Router::new().route(
            "/hook",
            axum::routing::post(
                move |headers: axum::http::HeaderMap, body: axum::Json<Value>| {
                    let got = got.clone();
                    let tx = tx.clone();
                    let failures = failures.clone();
                    async move {
                        // The first attempt fails: the emulator must retry.
                        {
                            let mut f = failures.lock().unwrap();
                            if *f > 0 {
                                *f -= 1;
                                return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
                            }
                        }
                        let secret = headers
                            .get("x-telegram-bot-api-secret-token")
                            .map(|v| v.to_str().unwrap().to_owned());
                        got.lock().unwrap().push((secret, body.0));
                        let _ = tx.send(());
                        axum::http::StatusCode::OK
                    }
                },
            ),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let hook = url::Url::parse(&format!("http://{addr}/hook")).unwrap();
    bot.set_webhook(hook.clone())
        .secret_token("s3cr3t_-X")
        .await
        .unwrap();
    let err = bot.get_updates().await.unwrap_err();
    assert!(
        err.to_string()
            .contains("Conflict: can't use getUpdates method while webhook is active"),
        "{err}"
    );
    let info = bot.get_webhook_info().await.unwrap();
    assert_eq!(info.url, Some(hook));
    let u = user(&emu, "U");
    emu.send_text(u, u, "one").unwrap();
    emu.send_text(u, u, "two").unwrap();
    for _ in 0..2 {
        tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .unwrap()
            .unwrap();
    }
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].0.as_deref(), Some("s3cr3t_-X"));
    assert_eq!(got[0].1["message"]["text"], "one");
    assert_eq!(got[1].1["message"]["text"], "two");
    assert!(got[0].1["update_id"].as_i64().unwrap() < got[1].1["update_id"].as_i64().unwrap());
    let err = bot
        .set_webhook(url::Url::parse("http://127.0.0.1:1/x").unwrap())
        .secret_token("bad token!")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("secret token"), "{err}");
    bot.delete_webhook().await.unwrap();
    bot.get_updates().timeout(0).await.unwrap();
}

#[tokio::test]
async fn wait_for_bot_messages_resolves_when_the_bot_has_posted() {
    let (emu, bot) = setup().await;
    let u = started(&emu).await;
    let e2 = emu.clone();
    let waiter = tokio::spawn(async move {
        e2.wait_for_bot_messages(u, 2, Duration::from_secs(20))
            .await
    });
    let mut live = emu.subscribe();
    bot.send_message(ChatId(u), "a").await.unwrap();
    bot.send_message(ChatId(u), "b").await.unwrap();
    let msgs = waiter.await.unwrap().unwrap();
    assert_eq!(msgs.len(), 2);
    assert_eq!(live.recv().await.unwrap().text.as_deref(), Some("a"));
    assert_eq!(live.recv().await.unwrap().text.as_deref(), Some("b"));
    let all = emu.messages(u);
    assert_eq!(all.len(), 3);
    assert!(!all[0].from_bot);
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let (emu, bot) = setup().await;
    bot.get_me().await.unwrap();
    emu.shutdown();
    assert!(bot.get_me().await.is_err());
}

#[tokio::test]
async fn every_listener_of_the_live_feed_shares_one_copy() {
    let (emu, bot) = setup().await;
    let u = started(&emu).await;
    let (mut one, mut two) = (emu.subscribe(), emu.subscribe());
    bot.send_message(ChatId(u), "shared").await.unwrap();
    let (a, b) = (one.recv().await.unwrap(), two.recv().await.unwrap());
    assert_eq!(a.text.as_deref(), Some("shared"));
    assert!(Arc::ptr_eq(&a, &b));
}

#[tokio::test(flavor = "current_thread")]
async fn on_threads_of_its_own_the_emulator_serves_long_polls_and_stops() {
    // A current-thread test runtime: the emulator answers while this thread waits on it, so it
    // really runs elsewhere.
    let emu = Emulator::start(EmulatorConfig {
        server_threads: Some(1),
        ..Default::default()
    })
    .await
    .unwrap();
    let bot = Bot::new(emu.token()).set_api_url(emu.api_url().parse().unwrap());
    let u = emu.add_user(UserSpec::default());
    let poll = {
        let bot = bot.clone();
        tokio::spawn(async move { bot.get_updates().timeout(20).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    emu.send_text(u, u, "/start").unwrap();
    let updates = tokio::time::timeout(Duration::from_secs(10), poll)
        .await
        .expect("the long poll returns once the user writes")
        .unwrap()
        .unwrap();
    assert_eq!(updates.len(), 1);
    bot.send_message(ChatId(u), "hi").await.unwrap();
    assert_eq!(emu.bot_messages(u).len(), 1);

    emu.shutdown();
    let mut refused = false;
    for _ in 0..50 {
        if bot.get_me().await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refused, "the emulator still answers after shutdown");
}

#[tokio::test]
async fn copy_messages_checks_its_list_of_ids_like_telegram() {
    let (emu, _bot) = setup().await;
    let alice = started(&emu).await;
    let a = emu.send_text(alice, alice, "a").unwrap();
    let b = emu.send_text(alice, alice, "b").unwrap();
    let group = emu.create_supergroup("Team", false);
    let cases = [
        (json!(null), "message identifiers are not specified"),
        (json!([]), "message identifiers are not specified"),
        (json!(a), "expected an Array of message identifiers"),
        (
            json!((1..=101).collect::<Vec<i32>>()),
            "too many message identifiers specified",
        ),
        (json!([a, true]), "message identifier must be a Number"),
        (
            json!([a, "x"]),
            "can't parse message identifier as a Number",
        ),
        (json!([0, a]), "invalid message identifier specified"),
        (
            json!([b, a]),
            "message identifiers must be in a strictly increasing order",
        ),
        (
            json!([a, a]),
            "message identifiers must be in a strictly increasing order",
        ),
        (json!([b + 50, b + 60]), "there are no messages to forward"),
    ];
    for method in ["copyMessages", "forwardMessages"] {
        for (ids, want) in &cases {
            let (code, body) = raw(
                &emu,
                method,
                json!({"chat_id": group, "from_chat_id": alice, "message_ids": ids}),
            )
            .await;
            assert_eq!(code, 400, "{method} {ids}: {body}");
            assert_eq!(
                body["description"],
                format!("Bad Request: {want}"),
                "{method} {ids}"
            );
        }
    }
    assert!(emu.bot_messages(group).is_empty());
    // As a form (the list a JSON string), with ids as strings, 100 of them at most.
    let mut ids: Vec<String> = vec![a.to_string(), b.to_string()];
    ids.extend((1..=98).map(|i| (b + i).to_string()));
    let (code, body) = raw(
        &emu,
        "copyMessages",
        json!({"chat_id": group, "from_chat_id": alice, "message_ids": serde_json::to_string(&ids).unwrap()}),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    let sent = body["result"].as_array().unwrap();
    assert_eq!(sent.len(), 2);
    assert!(sent[0]["message_id"].as_i64() < sent[1]["message_id"].as_i64());
    assert_eq!(sent[0].as_object().unwrap().len(), 1, "a MessageId: {body}");
    // Service messages and invoices are skipped; with nothing else there is nothing to copy.
    let (_, inv) = raw(
        &emu,
        "sendInvoice",
        json!({"chat_id": alice, "title": "T", "description": "D", "payload": "p",
               "currency": "XTR", "prices": [{"label": "x", "amount": 1}]}),
    )
    .await;
    let inv = inv["result"]["message_id"].as_i64().unwrap();
    let (code, body) = raw(
        &emu,
        "copyMessages",
        json!({"chat_id": group, "from_chat_id": alice, "message_ids": [inv]}),
    )
    .await;
    assert_eq!(code, 400);
    assert_eq!(
        body["description"],
        "Bad Request: messages can't be forwarded"
    );
    let (code, body) = raw(
        &emu,
        "copyMessages",
        json!({"chat_id": group, "from_chat_id": alice, "message_ids": [a, inv]}),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["result"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn one_copy_messages_call_takes_one_flood_slot() {
    let emu = Emulator::start(EmulatorConfig {
        enforce_rate_limits: true,
        limits: EmulatorLimits {
            group_burst: 2,
            ..Default::default()
        },
        ..Default::default()
    })
    .await
    .unwrap();
    let alice = started(&emu).await;
    let ids: Vec<i32> = (0..5)
        .map(|i| emu.send_text(alice, alice, &format!("m{i}")).unwrap())
        .collect();
    let group = emu.create_supergroup("Team", false);
    let copy = json!({"chat_id": group, "from_chat_id": alice, "message_ids": ids});
    for _ in 0..2 {
        let (code, body) = raw(&emu, "copyMessages", copy.clone()).await;
        assert_eq!(code, 200, "{body}");
        assert_eq!(body["result"].as_array().unwrap().len(), 5);
    }
    assert_eq!(emu.bot_messages(group).len(), 10);
    assert_eq!(emu.rate_limited_count(), 0);
    let (code, body) = raw(&emu, "copyMessages", copy.clone()).await;
    assert_eq!(code, 429, "{body}");
    assert!(body["parameters"]["retry_after"].as_u64().unwrap() >= 1);
    // Refused as a whole: nothing of the third call was sent.
    assert_eq!(emu.bot_messages(group).len(), 10);
    assert_eq!(emu.rate_limited_count(), 1);
    let calls = emu.calls_to("copyMessages");
    assert_eq!(calls.len(), 3);
    assert_eq!(calls[2].error_code, Some(429));
    // A 429 injected as a fault is not the limiter's.
    emu.fail_next("sendMessage", Fault::TooManyRequests { retry_after: 3 }, 1);
    let (code, _) = raw(&emu, "sendMessage", json!({"chat_id": alice, "text": "x"})).await;
    assert_eq!(code, 429);
    assert_eq!(emu.rate_limited_count(), 1);
}

#[tokio::test]
async fn flood_limits_can_be_changed_and_apply_only_when_enforced() {
    let tight = EmulatorLimits {
        chat_burst: 1,
        chat_per_sec: 0.5,
        ..Default::default()
    };
    assert_eq!(EmulatorConfig::default().limits, EmulatorLimits::default());
    // Not enforced: the limits are there but nothing is refused.
    let emu = Emulator::start(EmulatorConfig {
        limits: tight,
        ..Default::default()
    })
    .await
    .unwrap();
    let u = started(&emu).await;
    for _ in 0..5 {
        let (code, _) = raw(&emu, "sendMessage", json!({"chat_id": u, "text": "hi"})).await;
        assert_eq!(code, 200);
    }
    assert_eq!(emu.limits(), tight);
    assert_eq!(emu.rate_limited_count(), 0);
    // Enforced with the defaults: a burst of 3 into one chat.
    emu.set_limits(EmulatorLimits::default());
    emu.set_rate_limits(true);
    let v = started(&emu).await;
    let mut codes = Vec::new();
    for _ in 0..4 {
        codes.push(
            raw(&emu, "sendMessage", json!({"chat_id": v, "text": "hi"}))
                .await
                .0,
        );
    }
    assert_eq!(codes, [200, 200, 200, 429]);
    // Tightened at runtime: a fresh chat gets one message, then waits two seconds.
    emu.set_limits(tight);
    let w = started(&emu).await;
    let (code, _) = raw(&emu, "sendMessage", json!({"chat_id": w, "text": "hi"})).await;
    assert_eq!(code, 200);
    let (code, body) = raw(&emu, "sendMessage", json!({"chat_id": w, "text": "hi"})).await;
    assert_eq!(code, 429);
    assert_eq!(body["parameters"]["retry_after"], 2);
    assert_eq!(emu.rate_limited_count(), 2);
}
