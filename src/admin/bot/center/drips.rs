//! The operator's drip campaigns in the control center, under 📣 Broadcasts: the list (name,
//! trigger, status, enrolled), a new campaign (a name, then the trigger and the goal by
//! buttons), a campaign's card (each step's delay, first words and numbers: sent, skipped,
//! clicks, conversions), a step added (a delay like `2d`, then a text or a media with its
//! caption, then whom it is for), pause and resume, and enrolments by hand: one user by id,
//! or everyone a broadcast to everyone reaches. The campaigns are the reserved tenant
//! [`OPERATOR`](crate::messaging::drips::OPERATOR)'s (`messaging::operator_drips`); every
//! change is audited.
use serde::{Deserialize, Serialize};
use teloxide::prelude::*;

use super::{Action, Awaiting, Button, Screen, T, prompt, show};
use crate::{
    admin::{audit, panels},
    bot::{BotError, HandlerResult},
    context::AppCtx,
    delivery::campaigns::MediaKind as CampaignMedia,
    messaging::{
        bot::parse_delay,
        drips::{self, BadDrip, Campaign, NewCampaign, NewStep, Status, Trigger},
        operator_drips,
    },
};

/// Characters of a step's text shown on the campaign's card.
const WORDS: usize = 40;

/// A step being made: its delay (seconds) and its message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepDraft {
    delay: i64,
    text: String,
    /// The media's kind (`photo`, `video`, `document`) and Telegram file id.
    media: Option<(String, String)>,
    /// Link buttons: the message's last `Label | URL` lines.
    #[serde(default)]
    buttons: Vec<drips::Button>,
}

/// What a drip button does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "d", rename_all = "snake_case")]
pub enum Step {
    Home,
    New,
    /// The trigger chosen for a new campaign named `name`: ask its goal.
    Trigger {
        name: String,
        trigger: String,
    },
    Create {
        name: String,
        trigger: String,
        goal: String,
    },
    View {
        id: i64,
    },
    /// Add a step after the last.
    Extend {
        id: i64,
    },
    /// The step made, for those the condition (`paid`, `not_paid`, or none) picks.
    Save {
        id: i64,
        draft: StepDraft,
        condition: Option<String>,
    },
    Pause {
        id: i64,
    },
    Resume {
        id: i64,
    },
    EnrolUser {
        id: i64,
    },
    EnrolAll {
        id: i64,
    },
}

/// What a drip prompt waits for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "w", rename_all = "snake_case")]
pub enum Wait {
    Name,
    Delay { id: i64 },
    Message { id: i64, delay: i64 },
    User { id: i64 },
}

fn go(step: Step) -> Action {
    Action::Drip { step }
}

fn cancel(t: &T, back: Step) -> Vec<Button> {
    vec![Button::Do(
        t.key("ac-cancel"),
        Action::Cancel {
            back: Box::new(go(back)),
        },
    )]
}

/// A delay as the admin types it back: `2d`, `3h`, `45m`, `30s`.
pub(super) fn fmt_delay(secs: i64) -> String {
    for (unit, n) in [("d", 86_400), ("h", 3600), ("m", 60)] {
        if secs % n == 0 {
            return format!("{}{unit}", secs / n);
        }
    }
    format!("{secs}s")
}

fn trigger_name(t: &T, trigger: &str) -> String {
    match Trigger::parse(trigger) {
        Some(Trigger::FirstContact) => t.key("ac-drip-trigger-first-contact"),
        Some(Trigger::Purchase) => t.key("ac-drip-trigger-purchase"),
        _ => t.key("ac-drip-trigger-manual"),
    }
}

fn goal_name(t: &T, goal: &str) -> String {
    if goal == drips::Goal::Paid.as_str() {
        t.key("ac-drip-goal-paid")
    } else {
        t.key("ac-drip-goal-none")
    }
}

fn status_name(t: &T, c: &Campaign) -> String {
    if c.status == Status::Paused.as_str() {
        t.key("ac-drip-paused")
    } else {
        t.key("ac-drip-active")
    }
}

