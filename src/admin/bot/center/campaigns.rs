//! Broadcasts and mass gifts in the control center: compose (a message, or a gift with a
//! note), choose the audience, see the recipient count and a preview exactly as recipients
//! will see it, send now or in an hour, then watch the progress message (edited every few
//! seconds) with pause, resume and cancel; the final report lists who blocked the bot.
use std::time::Duration as StdDuration;

use serde::{Deserialize, Serialize};
use teloxide::{
    payloads::EditMessageTextSetters,
    prelude::*,
    types::{InlineKeyboardButton, InlineKeyboardMarkup, MediaKind as TgMedia, MessageId},
};

use super::{Action, Awaiting, Button, PassKindName, Screen, T, prompt, show};
use crate::{
    admin::{audit, panels},
    bot::{BotError, HandlerResult},
    context::AppCtx,
    delivery::campaigns::{
        self, Audience, Campaign, CampaignError, CampaignMessage, CampaignStatus, Format, Gift,
        GiftKind, Media, MediaKind, NewCampaign, runner,
    },
    services::settings,
};

/// How often the progress message is edited.
const TICK: StdDuration = StdDuration::from_secs(3);

/// A campaign being composed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Compose {
    message: CampaignMessage,
    gift_credits: Option<i64>,
    gift_pass: Option<PassKindName>,
    note: Option<String>,
}

impl Compose {
    fn is_gift(&self) -> bool {
        self.gift_credits.is_some() || self.gift_pass.is_some()
    }

    fn gift(&self) -> Option<Gift> {
        let kind = match (self.gift_credits, self.gift_pass) {
            (Some(amount), _) => GiftKind::Credits { amount },
            (None, Some(p)) => GiftKind::Pass { kind: p.kind() },
            _ => return None,
        };
        Some(Gift {
            kind,
            note: self.note.clone(),
        })
    }
}

/// What a campaign button does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "c", rename_all = "snake_case")]
pub enum Step {
    Home,
    NewBroadcast,
    NewGift,
    GiftCredits,
    GiftPass {
        kind: PassKindName,
    },
    Pick {
        compose: Compose,
        audience: Audience,
    },
    Launch {
        compose: Compose,
        audience: Audience,
        later: bool,
        /// A start chosen by the admin (Unix seconds), instead of now or in an hour.
        #[serde(default)]
        at: Option<i64>,
    },
    /// Asks for the start time of a campaign.
    AskTime {
        compose: Compose,
        audience: Audience,
    },
    View {
        id: i64,
    },
    Pause {
        id: i64,
    },
    Resume {
        id: i64,
    },
    Cancel {
        id: i64,
    },
}

/// What a campaign prompt waits for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "w", rename_all = "snake_case")]
pub enum Wait {
    Message,
    Buttons {
        compose: Compose,
    },
    GiftAmount,
    GiftNote {
        compose: Compose,
    },
    Time {
        compose: Compose,
        audience: Audience,
    },
}

fn go(step: Step) -> Action {
    Action::Campaign { step }
}

async fn audiences(ctx: &AppCtx, t: &T, compose: &Compose) -> Result<Vec<Vec<Button>>, BotError> {
    let tiers = crate::accounts::tiers::all(&ctx.db).await?;
    let mut rows = fixed_audiences(t, compose);
    let by_tier: Vec<Button> = tiers
        .into_iter()
        .take(6)
        .map(|tier| {
            Button::Do(
                t.say("ac-aud-tier", &[("name", tier.name.clone())]),
                go(Step::Pick {
                    compose: compose.clone(),
                    audience: Audience::Tier { name: tier.name },
                }),
            )
        })
        .collect();
    if !by_tier.is_empty() {
        rows.insert(rows.len() - 1, by_tier);
    }
    Ok(rows)
}

