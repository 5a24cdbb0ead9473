//! Replays every conversation script in `dialogues/` against the real app and the Telegram
//! emulator: on SQLite, and on PostgreSQL when `TEST_DATABASE_URL` is set.
#[path = "../api/helpers.rs"]
#[allow(dead_code)]
mod helpers;
mod script;

use std::{
    collections::HashMap,
    path::PathBuf,
    time::{Duration, Instant},
};

use fluent_templates::fluent_bundle::FluentValue;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use tg_emulator::{OutgoingKind, OutgoingMessage, PaymentOutcome, Recorded};
use tollgate::{
    i18n::{self, Args, Locale},
    storage::entities,
};

use helpers::{Backend, TestApp, spawn_app_with};
use script::{Expect, Line, Media, Place, Recipient, Step, StripeAction};

fn scripts() -> Vec<(PathBuf, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("dialogues");
    let mut out: Vec<(PathBuf, String)> = std::fs::read_dir(&dir)
        .expect("the dialogues/ folder")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "dialogue"))
        .map(|p| {
            let src = std::fs::read_to_string(&p).unwrap();
            (p, src)
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no scripts in {}", dir.display());
    out
}

/// How long a line waits for the bot (as `next_message` does).
const PATIENCE: Duration = Duration::from_secs(15);

struct Person {
    id: i64,
    locale: Locale,
}

/// A button someone was shown: where, and what pressing it sends.
struct SeenButton {
    chat: i64,
    message: i32,
    label: String,
    data: String,
}

struct Replay<'a> {
    app: &'a TestApp,
    people: HashMap<String, Person>,
    /// The message the last `bot ->` or `sees` line read, for `buttons:`.
    last_read: Option<Recorded>,
    /// Per topic thread: the id of the last bot message read there.
    topic_read: HashMap<i32, i32>,
    /// Every inline button the runner has watched people being shown, oldest first.
    seen_buttons: Vec<SeenButton>,
    /// Per person: the callback query id of their last press.
    last_press: HashMap<String, String>,
    /// Sellers' chats by handle: their id, and whether it is a channel.
    chats: HashMap<String, (i64, bool)>,
    /// The app's clock, for scripts where time passes.
    clock: Option<tollgate::clock::ManualClock>,
    /// Invoices paid so far: (chat, message).
    paid: std::collections::HashSet<(i64, i32)>,
    /// Invite links someone joined with already.
    used_links: std::collections::HashSet<String>,
    /// Per seller's person: the live API key made for their `calls` lines.
    api_keys: HashMap<String, String>,
    /// The `id` of the last API answer that had one, for `{id}` in paths.
    last_api_id: Option<String>,
}

/// Service messages (topic created, …) are not something the bot said.
fn is_service(m: &Recorded) -> bool {
    m.kind.starts_with("forum_topic")
}

/// Does `body` match the expectation? Err: what was wanted instead.
fn check(expect: &Expect, body: &str, locale: Locale) -> Result<(), String> {
    let ok = match expect {
        Expect::Reply { key, args } => {
            let mut fluent = Args::new();
            for (k, v) in args {
                let value: FluentValue<'static> = match v.parse::<i64>() {
                    Ok(n) => n.into(),
                    Err(_) => v.clone().into(),
                };
                fluent.insert(k.clone().into(), value);
            }
            let want = i18n::lookup_exact(locale, key, &fluent)
                .ok_or_else(|| format!("no reply '{key}' in {}", locale.code()))?;
            (body == want).then_some(()).ok_or(want)
        }
        Expect::Exact(want) => (body == *want).then_some(()).ok_or(want.clone()),
        Expect::Contains(part) => body
            .contains(part.as_str())
            .then_some(())
            .ok_or(format!("… {part} …")),
        Expect::Invoice { .. } => Err("an invoice".to_owned()),
        Expect::Nothing => (body.is_empty()).then_some(()).ok_or("nothing".to_owned()),
    };
    ok.map_err(|want| format!("expected {want:?}\n      got {body:?}"))
}

/// Like [`check`], for a whole message: an invoice is checked by its title, total and currency.
fn check_message(expect: &Expect, m: &Recorded, locale: Locale) -> Result<(), String> {
    let Expect::Invoice {
        title,
        amount,
        currency,
    } = expect
    else {
        return check(expect, m.body().unwrap_or_default(), locale);
    };
    let invoice = &m.raw["invoice"];
    let got = (
        invoice["title"].as_str().unwrap_or_default(),
        invoice["total_amount"].as_i64().unwrap_or_default(),
        invoice["currency"].as_str().unwrap_or_default(),
    );
    if m.kind != "invoice" || got != (title.as_str(), *amount, currency.as_str()) {
        let got = if m.kind == "invoice" {
            format!("an invoice {:?} for {} {}", got.0, got.1, got.2)
        } else {
            format!("{:?}", m.body().unwrap_or_default())
        };
        return Err(format!(
            "expected an invoice {title:?} for {amount} {currency}\n      got {got}"
        ));
    }
    Ok(())
}