/// The list: each campaign with its trigger, status and enrolments, and "new".
async fn home(ctx: &AppCtx, t: &T) -> Result<Screen, BotError> {
    let list = drips::list(&ctx.db, drips::OPERATOR).await?;
    let mut rows = Vec::new();
    for c in &list {
        let s = drips::stats(&ctx.db, c.id).await?;
        rows.push(vec![Button::Do(
            t.say(
                "ac-drip-row",
                &[
                    ("name", c.name.clone()),
                    ("trigger", trigger_name(t, &c.trigger)),
                    ("status", status_name(t, c)),
                    ("enrolled", s.enrolled.to_string()),
                ],
            ),
            go(Step::View { id: c.id }),
        )]);
    }
    rows.push(vec![Button::Do(t.key("ac-drip-new"), go(Step::New))]);
    rows.push(t.nav(Some(Action::Campaign {
        step: super::campaigns::Step::Home,
    })));
    let mut text = t.key("ac-drip-home");
    if list.is_empty() {
        text = format!("{text}\n\n{}", t.key("ac-drip-none"));
    }
    Ok(Screen { text, rows })
}

/// A campaign's card: its settings, enrolments and steps with their numbers; `note` above.
async fn card(ctx: &AppCtx, t: &T, c: &Campaign, note: Option<String>) -> Result<Screen, BotError> {
    let s = drips::stats(&ctx.db, c.id).await?;
    let steps = drips::steps(&ctx.db, c.id).await?;
    let lines: Vec<String> = steps
        .iter()
        .map(|step| {
            let n = s
                .steps
                .iter()
                .find(|n| n.position == step.position)
                .cloned()
                .unwrap_or_default();
            let mut words: String = step.text.chars().take(WORDS).collect();
            if step.text.chars().count() > WORDS {
                words.push('…');
            }
            if let Some(kind) = &step.media_kind {
                words = format!("[{kind}] {words}");
            }
            let labels: Vec<String> = drips::buttons_of(step)
                .into_iter()
                .map(|b| b.text)
                .collect();
            if !labels.is_empty() {
                words = format!("{} 🔗 {}", words.trim(), labels.join(", "));
            }
            let condition = match drips::condition_of(step) {
                Some(drips::StepCondition::Paid) => t.key("ac-drip-for-paid"),
                Some(drips::StepCondition::NotPaid) => t.key("ac-drip-for-not-paid"),
                _ => String::new(),
            };
            t.say(
                "ac-drip-step-line",
                &[
                    ("position", step.position.to_string()),
                    ("delay", fmt_delay(step.delay_secs)),
                    ("condition", condition),
                    ("words", words.trim().to_owned()),
                    ("sent", n.sent.to_string()),
                    ("skipped", n.skipped.to_string()),
                    ("clicks", n.clicks.to_string()),
                    ("conversions", n.conversions.to_string()),
                ],
            )
        })
        .collect();
    let steps_text = if lines.is_empty() {
        t.key("ac-drip-no-steps")
    } else {
        lines.join("\n")
    };
    let mut text = t.say(
        "ac-drip-card",
        &[
            ("name", c.name.clone()),
            ("trigger", trigger_name(t, &c.trigger)),
            ("goal", goal_name(t, &c.goal)),
            ("status", status_name(t, c)),
            ("enrolled", s.enrolled.to_string()),
            ("active", s.active.to_string()),
            ("completed", s.completed.to_string()),
            ("met", s.goal_met.to_string()),
            ("exited", s.exited.to_string()),
            ("steps", steps_text),
        ],
    );
    if let Some(note) = note {
        text = format!("{note}\n\n{text}");
    }
    let id = c.id;
    let toggle = if c.status == Status::Paused.as_str() {
        Button::Do(t.key("ac-drip-resume"), go(Step::Resume { id }))
    } else {
        Button::Do(t.key("ac-drip-pause"), go(Step::Pause { id }))
    };
    Ok(Screen {
        text,
        rows: vec![
            vec![
                Button::Do(t.key("ac-drip-add-step"), go(Step::Extend { id })),
                toggle,
            ],
            vec![
                Button::Do(t.key("ac-drip-enrol-user"), go(Step::EnrolUser { id })),
                Button::Do(t.key("ac-drip-enrol-all"), go(Step::EnrolAll { id })),
            ],
            vec![Button::Do(t.key("ac-refresh"), go(Step::View { id }))],
            t.nav(Some(go(Step::Home))),
        ],
    })
}

async fn record(
    ctx: &AppCtx,
    admin: i64,
    what: &'static str,
    user: Option<i64>,
    after: String,
) -> HandlerResult {
    audit::record(
        &ctx.db,
        ctx.now(),
        audit::Action {
            admin_id: admin,
            what,
            target_user: user,
            before: None,
            after: Some(after),
        },
    )
    .await?;
    Ok(())
}