fn fixed_audiences(t: &T, compose: &Compose) -> Vec<Vec<Button>> {
    let pick = |key: &str, audience: Audience| {
        Button::Do(
            t.key(key),
            go(Step::Pick {
                compose: compose.clone(),
                audience,
            }),
        )
    };
    vec![
        vec![
            pick("ac-aud-all", Audience::All),
            pick("ac-aud-active7", Audience::ActiveWithin { days: 7 }),
            pick("ac-aud-active30", Audience::ActiveWithin { days: 30 }),
        ],
        vec![
            pick("ac-aud-pass", Audience::HasPass),
            pick("ac-aud-paid", Audience::Paid),
            pick("ac-aud-never-paid", Audience::NeverPaid),
        ],
        vec![
            pick("ac-aud-en", Audience::Language { code: "en".into() }),
            pick("ac-aud-ru", Audience::Language { code: "ru".into() }),
        ],
        vec![Button::Do(
            t.key("ac-cancel"),
            Action::Cancel {
                back: Box::new(go(Step::Home)),
            },
        )],
    ]
}

fn audience_name(t: &T, a: &Audience) -> String {
    match a {
        Audience::All => t.key("ac-aud-all"),
        Audience::ActiveWithin { days: 7 } => t.key("ac-aud-active7"),
        Audience::ActiveWithin { days } => t.say("ac-aud-active", &[("days", days.to_string())]),
        Audience::HasPass => t.key("ac-aud-pass"),
        Audience::Paid => t.key("ac-aud-paid"),
        Audience::NeverPaid => t.key("ac-aud-never-paid"),
        Audience::Language { code } => t.say("ac-aud-language", &[("code", code.clone())]),
        Audience::Tier { name } => t.say("ac-aud-tier", &[("name", name.clone())]),
    }
}

fn gift_line(t: &T, c: &Compose) -> String {
    match (c.gift_credits, c.gift_pass) {
        (Some(n), _) => t.say("ac-gives-credits", &[("credits", n.to_string())]),
        (None, Some(p)) => t.say("ac-gives-pass", &[("kind", p.kind().as_str().to_owned())]),
        _ => t.key("ac-none"),
    }
}

fn refused(t: &T, e: &CampaignError) -> String {
    match e {
        CampaignError::EmptyMessage => t.key("ac-camp-empty"),
        CampaignError::TextTooLong { .. } | CampaignError::CaptionTooLong { .. } => {
            t.key("ac-camp-too-long")
        }
        CampaignError::EmptyAudience => t.key("ac-camp-nobody"),
        other => other.to_string(),
    }
}

/// The Broadcast category: recent campaigns and the two ways to start one.
async fn home(ctx: &AppCtx, t: &T) -> Result<Screen, BotError> {
    let recent = campaigns::list_recent(&ctx.db, 8).await.map_err(service)?;
    let mut rows: Vec<Vec<Button>> = recent
        .iter()
        .map(|c| {
            vec![Button::Do(
                format!(
                    "#{} · {} · {} · {}/{}",
                    c.id,
                    c.kind.as_str(),
                    c.status.as_str(),
                    c.counters.finished(),
                    c.counters.total
                ),
                go(Step::View { id: c.id }),
            )]
        })
        .collect();
    rows.push(vec![
        Button::Do(t.key("ac-camp-new-broadcast"), go(Step::NewBroadcast)),
        Button::Do(t.key("ac-camp-new-gift"), go(Step::NewGift)),
    ]);
    rows.push(vec![Button::Do(
        t.key("ac-drip-button"),
        Action::Drip {
            step: super::drips::Step::Home,
        },
    )]);
    rows.push(t.nav(None));
    Ok(Screen {
        text: t.key("ac-camp-home"),
        rows,
    })
}

fn service(e: CampaignError) -> BotError {
    match e {
        CampaignError::Service(e) => BotError::Service(e),
        other => BotError::Service(crate::storage::StorageError::Corrupt(other.to_string()).into()),
    }
}