impl Replay<'_> {
    fn person(&self, handle: &str) -> Result<&Person, String> {
        self.people
            .get(handle)
            .ok_or_else(|| format!("nobody called '{handle}' (declare: person {handle} en Name)"))
    }

    /// A live API key of the seller `who` acts for, made once.
    async fn api_key(&mut self, who: &str) -> Result<String, String> {
        if let Some(key) = self.api_keys.get(who) {
            return Ok(key.clone());
        }
        let user = self.person(who)?.id;
        let db = self.app.db();
        let acting = tollgate::sellers::team::acting(db, user)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("{who} acts for no seller"))?;
        let created = tollgate::sellers::api_keys::create(
            db,
            self.app.h.app.ctx.now(),
            &acting.seller,
            user,
            "dialogue",
            tollgate::sellers::api_keys::Mode::Live,
            None,
        )
        .await
        .map_err(|e| e.to_string())?;
        let tollgate::sellers::api_keys::Created::Key(_, secret) = created else {
            return Err(format!("{who} has as many keys as one may"));
        };
        self.api_keys.insert(who.to_owned(), secret.clone());
        Ok(secret)
    }

    fn admin_chat(&self) -> Result<i64, String> {
        self.app
            .h
            .admin_chat_id
            .ok_or_else(|| "no admin group".to_owned())
    }

    /// `{alice}` becomes alice's Telegram id, for every declared person.
    fn chat(&self, handle: &str) -> Result<(i64, bool), String> {
        self.chats.get(handle).copied().ok_or_else(|| {
            format!("no chat called '{handle}' (declare: chat {handle} channel \"Title\" of WHO)")
        })
    }

    /// Waits until some bot message in `chat` contains `text`.
    async fn wait_for_body(&self, chat: i64, text: &str, name: &str) -> Result<(), String> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let all = self.app.emu().bot_messages(chat);
            if all
                .iter()
                .any(|m| m.body().is_some_and(|b| b.contains(text)))
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                let bodies: Vec<&str> = all.iter().filter_map(|m| m.body()).collect();
                return Err(format!("{name} got nothing saying {text:?}: {bodies:#?}"));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn expand(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (handle, p) in &self.people {
            out = out.replace(&format!("{{{handle}}}"), &p.id.to_string());
        }
        out
    }

    fn expand_expect(&self, expect: &Expect) -> Expect {
        match expect {
            Expect::Reply { key, args } => Expect::Reply {
                key: key.clone(),
                args: args
                    .iter()
                    .map(|(k, v)| (k.clone(), self.expand(v)))
                    .collect(),
            },
            Expect::Exact(t) => Expect::Exact(self.expand(t)),
            Expect::Contains(t) => Expect::Contains(self.expand(t)),
            Expect::Invoice {
                title,
                amount,
                currency,
            } => Expect::Invoice {
                title: self.expand(title),
                amount: *amount,
                currency: currency.clone(),
            },
            Expect::Nothing => Expect::Nothing,
        }
    }

    /// A person's newest order (the newest card order, for `card`), once the app is idle.
    async fn newest_order(
        &self,
        handle: &str,
        card: bool,
    ) -> Result<entities::orders::Model, String> {
        use entities::orders::{Column, Entity};
        let id = self.person(handle)?.id;
        self.app.settle().await;
        let mut query = Entity::find().filter(Column::UserId.eq(id));
        if card {
            query = query.filter(Column::StripeSessionId.is_not_null());
        }
        query
            .order_by_desc(Column::Id)
            .one(self.app.db())
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| {
                let what = if card { "card order" } else { "order" };
                format!("{handle} has no {what}")
            })
    }

    /// What Stripe does to the Checkout session of a person's newest card order; its webhook
    /// must be accepted.
    async fn stripe(&self, action: StripeAction, who: &str) -> Result<(), String> {
        let stripe = self
            .app
            .h
            .stripe
            .as_ref()
            .ok_or("Stripe is not configured")?;
        if action == StripeAction::Onboard {
            let id = self.person(who)?.id;
            let account = tollgate::sellers::catalog::seller_of_user(self.app.db(), id)
                .await
                .map_err(|e| e.to_string())?
                .and_then(|s| s.connect_account_id)
                .ok_or_else(|| format!("{who} has no connected account"))?;
            let delivered = stripe
                .complete_onboarding(&account)
                .await
                .map_err(|e| format!("Stripe: {e}"))?;
            if delivered.status != 200 {
                return Err(format!(
                    "the app answered {} to account.updated",
                    delivered.status
                ));
            }
            self.app.finish_jobs().await;
            return Ok(());
        }
        if matches!(
            action,
            StripeAction::Renew | StripeAction::Decline | StripeAction::PayInvoice
        ) {
            use entities::subscriptions::{Column, Entity};
            let id = self.person(who)?.id;
            let bought = Entity::find()
                .filter(Column::UserId.eq(id))
                .order_by_desc(Column::Id)
                .one(self.app.db())
                .await
                .map_err(|e| e.to_string())?
                .map(|s| s.external_id);
            // A seller's own subscription: their platform plan.
            let sub = match bought {
                Some(sub) => sub,
                None => self
                    .platform_subscription(id)
                    .await?
                    .ok_or_else(|| format!("{who} has no subscription"))?,
            };
            let delivered = match action {
                StripeAction::Renew => stripe.renew_subscription(&sub).await,
                StripeAction::Decline => stripe.fail_subscription_renewal(&sub).await,
                _ => {
                    let invoice = stripe
                        .invoices()
                        .into_iter()
                        .rev()
                        .find(|i| {
                            i["status"] == "open"
                                && i["parent"]["subscription_details"]["subscription"]
                                    == sub.as_str()
                        })
                        .and_then(|i| i["id"].as_str().map(str::to_owned))
                        .ok_or_else(|| format!("{who} has no open invoice"))?;
                    stripe.pay_invoice(&invoice).await
                }
            }
            .map_err(|e| format!("Stripe: {e}"))?;
            if let Some(bad) = delivered.iter().find(|d| d.status != 200) {
                return Err(format!(
                    "the app answered {} to Stripe's {}",
                    bad.status, bad.event["type"]
                ));
            }
            self.app.finish_jobs().await;
            return Ok(());
        }
        let session = match self.newest_order(who, true).await {
            Ok(order) => order.stripe_session_id.unwrap_or_default(),
            // No credit order by card: the newest card order for a seller's plan.
            Err(_) => {
                use entities::access_orders::{Column, Entity};
                let id = self.person(who)?.id;
                let order = Entity::find()
                    .filter(Column::UserId.eq(id))
                    .filter(Column::StripeSessionId.is_not_null())
                    .order_by_desc(Column::Id)
                    .one(self.app.db())
                    .await
                    .map_err(|e| e.to_string())?
                    .and_then(|o| o.stripe_session_id);
                match order {
                    Some(session) => session,
                    // No order at all: a seller's checkout of a platform plan.
                    None => self
                        .platform_checkout(id)
                        .await?
                        .ok_or_else(|| format!("{who} has no card order"))?,
                }
            }
        };
        let delivered = match action {
            StripeAction::Complete => stripe.complete_checkout(&session).await,
            StripeAction::Expire => stripe.expire_checkout(&session).await,
            StripeAction::Refund => {
                let pi = stripe
                    .checkout_session(&session)
                    .and_then(|s| s["payment_intent"].as_str().map(str::to_owned))
                    .ok_or_else(|| format!("{who}'s checkout {session} was never paid"))?;
                stripe.refund_payment(&pi, None).await
            }
            StripeAction::Onboard
            | StripeAction::Renew
            | StripeAction::Decline
            | StripeAction::PayInvoice => unreachable!("handled above"),
        }
        .map_err(|e| format!("Stripe: {e}"))?;
        if delivered.status != 200 {
            return Err(format!(
                "the app answered {} to Stripe's {}",
                delivered.status, delivered.event["type"]
            ));
        }
        // What people are told about it is sent by the job worker.
        self.app.finish_jobs().await;
        Ok(())
    }

    /// The Stripe subscription of the platform plan of the seller `user` owns, if any.
    async fn platform_subscription(&self, user: i64) -> Result<Option<String>, String> {
        let Some(seller) = tollgate::sellers::catalog::seller_of_user(self.app.db(), user)
            .await
            .map_err(|e| e.to_string())?
        else {
            return Ok(None);
        };
        Ok(
            tollgate::sellers::platform::live_subscription(self.app.db(), seller.id)
                .await
                .map_err(|e| e.to_string())?
                .map(|s| s.external_id),
        )
    }

    /// The newest Checkout Session of a platform plan for the seller `user` owns.
    async fn platform_checkout(&self, user: i64) -> Result<Option<String>, String> {
        let Some(seller) = tollgate::sellers::catalog::seller_of_user(self.app.db(), user)
            .await
            .map_err(|e| e.to_string())?
        else {
            return Ok(None);
        };
        let stripe = self
            .app
            .h
            .stripe
            .as_ref()
            .ok_or("Stripe is not configured")?;
        Ok(stripe
            .checkout_sessions()
            .into_iter()
            .rev()
            .find(|s| {
                s["metadata"]["tollgate_kind"] == "platform_plan"
                    && s["metadata"]["seller_id"] == seller.id.to_string().as_str()
            })
            .and_then(|s| s["id"].as_str().map(str::to_owned)))
    }

    /// The live forum topic of a person: the admin group's topic whose name carries their
    /// id (the newest, should there be several).
    fn topic_now(&self, handle: &str) -> Result<Option<i32>, String> {
        let id = self.person(handle)?.id.to_string();
        Ok(self
            .app
            .emu()
            .topics(self.admin_chat()?)
            .into_iter()
            .filter(|t| t.name.split(" · ").any(|part| part.trim() == id))
            .map(|t| t.thread_id)
            .max())
    }

    /// Like [`Self::topic_now`], waiting for the bot to open one.
    async fn topic(&self, handle: &str) -> Result<i32, String> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(t) = self.topic_now(handle)? {
                return Ok(t);
            }
            if Instant::now() > deadline {
                return Err(format!("{handle} has no topic in the admin group"));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Bot messages in a topic the script has not read yet, oldest first.
    fn unread_in_topic(&self, thread: i32) -> Result<Vec<Recorded>, String> {
        let after = self.topic_read.get(&thread).copied().unwrap_or(0);
        Ok(self
            .app
            .emu()
            .bot_messages(self.admin_chat()?)
            .into_iter()
            .filter(|m| m.thread_id == Some(thread) && m.message_id > after && !is_service(m))
            .collect())
    }

    /// Notes the buttons currently shown in a private chat, for `presses old`.
    fn remember_buttons(&mut self, chat: i64) {
        for m in self.app.emu().bot_messages(chat) {
            for b in m.buttons.iter().flatten() {
                let Some(data) = &b.callback_data else {
                    continue;
                };
                let known = self.seen_buttons.iter().any(|s| {
                    s.chat == chat
                        && s.message == m.message_id
                        && s.label == b.text
                        && &s.data == data
                });
                if !known {
                    self.seen_buttons.push(SeenButton {
                        chat,
                        message: m.message_id,
                        label: b.text.clone(),
                        data: data.clone(),
                    });
                }
            }
        }
    }

    /// The newest message in `chat` showing a button labelled `label`, and its data.
    fn visible_button(&self, chat: i64, label: &str) -> Option<(i32, String)> {
        self.app
            .emu()
            .bot_messages(chat)
            .into_iter()
            .rev()
            .find_map(|m| {
                let data = m
                    .buttons
                    .iter()
                    .flatten()
                    .find(|b| b.text == label)?
                    .callback_data
                    .clone()?;
                Some((m.message_id, data))
            })
    }

    async fn step(&mut self, step: &Step) -> Result<(), String> {
        let app = self.app;
        let emu = app.emu();
        match step {
            Step::Person {
                handle,
                language,
                first_name,
            } => {
                let id = app.user(first_name, language);
                let locale = Locale::resolve(None, Some(language), Locale::En);
                self.people.insert(handle.clone(), Person { id, locale });
            }
            Step::Say { who, place, text } => {
                // What a person then reads (a seller's /drips) counts the steps just sent.
                app.drips_recorded().await;
                let id = self.person(who)?.id;
                let text = self.expand(text);
                let (chat, message) = match place {
                    Place::Private => (id, OutgoingMessage::text(text)),
                    Place::Admin => (self.admin_chat()?, OutgoingMessage::text(text)),
                    Place::Topic(of) => (
                        self.admin_chat()?,
                        OutgoingMessage::text(text).in_thread(self.topic(of).await?),
                    ),
                };
                emu.send(id, chat, message).map_err(|e| e.to_string())?;
            }
            Step::Press {
                who,
                label,
                old,
                in_admin,
            } => {
                app.drips_recorded().await;
                let id = self.person(who)?.id;
                let chat = if *in_admin { self.admin_chat()? } else { id };
                let label = &self.expand(label);
                self.remember_buttons(chat);
                let query = if *old {
                    let seen = self
                        .seen_buttons
                        .iter()
                        .rev()
                        .find(|b| b.chat == chat && &b.label == label)
                        .ok_or_else(|| format!("{who} was never shown a button \"{label}\""))?;
                    emu.press_raw(id, chat, seen.message, &seen.data)
                } else {
                    // The button may come with an edit that is still on its way.
                    let deadline = Instant::now() + PATIENCE;
                    let (message, data) = loop {
                        if let Some(found) = self.visible_button(chat, label) {
                            break found;
                        }
                        if Instant::now() > deadline {
                            let shown: Vec<String> = emu
                                .last_bot_message(chat)
                                .map(|m| m.buttons.into_iter().flatten().map(|b| b.text).collect())
                                .unwrap_or_default();
                            return Err(format!(
                                "{who} sees no button \"{label}\" (the newest message shows {shown:?})"
                            ));
                        }
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    };
                    emu.press_button(id, chat, message, &data)
                };
                let query = query.map_err(|e| e.to_string())?;
                self.last_press.insert(who.clone(), query);
            }
            Step::Answer { who, expect } => {
                let p = self.person(who)?;
                let locale = p.locale;
                let query = self
                    .last_press
                    .get(who)
                    .ok_or_else(|| format!("{who} pressed nothing yet"))?;
                let answer = emu
                    .wait_for_callback_answer(query, PATIENCE)
                    .await
                    .map_err(|e| format!("the press was never answered: {e}"))?;
                check(
                    &self.expand_expect(expect),
                    answer.text.as_deref().unwrap_or_default(),
                    locale,
                )?;
            }
            Step::Sees {
                who,
                expect,
                in_admin,
            } => {
                let p = self.person(who)?;
                let (id, locale) = (p.id, p.locale);
                let id = if *in_admin { self.admin_chat()? } else { id };
                let expect = self.expand_expect(expect);
                let deadline = Instant::now() + PATIENCE;
                let message = loop {
                    // In the admin group: the newest panel (a message with buttons) in
                    // General; topics hold the relay, and previews have no buttons.
                    let latest = if *in_admin {
                        emu.bot_messages(id)
                            .into_iter()
                            .rev()
                            .find(|m| m.thread_id.is_none() && !m.buttons.is_empty())
                    } else {
                        emu.last_bot_message(id)
                    };
                    let verdict = match &latest {
                        Some(m) => check_message(&expect, m, locale),
                        None => Err(format!("{who} has no message from the bot")),
                    };
                    match (verdict, latest) {
                        (Ok(()), Some(m)) => break m,
                        (Err(e), _) if Instant::now() > deadline => return Err(e),
                        _ => tokio::time::sleep(Duration::from_millis(20)).await,
                    }
                };
                self.remember_buttons(id);
                self.last_read = Some(message);
            }
            Step::DeleteTopic { of } => {
                let thread = self
                    .topic_now(of)?
                    .ok_or_else(|| format!("{of} has no topic to delete"))?;
                emu.delete_topic(self.admin_chat()?, thread);
            }
            Step::Pay { who } => {
                let id = self.person(who)?.id;
                // The newest invoice not paid yet (it may still be on its way).
                let deadline = Instant::now() + PATIENCE;
                let invoice = loop {
                    let newest = emu
                        .bot_messages(id)
                        .into_iter()
                        .rev()
                        .find(|m| m.kind == "invoice")
                        .filter(|m| !self.paid.contains(&(id, m.message_id)));
                    if let Some(m) = newest {
                        break m;
                    }
                    if Instant::now() > deadline {
                        return Err(format!("{who} has no invoice to pay"));
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                };
                self.paid.insert((id, invoice.message_id));
                match emu.pay_invoice(id, id, invoice.message_id).await {
                    Ok(PaymentOutcome::Paid { .. }) => {}
                    other => return Err(format!("payment did not go through: {other:?}")),
                }
            }
            Step::JoinAdmin { who, administrator } => {
                let id = self.person(who)?.id;
                let status = if *administrator {
                    tg_emulator::MemberStatus::Administrator
                } else {
                    tg_emulator::MemberStatus::Member
                };
                emu.add_member(self.admin_chat()?, id, status);
            }
            Step::Block { who, blocked } => {
                let id = self.person(who)?.id;
                if *blocked {
                    emu.block_bot(id);
                } else {
                    emu.unblock_bot(id);
                }
            }
            Step::Bot {
                to: Recipient::Topic(of),
                expect,
            } => {
                let expect = self.expand_expect(expect);
                if expect == Expect::Nothing {
                    app.settle().await;
                    let Some(thread) = self.topic_now(of)? else {
                        return Ok(());
                    };
                    if let Some(extra) = self.unread_in_topic(thread)?.first() {
                        return Err(format!("expected nothing, got {:?}", extra.body()));
                    }
                    return Ok(());
                }
                let deadline = Instant::now() + PATIENCE;
                let (thread, message) = loop {
                    if let Some(thread) = self.topic_now(of)?
                        && let Some(m) = self.unread_in_topic(thread)?.into_iter().next()
                    {
                        break (thread, m);
                    }
                    if Instant::now() > deadline {
                        return Err(format!("no new bot message in {of}'s topic"));
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                };
                self.topic_read.insert(thread, message.message_id);
                check_message(&expect, &message, Locale::En)?;
                self.last_read = Some(message);
            }
            Step::Bot { to, expect } => {
                let expect = self.expand_expect(expect);
                let (chat, locale) = match to {
                    Recipient::Person(handle) => {
                        let p = self.person(handle)?;
                        (p.id, p.locale)
                    }
                    Recipient::Admin => (self.admin_chat()?, Locale::En),
                    Recipient::Topic(_) => unreachable!("handled above"),
                };
                if expect == Expect::Nothing {
                    app.settle().await;
                    let unread = app.bot_message_count(chat) - app.read_count(chat);
                    if unread > 0 {
                        let extra = emu.bot_messages(chat)[app.read_count(chat)].clone();
                        return Err(format!("expected nothing, got {:?}", extra.body()));
                    }
                    return Ok(());
                }
                let message = app.try_next_message(chat).await?;
                check_message(&expect, &message, locale)?;
                if matches!(to, Recipient::Person(_)) {
                    self.remember_buttons(chat);
                }
                self.last_read = Some(message);
            }
            Step::Buttons(labels) => {
                let message = self
                    .last_read
                    .as_ref()
                    .ok_or("buttons: follows a bot -> line")?;
                let got: Vec<String> = message
                    .buttons
                    .iter()
                    .flatten()
                    .map(|b| b.text.clone())
                    .collect();
                if &got != labels {
                    return Err(format!("expected buttons {labels:?}, got {got:?}"));
                }
            }
            Step::DbCount { table, count } => {
                app.settle().await;
                let db = app.db();
                let n = match table.as_str() {
                    "users" => entities::users::Entity::find().count(db).await,
                    "processed_events" => {
                        entities::processed_events::Entity::find().count(db).await
                    }
                    "jobs" => entities::jobs::Entity::find().count(db).await,
                    "support_topics" => entities::support_topics::Entity::find().count(db).await,
                    "credit_ledger" => entities::credit_ledger::Entity::find().count(db).await,
                    "orders" => entities::orders::Entity::find().count(db).await,
                    "contacts" => entities::contacts::Entity::find().count(db).await,
                    "invoices" => entities::invoices::Entity::find().count(db).await,
                    "drip_steps" => entities::drip_steps::Entity::find().count(db).await,
                    "drip_enrollments" => {
                        entities::drip_enrollments::Entity::find().count(db).await
                    }
                    other => return Err(format!("db {other}: unknown table")),
                }
                .map_err(|e| e.to_string())?;
                if n != *count {
                    return Err(format!("db {table}: expected {count} rows, found {n}"));
                }
            }
            Step::DbCredits { who, credits } => {
                app.settle().await;
                let id = self.person(who)?.id;
                let user = entities::users::Entity::find_by_id(id)
                    .one(app.db())
                    .await
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| format!("db: {who} has no users row"))?;
                if user.credits != *credits {
                    return Err(format!(
                        "db credits of {who}: expected {credits}, found {}",
                        user.credits
                    ));
                }
            }
            Step::DbOrder { who, status } => {
                let order = self.newest_order(who, false).await?;
                if order.status.as_str() != status {
                    return Err(format!(
                        "db order of {who}: expected {status}, found {} (order {})",
                        order.status, order.id
                    ));
                }
            }
            Step::Stripe { action, who } => self.stripe(*action, who).await?,
            Step::Chat {
                handle,
                channel,
                title,
                owner,
            } => {
                let owner = self.person(owner)?.id;
                let id = if *channel {
                    emu.create_channel(title)
                } else {
                    emu.create_supergroup(title, false)
                };
                emu.add_member(id, owner, tg_emulator::MemberStatus::Creator);
                self.chats.insert(handle.clone(), (id, *channel));
            }
            Step::BotAdmin { chat, can_ban } => {
                let (id, _) = self.chat(chat)?;
                emu.set_bot_admin_rights(
                    id,
                    tg_emulator::AdminRights {
                        can_restrict_members: *can_ban,
                        ..Default::default()
                    },
                );
            }
            Step::Share { who, chat } => {
                let person = self.person(who)?.id;
                let (id, channel) = self.chat(chat)?;
                // The bot's keyboard may still be on its way.
                let deadline = Instant::now() + PATIENCE;
                loop {
                    match emu.share_chat(person, id, if channel { 1 } else { 2 }) {
                        Ok(_) => break,
                        Err(e) if Instant::now() > deadline => {
                            return Err(format!("{who} cannot share {chat}: {e}"));
                        }
                        Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                    }
                }
            }
            Step::OpenLink { who, chat, promo } => {
                let person = self.person(who)?.id;
                let (id, _) = self.chat(chat)?;
                let service = tollgate::sellers::catalog::service_by_chat(app.db(), id)
                    .await
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| format!("{chat} is nobody's service"))?;
                let payload = match promo {
                    Some(p) => format!("s_{}_{p}", service.code),
                    None => format!("s_{}", service.code),
                };
                emu.send_text(person, person, &format!("/start {payload}"))
                    .map_err(|e| e.to_string())?;
            }
            Step::OpenTeamInvite { who, from } => {
                let person = self.person(who)?.id;
                let holder = self.person(from)?.id;
                let payload = emu
                    .bot_messages(holder)
                    .iter()
                    .rev()
                    .filter_map(|m| m.body())
                    .find_map(|b| {
                        let start = b.find("start=team_")? + "start=".len();
                        b[start..].split_whitespace().next().map(str::to_owned)
                    })
                    .ok_or_else(|| format!("the bot showed {from} no team invite"))?;
                emu.send_text(person, person, &format!("/start {payload}"))
                    .map_err(|e| e.to_string())?;
            }
            Step::Join {
                who,
                chat,
                with_link_of,
            } => {
                let person = self.person(who)?.id;
                let holder = match with_link_of {
                    Some(other) => self.person(other)?.id,
                    None => person,
                };
                let (id, _) = self.chat(chat)?;
                let deadline = Instant::now() + PATIENCE;
                let link = loop {
                    let links: Vec<String> = emu
                        .invite_links(id)
                        .iter()
                        .filter_map(|l| l["invite_link"].as_str().map(str::to_owned))
                        .collect();
                    let newest = emu
                        .bot_messages(holder)
                        .iter()
                        .rev()
                        .flat_map(|m| m.buttons.iter().flatten())
                        .filter_map(|b| b.url.clone())
                        .find(|u| links.contains(u) && !self.used_links.contains(u));
                    if let Some(link) = newest {
                        break link;
                    }
                    if Instant::now() > deadline {
                        return Err(format!("{who} was sent no invite link to {chat}"));
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                };
                self.used_links.insert(link.clone());
                match emu.join_via_link(person, &link) {
                    Ok(
                        tg_emulator::JoinOutcome::Joined | tg_emulator::JoinOutcome::RequestSent,
                    ) => {}
                    other => return Err(format!("{who} could not join {chat}: {other:?}")),
                }
            }
            Step::IsIn { who, chat, inside } => {
                let person = self.person(who)?.id;
                let (id, _) = self.chat(chat)?;
                let deadline = Instant::now() + PATIENCE;
                loop {
                    let present = matches!(
                        emu.member_status(id, person),
                        Some(
                            tg_emulator::MemberStatus::Member
                                | tg_emulator::MemberStatus::Administrator
                                | tg_emulator::MemberStatus::Creator
                        )
                    );
                    if present == *inside {
                        break;
                    }
                    if Instant::now() > deadline {
                        return Err(format!(
                            "{who} is {}in {chat}: {:?}",
                            if present { "" } else { "not " },
                            emu.member_status(id, person)
                        ));
                    }
                    app.finish_jobs().await;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
            Step::Got { who, text } => {
                let person = self.person(who)?.id;
                let text = self.expand(text);
                self.wait_for_body(person, &text, who).await?;
                self.remember_buttons(person);
            }
            Step::SendMedia { who, media } => {
                let id = self.person(who)?.id;
                let kind = match media {
                    Media::Photo => OutgoingKind::Photo { caption: None },
                    Media::Document(name) => OutgoingKind::Document {
                        file_name: name.clone(),
                        caption: None,
                    },
                    Media::Sticker => OutgoingKind::Sticker {
                        emoji: "👍".into()
                    },
                };
                emu.send(id, id, OutgoingMessage::new(kind))
                    .map_err(|e| e.to_string())?;
            }
            Step::Shows { chat, text } => {
                let (id, _) = self.chat(chat)?;
                self.wait_for_body(id, text, chat).await?;
            }
            Step::Api {
                who,
                method,
                path,
                body,
                status,
            } => {
                let key = self.api_key(who).await?;
                let mut path = self.expand(path);
                if let Some(id) = &self.last_api_id {
                    path = path.replace("{id}", id);
                }
                let method = reqwest::Method::from_bytes(method.as_bytes())
                    .map_err(|e| format!("{method}: {e}"))?;
                let mut req = app
                    .http
                    .request(method, app.url(&format!("/api/v1{path}")))
                    .bearer_auth(key);
                if let Some(body) = body {
                    let json: serde_json::Value = serde_json::from_str(&self.expand(body))
                        .map_err(|e| format!("the body is not JSON: {e}"))?;
                    req = req.json(&json);
                }
                let res = req.send().await.map_err(|e| e.to_string())?;
                let got = res.status().as_u16();
                let answer = res.text().await.map_err(|e| e.to_string())?;
                if got != *status {
                    return Err(format!("{path} answered {got}, not {status}: {answer}"));
                }
                if let Some(id) = serde_json::from_str::<serde_json::Value>(&answer)
                    .ok()
                    .and_then(|v| v["id"].as_str().map(str::to_owned))
                {
                    self.last_api_id = Some(id);
                }
                // Jobs the call queued (customer messages) go out before the next line.
                app.finish_jobs().await;
            }
            Step::TimePasses { minutes } => {
                let clock = self
                    .clock
                    .as_ref()
                    .ok_or("this script's app has no manual clock")?;
                clock.advance(chrono::Duration::minutes(*minutes));
                app.settle().await;
                tollgate::sellers::sweep::sweep(app.db(), app.h.app.ctx.now())
                    .await
                    .map_err(|e| e.to_string())?;
                app.finish_jobs().await;
            }
            Step::StarSubscription { who, chat, renew } => {
                let person = self.person(who)?.id;
                let (id, _) = self.chat(chat)?;
                if *renew {
                    emu.renew_star_subscription(person, id)
                        .map_err(|e| format!("{who}'s subscription to {chat}: {e}"))?;
                } else {
                    emu.end_star_subscription(person, id)
                        .map_err(|e| format!("{who}'s subscription to {chat}: {e}"))?;
                }
                app.settle().await;
            }
        }
        Ok(())
    }
}

async fn replay_all(backend: Backend) {
    let mut failures = Vec::new();
    let mut ran = 0;
    for (path, source) in scripts() {
        let lines: Vec<Line> =
            script::parse(&source).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        // Scripts where time passes run on a clock that only the script moves (starting
        // now: the emulator checks invite links against the real time).
        let clock = lines
            .iter()
            .any(|l| matches!(l.step, Step::TimePasses { .. }))
            .then(|| tollgate::clock::ManualClock::new(chrono::Utc::now()));
        let shared = clock.clone();
        let Some(app) = spawn_app_with(backend, |o| {
            if let Some(c) = shared {
                o.clock = std::sync::Arc::new(c);
            }
        })
        .await
        else {
            return;
        };
        let mut replay = Replay {
            app: &app,
            people: HashMap::new(),
            last_read: None,
            topic_read: HashMap::new(),
            seen_buttons: Vec::new(),
            last_press: HashMap::new(),
            chats: HashMap::new(),
            clock,
            paid: Default::default(),
            used_links: Default::default(),
            api_keys: HashMap::new(),
            last_api_id: None,
        };
        if let Some(op) = app.h.operator_id {
            replay.people.insert(
                "olga".into(),
                Person {
                    id: op,
                    locale: Locale::En,
                },
            );
        }
        for line in &lines {
            if let Err(e) = replay.step(&line.step).await {
                failures.push(format!("{}:{}: {e}", path.display(), line.number));
                break;
            }
        }
        app.stop().await;
        ran += 1;
    }
    assert!(
        failures.is_empty(),
        "{} of {ran} dialogues failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn every_dialogue_replays_on_sqlite() {
    replay_all(Backend::Sqlite).await;
}

#[tokio::test]
async fn every_dialogue_replays_on_postgres() {
    replay_all(Backend::Postgres).await;
}

#[test]
fn every_dialogue_parses() {
    for (path, source) in scripts() {
        script::parse(&source).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}