/// Carries out a drip button; the screen to show and a toast (None: a prompt is shown).
pub(super) async fn act(
    ctx: &AppCtx,
    t: &T,
    panel: &panels::Panel,
    admin: i64,
    step: Step,
) -> Result<Option<(Screen, Option<String>)>, BotError> {
    let now = ctx.now();
    let wait = |wait: Wait, text: String, back: Step| async move {
        show(ctx, panel, None, prompt(t, text, go(back))).await?;
        panels::wait_for(&ctx.db, now, panel.id, admin, &Awaiting::Drip { wait }).await?;
        Ok::<_, BotError>(None)
    };
    // A campaign that is not (or no longer) the operator's: the panel is stale.
    let expired =
        || async { Ok::<_, BotError>(Some((home(ctx, t).await?, Some(t.key("ac-expired"))))) };
    let campaign = match &step {
        Step::View { id }
        | Step::Extend { id }
        | Step::Save { id, .. }
        | Step::Pause { id }
        | Step::Resume { id }
        | Step::EnrolUser { id }
        | Step::EnrolAll { id } => match operator_drips::get(&ctx.db, *id).await? {
            Some(c) => Some(c),
            None => return expired().await,
        },
        _ => None,
    };
    Ok(Some(match (step, campaign) {
        (Step::Home, _) => (home(ctx, t).await?, None),
        (Step::New, _) => {
            return wait(Wait::Name, t.key("ac-drip-ask-name"), Step::Home).await;
        }
        (Step::Trigger { name, trigger }, _) => {
            let goal = |key: &str, goal: drips::Goal| {
                Button::Do(
                    t.key(key),
                    go(Step::Create {
                        name: name.clone(),
                        trigger: trigger.clone(),
                        goal: goal.as_str().to_owned(),
                    }),
                )
            };
            (
                Screen {
                    text: t.say("ac-drip-ask-goal", &[("name", name.clone())]),
                    rows: vec![
                        vec![goal("ac-drip-goal-paid", drips::Goal::Paid)],
                        vec![goal("ac-drip-goal-none", drips::Goal::None)],
                        cancel(t, Step::Home),
                    ],
                },
                None,
            )
        }
        (
            Step::Create {
                name,
                trigger,
                goal,
            },
            _,
        ) => {
            let made = match NewCampaign::check(&name, &trigger, None, Some(&goal)) {
                Ok(new) => operator_drips::create(&ctx.db, now, new).await?,
                Err(e) => Err(e),
            };
            match made {
                Ok(c) => {
                    record(
                        ctx,
                        admin,
                        "drip_created",
                        None,
                        format!("#{} {} ({}, goal {})", c.id, c.name, c.trigger, c.goal),
                    )
                    .await?;
                    let note = t.say("ac-drip-created", &[("name", c.name.clone())]);
                    (card(ctx, t, &c, Some(note)).await?, None)
                }
                Err(e) => (home(ctx, t).await?, Some(refused(t, &e))),
            }
        }
        (Step::View { .. }, Some(c)) => (card(ctx, t, &c, None).await?, None),
        (Step::Extend { id }, Some(_)) => {
            return wait(
                Wait::Delay { id },
                t.key("ac-drip-ask-delay"),
                Step::View { id },
            )
            .await;
        }
        (
            Step::Save {
                draft, condition, ..
            },
            Some(c),
        ) => {
            let checked = NewStep::check(
                draft.delay,
                &draft.text,
                draft.media.as_ref().map(|(k, f)| (k.as_str(), f.as_str())),
                draft.buttons.clone(),
                condition.as_deref(),
            );
            let added = match checked {
                Ok(new) => drips::add_step(&ctx.db, now, &c, new).await?,
                Err(e) => Err(e),
            };
            match added {
                Ok(step) => {
                    record(
                        ctx,
                        admin,
                        "drip_step_added",
                        None,
                        format!(
                            "#{} step {} after {}",
                            c.id,
                            step.position,
                            fmt_delay(step.delay_secs)
                        ),
                    )
                    .await?;
                    let note = t.say(
                        "ac-drip-step-added",
                        &[("position", step.position.to_string())],
                    );
                    (card(ctx, t, &c, Some(note)).await?, None)
                }
                Err(e) => (card(ctx, t, &c, None).await?, Some(refused(t, &e))),
            }
        }
        (Step::Pause { .. }, Some(c)) => set_status(ctx, t, admin, &c, Status::Paused).await?,
        (Step::Resume { .. }, Some(c)) => set_status(ctx, t, admin, &c, Status::Active).await?,
        (Step::EnrolUser { id }, Some(_)) => {
            return wait(
                Wait::User { id },
                t.key("ac-drip-ask-user"),
                Step::View { id },
            )
            .await;
        }
        (Step::EnrolAll { .. }, Some(c)) => {
            let n = operator_drips::enrol_everyone(&ctx.db, now, &c).await?;
            record(
                ctx,
                admin,
                "drip_enrolled_all",
                None,
                format!("#{}: {n} enrolled", c.id),
            )
            .await?;
            let note = t.say("ac-drip-enrolled-all", &[("count", n.to_string())]);
            (card(ctx, t, &c, Some(note.clone())).await?, Some(note))
        }
        (_, None) => return expired().await,
    }))
}