fn bar(done: u64, total: u64) -> String {
    let filled = (done * 10).checked_div(total).unwrap_or(10).min(10) as usize;
    format!("{}{}", "▓".repeat(filled), "░".repeat(10 - filled))
}

/// A campaign's progress screen (or its final report).
async fn view(ctx: &AppCtx, t: &T, id: i64) -> Result<Screen, BotError> {
    let p = campaigns::progress(&ctx.db, ctx.now(), id)
        .await
        .map_err(service)?;
    let none = t.key("ac-none");
    let mut text = t.say(
        "ac-camp-progress",
        &[
            ("id", id.to_string()),
            ("status", p.status.as_str().to_owned()),
            ("bar", bar(p.finished(), p.total)),
            ("sent", p.sent.to_string()),
            ("failed", p.failed.to_string()),
            ("unreachable", p.unreachable.to_string()),
            ("remaining", p.remaining().to_string()),
            (
                "rate",
                p.rate_per_sec()
                    .map_or(none.clone(), |r| format!("{r:.1}/s")),
            ),
            ("eta", p.eta().map_or(none.clone(), super::fmt_wait)),
        ],
    );
    if p.status.is_final() {
        let blocked = campaigns::unreachable_users(&ctx.db, id)
            .await
            .map_err(service)?;
        if !blocked.is_empty() {
            let shown: Vec<String> = blocked.iter().take(30).map(|u| u.to_string()).collect();
            let more = blocked.len().saturating_sub(shown.len());
            text.push_str("\n\n");
            text.push_str(&t.say(
                "ac-camp-blocked",
                &[("users", shown.join(", ")), ("more", more.to_string())],
            ));
        }
    }
    text.push_str("\n\n");
    text.push_str(&t.say("ac-updated", &[("at", super::fmt_time(p.at))]));
    let mut controls = Vec::new();
    match p.status {
        CampaignStatus::Running | CampaignStatus::Scheduled => {
            controls.push(Button::Do(t.key("ac-camp-pause"), go(Step::Pause { id })));
        }
        CampaignStatus::Paused => {
            controls.push(Button::Do(t.key("ac-camp-resume"), go(Step::Resume { id })));
        }
        _ => {}
    }
    if !p.status.is_final() {
        controls.push(Button::Do(t.key("ac-camp-cancel"), go(Step::Cancel { id })));
    }
    controls.push(Button::Do(t.key("ac-refresh"), go(Step::View { id })));
    Ok(Screen {
        text,
        rows: vec![controls, t.nav(Some(go(Step::Home)))],
    })
}

/// Edits the progress screen in place every few seconds while the panel still shows it,
/// until the campaign ends. The panel's buttons keep their nonce, so a press meanwhile works.
fn tick(ctx: AppCtx, panel_id: i64, id: i64) {
    tokio::spawn(async move {
        let t = T(ctx.config.default_locale);
        let mut last = String::new();
        // At most a day of ticking; the refresh button works after that.
        for _ in 0..(24 * 3600 / TICK.as_secs()) {
            tokio::time::sleep(TICK).await;
            let Ok(screen) = view(&ctx, &t, id).await else {
                return;
            };
            let done = campaigns::find(&ctx.db, id)
                .await
                .ok()
                .flatten()
                .is_none_or(|c| c.status.is_final());
            if screen.text != last {
                last = screen.text.clone();
                match in_place(&ctx, panel_id, id, screen).await {
                    Ok(true) => {}
                    _ => return,
                }
            }
            if done {
                return;
            }
        }
    });
}

