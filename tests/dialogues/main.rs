//! Replays every conversation script in `dialogues/` against the real app and the Telegram
//! emulator: on SQLite, and on PostgreSQL when `TEST_DATABASE_URL` is set.
#[path = "../api/helpers.rs"]
#[allow(dead_code)]
mod helpers;
mod script;

use std::{collections::HashMap, path::PathBuf};

use fluent_templates::fluent_bundle::FluentValue;
use sea_orm::{EntityTrait, PaginatorTrait};
use tg_emulator::{PaymentOutcome, Recorded};
use tollgate::{
    i18n::{self, Args, Locale},
    storage::entities,
};

use helpers::{Backend, TestApp, spawn_app_with};
use script::{Expect, Line, Place, Recipient, Step};

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

struct Person {
    id: i64,
    locale: Locale,
}

struct Replay<'a> {
    app: &'a TestApp,
    people: HashMap<String, Person>,
    /// The message the last `bot ->` line read, for `buttons:`.
    last_read: Option<Recorded>,
}

impl Replay<'_> {
    fn person(&self, handle: &str) -> Result<&Person, String> {
        self.people
            .get(handle)
            .ok_or_else(|| format!("nobody called '{handle}' (declare: person {handle} en Name)"))
    }

    fn admin_chat(&self) -> Result<i64, String> {
        self.app
            .h
            .admin_chat_id
            .ok_or_else(|| "no admin group".to_owned())
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
                let id = self.person(who)?.id;
                let chat = match place {
                    Place::Private => id,
                    Place::Admin => self.admin_chat()?,
                };
                emu.send_text(id, chat, text).map_err(|e| e.to_string())?;
            }
            Step::Press { who, label } => {
                let id = self.person(who)?.id;
                let (message, data) = emu
                    .bot_messages(id)
                    .into_iter()
                    .rev()
                    .find_map(|m| {
                        let data = m
                            .buttons
                            .iter()
                            .flatten()
                            .find(|b| &b.text == label)?
                            .callback_data
                            .clone()?;
                        Some((m.message_id, data))
                    })
                    .ok_or_else(|| format!("{who} sees no button \"{label}\""))?;
                emu.press_button(id, id, message, &data)
                    .map_err(|e| e.to_string())?;
            }
            Step::Pay { who } => {
                let id = self.person(who)?.id;
                let invoice = emu
                    .bot_messages(id)
                    .into_iter()
                    .rev()
                    .find(|m| m.kind == "invoice")
                    .ok_or_else(|| format!("{who} has no invoice to pay"))?;
                match emu.pay_invoice(id, id, invoice.message_id).await {
                    Ok(PaymentOutcome::Paid { .. }) => {}
                    other => return Err(format!("payment did not go through: {other:?}")),
                }
            }
            Step::Block { who, blocked } => {
                let id = self.person(who)?.id;
                if *blocked {
                    emu.block_bot(id);
                } else {
                    emu.unblock_bot(id);
                }
            }
            Step::Bot { to, expect } => {
                let (chat, locale) = match to {
                    Recipient::Person(handle) => {
                        let p = self.person(handle)?;
                        (p.id, p.locale)
                    }
                    Recipient::Admin => (self.admin_chat()?, Locale::En),
                };
                if *expect == Expect::Nothing {
                    app.settle().await;
                    let unread = app.bot_message_count(chat) - app.read_count(chat);
                    if unread > 0 {
                        let extra = emu.bot_messages(chat)[app.read_count(chat)].clone();
                        return Err(format!("expected nothing, got {:?}", extra.body()));
                    }
                    return Ok(());
                }
                let message = app.try_next_message(chat).await?;
                let body = message.body().unwrap_or_default().to_owned();
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
                    Expect::Nothing => unreachable!("handled above"),
                };
                ok.map_err(|want| format!("expected {want:?}\n      got {body:?}"))?;
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
                let db = app.db();
                let n = match table.as_str() {
                    "users" => entities::users::Entity::find().count(db).await,
                    "processed_events" => {
                        entities::processed_events::Entity::find().count(db).await
                    }
                    "jobs" => entities::jobs::Entity::find().count(db).await,
                    other => return Err(format!("db {other}: unknown table")),
                }
                .map_err(|e| e.to_string())?;
                if n != *count {
                    return Err(format!("db {table}: expected {count} rows, found {n}"));
                }
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
        let Some(app) = spawn_app_with(backend, |_| {}).await else {
            return;
        };
        let mut replay = Replay {
            app: &app,
            people: HashMap::new(),
            last_read: None,
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