async fn set_status(
    ctx: &AppCtx,
    t: &T,
    admin: i64,
    c: &Campaign,
    status: Status,
) -> Result<(Screen, Option<String>), BotError> {
    let Some(c) = drips::set_status(&ctx.db, ctx.now(), drips::OPERATOR, c.id, status).await?
    else {
        return Ok((home(ctx, t).await?, Some(t.key("ac-expired"))));
    };
    let what = match status {
        Status::Paused => "drip_paused",
        Status::Active => "drip_resumed",
    };
    record(ctx, admin, what, None, format!("#{} {}", c.id, c.status)).await?;
    Ok((card(ctx, t, &c, None).await?, None))
}

/// Why a campaign or step was not taken, in the operator's language.
fn refused(t: &T, e: &BadDrip) -> String {
    let key = match e {
        BadDrip::Name => "ac-drip-bad-name",
        BadDrip::Delay => "ac-drip-bad-delay",
        BadDrip::Text => "ac-drip-bad-text",
        BadDrip::Media => "ac-drip-not-a-message",
        BadDrip::TooManySteps => "ac-drip-too-many-steps",
        BadDrip::TooManyCampaigns => "ac-drip-too-many-campaigns",
        BadDrip::NeverStarted => "ac-drip-never-started",
        BadDrip::OperatorTrigger => "ac-drip-bad-trigger",
        _ => "ac-drip-bad-input",
    };
    format!("⚠️ {}", t.key(key))
}

/// The step's message an admin sent: a text, or a photo, video or document with its caption;
/// its last `Label | URL` lines are link buttons.
fn draft_of(msg: &Message, delay: i64) -> Option<StepDraft> {
    let m = super::campaigns::message_of(msg)?;
    let media = m.media.map(|media| {
        let kind = match media.kind {
            CampaignMedia::Photo => drips::MediaKind::Photo,
            CampaignMedia::Video => drips::MediaKind::Video,
            CampaignMedia::Document => drips::MediaKind::Document,
        };
        (kind.as_str().to_owned(), media.file_id)
    });
    let (text, buttons) = drips::split_link_buttons(&m.text);
    Some(StepDraft {
        delay,
        text,
        media,
        buttons,
    })
}