/// Re-renders the panel's current screen with new text, keeping its buttons and nonce; false
/// when the panel shows something else now.
async fn in_place(ctx: &AppCtx, panel_id: i64, id: i64, screen: Screen) -> Result<bool, BotError> {
    use sea_orm::EntityTrait;
    let Some(panel) = crate::storage::entities::admin_panels::Entity::find_by_id(panel_id)
        .one(&ctx.db)
        .await
        .map_err(|e| BotError::Service(e.into()))?
    else {
        return Ok(false);
    };
    let mut actions = Vec::new();
    let mut keyboard = Vec::new();
    for row in screen.rows {
        let mut buttons = Vec::new();
        for b in row {
            match b {
                Button::Do(label, action) => {
                    actions.push(action);
                    buttons.push(InlineKeyboardButton::callback(
                        label,
                        panels::button_data(panel.id, &panel.nonce, actions.len() - 1),
                    ));
                }
                Button::Url(label, url) => {
                    if let Ok(url) = url.parse() {
                        buttons.push(InlineKeyboardButton::url(label, url));
                    }
                }
            }
        }
        keyboard.push(buttons);
    }
    // Still this campaign's progress (its refresh button is there)? Its buttons may change
    // as the campaign moves (pause and cancel go when it ends).
    let shown: Vec<Action> = serde_json::from_str(&panel.actions).unwrap_or_default();
    let refresh = go(Step::View { id });
    let Some(message) = panel.message_id.filter(|_| shown.contains(&refresh)) else {
        return Ok(false);
    };
    if shown != actions {
        panels::replace_actions(&ctx.db, panel.id, &actions).await?;
    }
    let chat = ChatId(panel.chat_id);
    let req = ctx
        .tg
        .bot()
        .edit_message_text(chat, MessageId(message), screen.text)
        .reply_markup(InlineKeyboardMarkup::new(keyboard));
    Ok(ctx.tg.send(chat, req).await.is_ok())
}