/// The admin's answer to a drip prompt. A bad answer says why and asks again; nothing changes.
pub(super) async fn input(
    ctx: &AppCtx,
    t: &T,
    panel: &panels::Panel,
    admin: i64,
    msg: &Message,
    wait: Wait,
) -> HandlerResult {
    let now = ctx.now();
    // Shows a prompt (after why the last answer was not taken, if it was not) and waits.
    let ask = |why: Option<String>, key: &str, wait: Wait, back: Step| {
        let text = match why {
            Some(why) => format!("{why}\n\n{}", t.key(key)),
            None => t.key(key),
        };
        async move {
            show(ctx, panel, None, prompt(t, text, go(back))).await?;
            panels::wait_for(&ctx.db, now, panel.id, admin, &Awaiting::Drip { wait }).await?;
            Ok::<(), BotError>(())
        }
    };
    let text = msg.text().unwrap_or_default().trim().to_owned();
    // The campaign must still be the operator's.
    let campaign = match &wait {
        Wait::Name => None,
        Wait::Delay { id } | Wait::Message { id, .. } | Wait::User { id } => {
            match operator_drips::get(&ctx.db, *id).await? {
                Some(c) => Some(c),
                None => {
                    let screen = home(ctx, t).await?;
                    return show(ctx, panel, None, screen).await;
                }
            }
        }
    };
    match (wait, campaign) {
        (Wait::Name, _) => {
            if let Err(e) = NewCampaign::check(&text, Trigger::Manual.as_str(), None, None) {
                return ask(
                    Some(refused(t, &e)),
                    "ac-drip-ask-name",
                    Wait::Name,
                    Step::Home,
                )
                .await;
            }
            let name = text.clone();
            let pick = |trigger: Trigger| {
                Button::Do(
                    trigger_name(t, trigger.as_str()),
                    go(Step::Trigger {
                        name: name.clone(),
                        trigger: trigger.as_str().to_owned(),
                    }),
                )
            };
            let mut rows: Vec<Vec<Button>> = Trigger::OPERATOR
                .into_iter()
                .map(|tr| vec![pick(tr)])
                .collect();
            rows.push(cancel(t, Step::Home));
            let screen = Screen {
                text: t.say("ac-drip-ask-trigger", &[("name", text)]),
                rows,
            };
            show(ctx, panel, None, screen).await
        }
        (Wait::Delay { id }, Some(_)) => {
            let back = Step::View { id };
            match parse_delay(&text).filter(|d| (1..=drips::DELAY_MAX_SECS).contains(d)) {
                Some(delay) => {
                    let wait = Wait::Message { id, delay };
                    ask(None, "ac-drip-ask-message", wait, back).await
                }
                None => {
                    let why = Some(refused(t, &BadDrip::Delay));
                    ask(why, "ac-drip-ask-delay", Wait::Delay { id }, back).await
                }
            }
        }
        (Wait::Message { id, delay }, Some(_)) => {
            let wait = Wait::Message { id, delay };
            let Some(draft) = draft_of(msg, delay) else {
                let why = Some(refused(t, &BadDrip::Media));
                return ask(why, "ac-drip-ask-message", wait, Step::View { id }).await;
            };
            let media = draft.media.as_ref().map(|(k, f)| (k.as_str(), f.as_str()));
            if let Err(e) = NewStep::check(delay, &draft.text, media, draft.buttons.clone(), None) {
                let why = Some(refused(t, &e));
                return ask(why, "ac-drip-ask-message", wait, Step::View { id }).await;
            }
            let save = |key: &str, condition: Option<&str>| {
                Button::Do(
                    t.key(key),
                    go(Step::Save {
                        id,
                        draft: draft.clone(),
                        condition: condition.map(str::to_owned),
                    }),
                )
            };
            let screen = Screen {
                text: t.say("ac-drip-ask-condition", &[("delay", fmt_delay(delay))]),
                rows: vec![
                    vec![save("ac-drip-cond-everyone", None)],
                    vec![
                        save("ac-drip-cond-paid", Some("paid")),
                        save("ac-drip-cond-not-paid", Some("not_paid")),
                    ],
                    cancel(t, Step::View { id }),
                ],
            };
            show(ctx, panel, None, screen).await
        }
        (Wait::User { id }, Some(c)) => {
            let (wait, back) = (Wait::User { id }, Step::View { id });
            let Some(user) = text.parse::<i64>().ok().filter(|u| *u > 0) else {
                let why = Some(format!("⚠️ {}", t.key("ac-drip-bad-user")));
                return ask(why, "ac-drip-ask-user", wait, back).await;
            };
            match operator_drips::enrol_user(&ctx.db, now, &c, user).await? {
                Ok(new) => {
                    let key = if new {
                        record(
                            ctx,
                            admin,
                            "drip_enrolled",
                            Some(user),
                            format!("#{}", c.id),
                        )
                        .await?;
                        "ac-drip-enrolled-one"
                    } else {
                        "ac-drip-enrolled-already"
                    };
                    let note = t.say(key, &[("user", user.to_string())]);
                    let screen = card(ctx, t, &c, Some(note)).await?;
                    show(ctx, panel, None, screen).await
                }
                Err(e) => ask(Some(refused(t, &e)), "ac-drip-ask-user", wait, back).await,
            }
        }
        (_, None) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_are_shown_in_their_largest_whole_unit() {
        assert_eq!(fmt_delay(2 * 86_400), "2d");
        assert_eq!(fmt_delay(3 * 3600), "3h");
        assert_eq!(fmt_delay(45 * 60), "45m");
        assert_eq!(fmt_delay(90), "90s");
        for d in ["2d", "3h", "45m", "90s"] {
            assert_eq!(parse_delay(d).map(fmt_delay).as_deref(), Some(d));
        }
    }

    #[test]
    fn the_operator_takes_only_triggers_its_users_can_set_off() {
        assert!(Trigger::FirstContact.for_operator());
        assert!(Trigger::Purchase.for_operator());
        assert!(Trigger::Manual.for_operator());
        assert!(!Trigger::TagAdded.for_operator());
        assert!(!Trigger::Expiry.for_operator());
    }
}