/// Carries out a campaign button; the screen to show and a toast.
pub(super) async fn act(
    ctx: &AppCtx,
    t: &T,
    panel: &panels::Panel,
    admin: i64,
    step: Step,
) -> Result<Option<(Screen, Option<String>)>, BotError> {
    let now = ctx.now();
    let wait = |wait: Wait, text: String| async move {
        show(ctx, panel, None, prompt(t, text, go(Step::Home))).await?;
        panels::wait_for(&ctx.db, now, panel.id, admin, &Awaiting::Campaign { wait }).await?;
        Ok::<_, BotError>(None)
    };
    Ok(Some(match step {
        Step::Home => (home(ctx, t).await?, None),
        Step::NewBroadcast => return wait(Wait::Message, t.key("ac-camp-ask-message")).await,
        Step::NewGift => {
            let pass = |k: PassKindName| {
                Button::Do(
                    t.say("ac-pass-button", &[("kind", k.kind().as_str().to_owned())]),
                    go(Step::GiftPass { kind: k }),
                )
            };
            (
                Screen {
                    text: t.key("ac-camp-ask-gift"),
                    rows: vec![
                        vec![Button::Do(t.key("ac-kind-credits"), go(Step::GiftCredits))],
                        vec![
                            pass(PassKindName::Day),
                            pass(PassKindName::Week),
                            pass(PassKindName::Month),
                        ],
                        vec![Button::Do(
                            t.key("ac-cancel"),
                            Action::Cancel {
                                back: Box::new(go(Step::Home)),
                            },
                        )],
                    ],
                },
                None,
            )
        }
        Step::GiftCredits => return wait(Wait::GiftAmount, t.key("ac-camp-ask-amount")).await,
        Step::GiftPass { kind } => {
            let compose = Compose {
                gift_pass: Some(kind),
                ..Compose::default()
            };
            return wait(Wait::GiftNote { compose }, t.key("ac-camp-ask-note")).await;
        }
        Step::Pick { compose, audience } => {
            let n = campaigns::count(&ctx.db, &audience, now).await?;
            if n == 0 {
                let text = format!(
                    "{}\n\n{}",
                    t.key("ac-camp-nobody"),
                    t.key("ac-camp-ask-audience")
                );
                return Ok(Some((
                    Screen {
                        text,
                        rows: audiences(ctx, t, &compose).await?,
                    },
                    None,
                )));
            }
            let what = if compose.is_gift() {
                t.say(
                    "ac-camp-gift-preview",
                    &[
                        ("gift", gift_line(t, &compose)),
                        ("note", compose.note.clone().unwrap_or(t.key("ac-none"))),
                    ],
                )
            } else {
                // The preview: the message itself, as recipients will see it.
                runner::send_message(ctx, ChatId(panel.chat_id), &compose.message, false).await?;
                t.key("ac-camp-preview-above")
            };
            let mut text = t.say(
                "ac-camp-confirm",
                &[
                    ("what", what),
                    ("audience", audience_name(t, &audience)),
                    ("count", n.to_string()),
                ],
            );
            if settings::get(&ctx.db, &settings::PAID_BROADCAST).await? {
                let rate = ctx.config.paid_broadcast_rate;
                let cost = campaigns::PaidCost::of(n, rate);
                let paid = t.say(
                    "ac-camp-paid",
                    &[
                        ("rate", format!("{rate}")),
                        ("charged", cost.charged.to_string()),
                        ("count", n.to_string()),
                        ("estimate", campaigns::tenths_of_stars(cost.charged)),
                        ("most", campaigns::tenths_of_stars(cost.most)),
                    ],
                );
                text = format!("{text}\n\n{paid}");
            }
            let launch = |key: &str, later: bool| {
                Button::Do(
                    t.key(key),
                    go(Step::Launch {
                        compose: compose.clone(),
                        audience: audience.clone(),
                        later,
                        at: None,
                    }),
                )
            };
            (
                Screen {
                    text,
                    rows: vec![
                        vec![
                            launch("ac-camp-send-now", false),
                            launch("ac-camp-send-later", true),
                        ],
                        vec![Button::Do(
                            t.key("ac-camp-send-at"),
                            go(Step::AskTime {
                                compose: compose.clone(),
                                audience: audience.clone(),
                            }),
                        )],
                        vec![Button::Do(
                            t.key("ac-cancel"),
                            Action::Cancel {
                                back: Box::new(go(Step::Home)),
                            },
                        )],
                    ],
                },
                None,
            )
        }
        Step::AskTime { compose, audience } => {
            return wait(Wait::Time { compose, audience }, t.key("ac-camp-ask-time")).await;
        }
        Step::Launch {
            compose,
            audience,
            later,
            at,
        } => {
            let new = NewCampaign {
                message: if compose.is_gift() {
                    CampaignMessage::default()
                } else {
                    compose.message.clone()
                },
                gift: compose.gift(),
                audience: audience.clone(),
                created_by: admin,
                run_at: match at {
                    Some(at) => chrono::DateTime::from_timestamp(at, 0),
                    None => later.then(|| now + chrono::Duration::hours(1)),
                },
                progress_message: panel.message_id.map(|m| (panel.chat_id, m)),
            };
            match campaigns::create(&ctx.db, now, new).await {
                Ok(c) => {
                    record(ctx, admin, &c).await?;
                    let screen = view(ctx, t, c.id).await?;
                    tick(ctx.clone(), panel.id, c.id);
                    (screen, None)
                }
                Err(e @ (CampaignError::Service(_) | CampaignError::NotFound(_))) => {
                    return Err(service(e));
                }
                Err(e) => (home(ctx, t).await?, Some(refused(t, &e))),
            }
        }
        Step::View { id } => {
            let screen = view(ctx, t, id).await?;
            if campaigns::find(&ctx.db, id)
                .await
                .map_err(service)?
                .is_some_and(|c| !c.status.is_final())
            {
                tick(ctx.clone(), panel.id, id);
            }
            (screen, None)
        }
        Step::Pause { id } | Step::Resume { id } | Step::Cancel { id } => {
            let (what, moved) = match step {
                Step::Pause { .. } => ("campaign_paused", campaigns::pause(&ctx.db, now, id).await),
                Step::Resume { .. } => (
                    "campaign_resumed",
                    campaigns::resume(&ctx.db, now, id).await,
                ),
                _ => (
                    "campaign_cancelled",
                    campaigns::cancel(&ctx.db, now, id).await,
                ),
            };
            let toast = match moved {
                Ok(c) => {
                    audit::record(
                        &ctx.db,
                        now,
                        audit::Action {
                            admin_id: admin,
                            what,
                            target_user: None,
                            before: None,
                            after: Some(format!("#{} {}", c.id, c.status.as_str())),
                        },
                    )
                    .await?;
                    None
                }
                Err(e @ CampaignError::IllegalMove { .. }) => Some(e.to_string()),
                Err(e) => return Err(service(e)),
            };
            (view(ctx, t, id).await?, toast)
        }
    }))
}

async fn record(ctx: &AppCtx, admin: i64, c: &Campaign) -> HandlerResult {
    audit::record(
        &ctx.db,
        ctx.now(),
        audit::Action {
            admin_id: admin,
            what: if c.gift.is_some() {
                "gift"
            } else {
                "broadcast"
            },
            target_user: None,
            before: None,
            after: Some(format!(
                "#{} to {} users at {}",
                c.id,
                c.counters.total,
                super::fmt_time(c.run_at)
            )),
        },
    )
    .await?;
    Ok(())
}

/// The campaign message an admin sent: text with its formatting, or a photo, video or
/// document with its caption.
pub(super) fn message_of(msg: &Message) -> Option<CampaignMessage> {
    let entities = |e: Option<&[teloxide::types::MessageEntity]>| match e {
        Some(e) if !e.is_empty() => serde_json::to_value(e)
            .map(|entities| Format::Entities { entities })
            .unwrap_or_default(),
        _ => Format::Plain,
    };
    if let Some(text) = msg.text() {
        return Some(CampaignMessage {
            text: text.to_owned(),
            format: entities(msg.entities()),
            ..CampaignMessage::default()
        });
    }
    let teloxide::types::MessageKind::Common(common) = &msg.kind else {
        return None;
    };
    let (kind, file_id) = match &common.media_kind {
        TgMedia::Photo(p) => (MediaKind::Photo, p.photo.last()?.file.id.to_string()),
        TgMedia::Video(v) => (MediaKind::Video, v.video.file.id.to_string()),
        TgMedia::Document(d) => (MediaKind::Document, d.document.file.id.to_string()),
        _ => return None,
    };
    Some(CampaignMessage {
        text: msg.caption().unwrap_or_default().to_owned(),
        format: entities(msg.caption_entities()),
        media: Some(Media { kind, file_id }),
        buttons: Vec::new(),
    })
}

/// The admin's answer to a campaign prompt.
pub(super) async fn input(
    ctx: &AppCtx,
    t: &T,
    panel: &panels::Panel,
    admin: i64,
    msg: &Message,
    wait: Wait,
) -> HandlerResult {
    let now = ctx.now();
    let again = |why: String, wait: Wait| async move {
        show(ctx, panel, None, prompt(t, why, go(Step::Home))).await?;
        panels::wait_for(&ctx.db, now, panel.id, admin, &Awaiting::Campaign { wait }).await?;
        Ok::<(), BotError>(())
    };
    let text = msg.text().unwrap_or_default().trim().to_owned();
    let compose = match wait {
        Wait::Message => {
            let Some(message) = message_of(msg) else {
                let why = format!(
                    "⚠️ {}\n\n{}",
                    t.key("ac-camp-not-a-message"),
                    t.key("ac-camp-ask-message")
                );
                return again(why, Wait::Message).await;
            };
            // Telegram's limits, checked before the audience is chosen.
            let too_long = if message.media.is_some() {
                message.text.chars().count() > campaigns::MAX_CAPTION
            } else {
                message.text.chars().count() > campaigns::MAX_TEXT
            };
            if too_long || message.text.trim().is_empty() && message.media.is_none() {
                let key = if too_long {
                    "ac-camp-too-long"
                } else {
                    "ac-camp-empty"
                };
                let why = format!("⚠️ {}\n\n{}", t.key(key), t.key("ac-camp-ask-message"));
                return again(why, Wait::Message).await;
            }
            let compose = Compose {
                message,
                ..Compose::default()
            };
            return again(t.key("ac-camp-ask-buttons"), Wait::Buttons { compose }).await;
        }
        Wait::Buttons { mut compose } => {
            let raw = msg.text().unwrap_or_default().trim();
            let mut buttons = Vec::new();
            if raw != "-" {
                for line in raw.lines().filter(|l| !l.trim().is_empty()) {
                    let (label, url) = line.split_once('|').unwrap_or((line, ""));
                    buttons.push(campaigns::UrlButton {
                        text: label.trim().to_owned(),
                        url: url.trim().to_owned(),
                    });
                }
            }
            compose.message.buttons = buttons;
            if let Err(e) = compose.message.validate() {
                let why = format!("⚠️ {e}\n\n{}", t.key("ac-camp-ask-buttons"));
                return again(why, Wait::Buttons { compose }).await;
            }
            compose
        }
        Wait::GiftAmount => match text
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=1_000_000).contains(n))
        {
            Some(n) => {
                let compose = Compose {
                    gift_credits: Some(n),
                    ..Compose::default()
                };
                return again(t.key("ac-camp-ask-note"), Wait::GiftNote { compose }).await;
            }
            None => {
                let why = format!(
                    "⚠️ {}\n\n{}",
                    t.key("ac-camp-bad-amount"),
                    t.key("ac-camp-ask-amount")
                );
                return again(why, Wait::GiftAmount).await;
            }
        },
        Wait::Time { compose, audience } => {
            let Some(at) = parse_start(&text, now) else {
                let why = format!(
                    "⚠️ {}\n\n{}",
                    t.key("ac-camp-bad-time"),
                    t.key("ac-camp-ask-time")
                );
                return again(why, Wait::Time { compose, audience }).await;
            };
            let step = Step::Launch {
                compose,
                audience,
                later: false,
                at: Some(at.timestamp()),
            };
            if let Some((screen, _)) = Box::pin(act(ctx, t, panel, admin, step)).await? {
                show(ctx, panel, None, screen).await?;
            }
            return Ok(());
        }
        Wait::GiftNote { mut compose } => {
            if text.chars().count() > campaigns::MAX_NOTE {
                let why = format!(
                    "⚠️ {}\n\n{}",
                    t.key("ac-camp-too-long"),
                    t.key("ac-camp-ask-note")
                );
                return again(why, Wait::GiftNote { compose }).await;
            }
            compose.note = (text != "-" && !text.is_empty()).then_some(text);
            compose
        }
    };
    let screen = Screen {
        text: t.key("ac-camp-ask-audience"),
        rows: audiences(ctx, t, &compose).await?,
    };
    show(ctx, panel, None, screen).await
}

/// A start time typed as `YYYY-MM-DD HH:MM` (UTC): in the future, at most 90 days ahead.
fn parse_start(
    text: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<chrono::DateTime<chrono::Utc>> {
    let naive = chrono::NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M").ok()?;
    let at = naive.and_utc();
    (at > now && at <= now + chrono::Duration::days(90)).then_some(at)
}

#[cfg(test)]
mod schedule_tests {
    use chrono::TimeZone;

    use super::parse_start;

    #[test]
    fn a_start_time_is_in_the_future_and_within_ninety_days() {
        let now = chrono::Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap();
        assert_eq!(
            parse_start("2026-12-24 18:30", now),
            Some(
                chrono::Utc
                    .with_ymd_and_hms(2026, 12, 24, 18, 30, 0)
                    .unwrap()
            )
        );
        for bad in [
            "2026-12-06 11:59",
            "2027-06-01 00:00",
            "tomorrow",
            "2026-13-01 10:00",
            "",
        ] {
            assert_eq!(parse_start(bad, now), None, "{bad}");
        }
    }
}
