//! Messaging in the bot: `/stop` (the sellers a user hears from, each with a stop or resume
//! button), the presses of those buttons and of "this wasn't me" on a code, and the deep link
//! (`/start c_<seller>_<l|t>`) an OTP send gives back for a user who never started the bot.
use teloxide::{
    payloads::AnswerCallbackQuerySetters,
    prelude::*,
    types::{InlineKeyboardButton, InlineKeyboardMarkup},
};

use super::{
    contacts::{self, Source},
    drips,
    notify::{self, Press, resume_button, stop_button, tr},
    otp,
};
use crate::{
    accounts::users::{self, User},
    bot::{HandlerResult, handlers::locale_of_user},
    context::AppCtx,
    i18n::Locale,
    sellers::{audit, tenant::Tenant},
    storage::entities::sellers,
};

/// The deep-link payload prefix that brings a user back for a seller's code.
pub const LINK_PREFIX: &str = "c_";

/// `c_<seller>_l` (live) or `c_<seller>_t` (test).
pub fn link_payload(t: Tenant) -> String {
    format!(
        "{LINK_PREFIX}{}_{}",
        t.seller_id,
        if t.livemode { "l" } else { "t" }
    )
}

fn parse_link(rest: &str) -> Option<Tenant> {
    let (id, mode) = rest.split_once('_')?;
    let seller_id = id.parse::<i64>().ok().filter(|n| *n > 0)?;
    let livemode = match mode {
        "l" => true,
        "t" => false,
        _ => return None,
    };
    Some(Tenant {
        seller_id,
        livemode,
    })
}

async fn say(
    ctx: &AppCtx,
    user: i64,
    text: String,
    keyboard: Option<InlineKeyboardMarkup>,
) -> HandlerResult {
    let chat = ChatId(user);
    let mut req = ctx.tg.bot().send_message(chat, text);
    if let Some(k) = keyboard {
        req = teloxide::payloads::SendMessageSetters::reply_markup(req, k);
    }
    ctx.tg.send(chat, req).await?;
    Ok(())
}

async fn seller(ctx: &AppCtx, id: i64) -> Result<Option<sellers::Model>, crate::bot::BotError> {
    Ok(crate::sellers::catalog::seller(&ctx.db, id).await?)
}

/// Whom a stop or resume button names: a seller, or the operator (the bot's own drip
/// messages); its id and name.
async fn sender(ctx: &AppCtx, id: i64) -> Result<Option<(i64, String)>, crate::bot::BotError> {
    if id == drips::OPERATOR.seller_id {
        return Ok(Some((id, notify::operator_name(ctx).await)));
    }
    Ok(seller(ctx, id).await?.map(|s| (s.id, s.display_name)))
}

/// `/start c_<seller>_<l|t>`: the user is the seller's contact now and can be sent codes.
pub(crate) async fn link_opened(
    ctx: &AppCtx,
    user: i64,
    locale: Locale,
    rest: &str,
) -> HandlerResult {
    let found = match parse_link(rest) {
        Some(t) => seller(ctx, t.seller_id).await?.map(|s| (t, s)),
        None => None,
    };
    let Some((t, s)) = found else {
        return say(ctx, user, tr(locale, "msg-link-unknown", &[]), None).await;
    };
    contacts::record(&ctx.db, ctx.now(), t, user, Source::Otp).await?;
    if contacts::may_message(&ctx.db, s.id, user).await? {
        let text = tr(
            locale,
            "msg-link-opened",
            &[("seller", s.display_name.clone())],
        );
        let keyboard =
            InlineKeyboardMarkup::new([vec![stop_button(locale, s.id, &s.display_name)]]);
        say(ctx, user, text, Some(keyboard)).await
    } else {
        let text = tr(
            locale,
            "msg-link-opened-stopped",
            &[("seller", s.display_name.clone())],
        );
        say(ctx, user, text, None).await
    }
}

/// `/stop`: the sellers the user hears from or stopped, each with its button.
pub(crate) async fn stop_list(ctx: &AppCtx, user: &User) -> HandlerResult {
    let locale = locale_of_user(ctx, user);
    let operator = notify::operator_name(ctx).await;
    let heard = contacts::sellers_of(&ctx.db, user.id, &operator).await?;
    if heard.is_empty() {
        return say(ctx, user.id, tr(locale, "msg-stop-none", &[]), None).await;
    }
    let lines: Vec<String> = heard
        .iter()
        .map(|h| {
            let key = if h.stopped {
                "msg-stop-line-stopped"
            } else {
                "msg-stop-line-on"
            };
            tr(locale, key, &[("seller", h.name.clone())])
        })
        .collect();
    let text = tr(locale, "msg-stop-list", &[("sellers", lines.join("\n"))]);
    let rows: Vec<Vec<InlineKeyboardButton>> = heard
        .iter()
        .map(|h| {
            vec![if h.stopped {
                resume_button(locale, h.seller_id, &h.name)
            } else {
                stop_button(locale, h.seller_id, &h.name)
            }]
        })
        .collect();
    say(ctx, user.id, text, Some(InlineKeyboardMarkup::new(rows))).await
}

/// A messaging button (`ms:…`) in the private chat.
pub(crate) async fn pressed(q: CallbackQuery, ctx: AppCtx) -> HandlerResult {
    let user_id = q.from.id.0 as i64;
    let user = users::find(&ctx.db, user_id).await?;
    let locale = match &user {
        Some(u) => locale_of_user(&ctx, u),
        None => Locale::resolve(
            None,
            q.from.language_code.as_deref(),
            ctx.config.default_locale,
        ),
    };
    let press = q.data.as_deref().and_then(Press::parse);
    let answered = match press {
        Some(press) => act(&ctx, &q, user_id, locale, press).await?,
        None => false,
    };
    let mut answer = ctx.tg.bot().answer_callback_query(q.id.clone());
    if !answered {
        answer = answer.text(tr(locale, "msg-button-expired", &[]));
    }
    ctx.tg.call(answer).await?;
    Ok(())
}

async fn act(
    ctx: &AppCtx,
    q: &CallbackQuery,
    user: i64,
    locale: Locale,
    press: Press,
) -> Result<bool, crate::bot::BotError> {
    let now = ctx.now();
    match press {
        Press::Stop(id) => {
            let Some((id, name)) = sender(ctx, id).await? else {
                return Ok(false);
            };
            contacts::stop(&ctx.db, now, id, user).await?;
            let keyboard = InlineKeyboardMarkup::new([vec![resume_button(locale, id, &name)]]);
            // Stopping the operator stops its drip messages only: the chat goes on.
            let key = if id == drips::OPERATOR.seller_id {
                "msg-operator-stopped"
            } else {
                "msg-stopped"
            };
            let text = tr(locale, key, &[("seller", name)]);
            say(ctx, user, text, Some(keyboard)).await?;
            Ok(true)
        }
        Press::Resume(id) => {
            let Some((id, name)) = sender(ctx, id).await? else {
                return Ok(false);
            };
            contacts::resume(&ctx.db, id, user).await?;
            let keyboard = InlineKeyboardMarkup::new([vec![stop_button(locale, id, &name)]]);
            let text = tr(locale, "msg-resumed", &[("seller", name)]);
            say(ctx, user, text, Some(keyboard)).await?;
            Ok(true)
        }
        Press::NotMe(id) => {
            let Some(code) = otp::report(&ctx.db, now, id, user).await? else {
                return Ok(false);
            };
            let Some(s) = seller(ctx, code.seller_id).await? else {
                return Ok(false);
            };
            let who = match &q.from.username {
                Some(u) => format!("@{u}"),
                None => q.from.first_name.clone(),
            };
            audit::record(
                &ctx.db,
                now,
                s.id,
                user,
                "otp_reported",
                Some(user),
                otp::public_id(code.id),
            )
            .await?;
            notify::report_abuse(ctx, &s, &code, &who).await?;
            let text = tr(
                locale,
                "msg-not-me-done",
                &[("seller", s.display_name.clone())],
            );
            say(ctx, user, text, None).await?;
            Ok(true)
        }
    }
}

/// A delay as a seller types it: `90` (seconds), `30s`, `10m`, `2h` or `3d`.
pub fn parse_delay(s: &str) -> Option<i64> {
    let s = s.trim().to_ascii_lowercase();
    let (num, unit) = match s.char_indices().last()? {
        (at, c) if c.is_ascii_alphabetic() => (&s[..at], c),
        _ => (s.as_str(), 's'),
    };
    let n: i64 = num.parse().ok()?;
    let mult = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return None,
    };
    n.checked_mul(mult)
}

/// `/drips` and `/drip …`: a seller's drip campaigns (live mode) with their numbers, and the
/// short commands that make and run them.
/// A `/drip step` that answers a photo, video or document takes that media (and its caption
/// unless the command gives a text).
pub(crate) async fn drips_command(
    ctx: &AppCtx,
    user: &User,
    args: &str,
    reply: Option<&Message>,
) -> HandlerResult {
    let locale = locale_of_user(ctx, user);
    let Some(s) = crate::sellers::catalog::seller_of_user(&ctx.db, user.id).await? else {
        return say(ctx, user.id, tr(locale, "drip-not-seller", &[]), None).await;
    };
    let t = Tenant {
        seller_id: s.id,
        livemode: true,
    };
    let args = args.trim();
    let (verb, rest) = args.split_once(' ').unwrap_or((args, ""));
    let rest = rest.trim();
    let text = match verb {
        "" | "list" => drip_list(ctx, locale, t).await?,
        "new" => {
            let new = NewArgs::parse(rest);
            match drips::NewCampaign::check(new.name, new.trigger, new.tag, new.goal) {
                Err(e) => drip_bad(locale, &e),
                Ok(new) => match drips::create(&ctx.db, ctx.now(), t, new).await? {
                    Err(e) => drip_bad(locale, &e),
                    Ok(c) => tr(
                        locale,
                        "drip-created",
                        &[("name", c.name.clone()), ("id", c.id.to_string())],
                    ),
                },
            }
        }
        "step" => {
            let (id, rest) = first_word(rest);
            let (delay, body) = first_word(rest);
            match drip_of(ctx, t, id).await? {
                None => tr(locale, "drip-unknown", &[("id", id.to_owned())]),
                Some(c) => {
                    let step = StepArgs::parse(body, reply);
                    let checked = match parse_delay(delay) {
                        None => Err(drips::BadDrip::Delay),
                        Some(secs) => drips::NewStep::check(
                            secs,
                            &step.text,
                            step.media.as_ref().map(|(k, f)| (k.as_str(), f.as_str())),
                            step.buttons,
                            step.condition,
                        ),
                    };
                    match checked {
                        Err(e) => drip_bad(locale, &e),
                        Ok(step) => match drips::add_step(&ctx.db, ctx.now(), &c, step).await? {
                            Err(e) => drip_bad(locale, &e),
                            Ok(step) => tr(
                                locale,
                                "drip-step-added",
                                &[
                                    ("position", step.position.to_string()),
                                    ("name", c.name.clone()),
                                    ("delay", fmt_delay(step.delay_secs)),
                                ],
                            ),
                        },
                    }
                }
            }
        }
        "enrol" | "enroll" => {
            let (id, who) = first_word(rest);
            match drip_of(ctx, t, id).await? {
                None => tr(locale, "drip-unknown", &[("id", id.to_owned())]),
                Some(c) => {
                    let who = who.trim();
                    let contact = match contacts::parse_id(who) {
                        Some(cid) => contacts::get(&ctx.db, t, cid).await?,
                        None => match who.parse::<i64>() {
                            Ok(user) if user > 0 => contacts::by_user(&ctx.db, t, user).await?,
                            _ => None,
                        },
                    };
                    match contact {
                        None => tr(locale, "drip-enrol-unknown", &[("who", who.to_owned())]),
                        Some(contact) => {
                            let (_, fresh) =
                                drips::enroll(&ctx.db, ctx.now(), &c, &contact).await?;
                            let key = if fresh {
                                "drip-enrolled"
                            } else {
                                "drip-enrolled-already"
                            };
                            tr(
                                locale,
                                key,
                                &[
                                    ("who", contacts::public_id(contact.id)),
                                    ("name", c.name.clone()),
                                ],
                            )
                        }
                    }
                }
            }
        }
        "pause" | "resume" => match drip_of(ctx, t, rest).await? {
            None => tr(locale, "drip-unknown", &[("id", rest.to_owned())]),
            Some(c) => {
                let (status, key) = if verb == "pause" {
                    (drips::Status::Paused, "drip-paused")
                } else {
                    (drips::Status::Active, "drip-resumed")
                };
                drips::set_status(&ctx.db, ctx.now(), t, c.id, status).await?;
                tr(locale, key, &[("name", c.name.clone())])
            }
        },
        _ => tr(locale, "drip-usage", &[]),
    };
    say(ctx, user.id, text, None).await
}

/// The first word of `s` and the rest (any whitespace, newlines included, separates them).
fn first_word(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    match s.find(char::is_whitespace) {
        Some(i) => (&s[..i], s[i..].trim_start()),
        None => (s, ""),
    }
}

/// `/drip new [TRIGGER|tag:TAG] [goal:paid] NAME`.
#[derive(Debug, PartialEq, Eq)]
struct NewArgs<'a> {
    trigger: &'a str,
    tag: Option<&'a str>,
    goal: Option<&'a str>,
    name: &'a str,
}

impl<'a> NewArgs<'a> {
    fn parse(mut rest: &'a str) -> Self {
        let mut new = NewArgs {
            trigger: drips::Trigger::Manual.as_str(),
            tag: None,
            goal: None,
            name: "",
        };
        let (mut trigger_seen, mut goal_seen) = (false, false);
        loop {
            let (word, after) = first_word(rest);
            if let Some(goal) = word.strip_prefix("goal:").filter(|_| !goal_seen) {
                new.goal = Some(goal);
                goal_seen = true;
            } else if let Some(tag) = word.strip_prefix("tag:").filter(|_| !trigger_seen) {
                new.trigger = drips::Trigger::TagAdded.as_str();
                new.tag = Some(tag);
                trigger_seen = true;
            } else if !trigger_seen && drips::Trigger::parse(word).is_some() {
                new.trigger = word;
                trigger_seen = true;
            } else {
                break;
            }
            rest = after;
        }
        new.name = rest.trim();
        new
    }
}

/// A `/drip step` body: `if:paid`, `if:not_paid` or `if:tag:TAG` first (optional), then the
/// text, whose last lines of the form `Label | https://…` are its buttons; the media of the
/// message the command answers.
#[derive(Debug, PartialEq, Eq)]
struct StepArgs<'a> {
    condition: Option<&'a str>,
    text: String,
    media: Option<(String, String)>,
    buttons: Vec<drips::Button>,
}

impl<'a> StepArgs<'a> {
    fn parse(body: &'a str, reply: Option<&Message>) -> Self {
        let (first, after) = first_word(body);
        let (condition, body) = match first.strip_prefix("if:") {
            Some(c) => (Some(c), after),
            None => (None, body),
        };
        let (mut text, buttons) = drips::split_link_buttons(body);
        let media = reply.and_then(media_of);
        if let Some(caption) = reply.and_then(|m| m.caption()).filter(|_| text.is_empty()) {
            text = caption.to_owned();
        }
        StepArgs {
            condition,
            text,
            media,
            buttons,
        }
    }
}

/// The kind and file id of a message's photo (the largest size), video or document.
fn media_of(m: &Message) -> Option<(String, String)> {
    let (kind, file) = if let Some(p) = m.photo().and_then(|sizes| sizes.last()) {
        (drips::MediaKind::Photo, p.file.id.0.clone())
    } else if let Some(v) = m.video() {
        (drips::MediaKind::Video, v.file.id.0.clone())
    } else if let Some(d) = m.document() {
        (drips::MediaKind::Document, d.file.id.0.clone())
    } else {
        return None;
    };
    Some((kind.as_str().to_owned(), file))
}

async fn drip_of(
    ctx: &AppCtx,
    t: Tenant,
    id: &str,
) -> Result<Option<drips::Campaign>, crate::bot::BotError> {
    let id = id.trim();
    let n = id
        .parse::<i64>()
        .ok()
        .or_else(|| drips::parse_id(id))
        .filter(|n| *n > 0);
    Ok(match n {
        Some(n) => drips::get(&ctx.db, t, n).await?,
        None => None,
    })
}

fn drip_bad(locale: Locale, e: &drips::BadDrip) -> String {
    tr(locale, "drip-bad", &[("why", e.to_string())])
}

fn fmt_delay(secs: i64) -> String {
    match secs {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

async fn drip_list(
    ctx: &AppCtx,
    locale: Locale,
    t: Tenant,
) -> Result<String, crate::bot::BotError> {
    let campaigns = drips::list(&ctx.db, t).await?;
    if campaigns.is_empty() {
        return Ok(tr(locale, "drip-none", &[]));
    }
    let mut out = vec![tr(locale, "drip-list-title", &[])];
    for c in campaigns {
        let st = drips::stats(&ctx.db, c.id).await?;
        let status = if c.status == drips::Status::Paused.as_str() {
            tr(locale, "drip-status-paused", &[])
        } else {
            tr(locale, "drip-status-active", &[])
        };
        out.push(tr(
            locale,
            "drip-line",
            &[
                ("id", c.id.to_string()),
                ("name", c.name.clone()),
                ("trigger", c.trigger.clone()),
                ("status", status),
                ("enrolled", st.enrolled.to_string()),
                ("goal", st.goal_met.to_string()),
            ],
        ));
        for step in &st.steps {
            out.push(tr(
                locale,
                "drip-step-line",
                &[
                    ("position", step.position.to_string()),
                    ("sent", step.sent.to_string()),
                    ("clicks", step.clicks.to_string()),
                    ("conversions", step.conversions.to_string()),
                ],
            ));
        }
    }
    out.push(tr(locale, "drip-usage", &[]));
    Ok(out.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_read_as_sellers_type_them() {
        assert_eq!(parse_delay("90"), Some(90));
        assert_eq!(parse_delay("30s"), Some(30));
        assert_eq!(parse_delay("10m"), Some(600));
        assert_eq!(parse_delay("2H"), Some(7200));
        assert_eq!(parse_delay("3d"), Some(259_200));
        for bad in ["", "m", "1w", "ten", "1.5h"] {
            assert_eq!(parse_delay(bad), None, "{bad}");
        }
        assert_eq!(fmt_delay(600), "10m");
        assert_eq!(fmt_delay(90), "90s");
    }

    #[test]
    fn drip_commands_read_their_options() {
        let n = NewArgs::parse("purchase goal:paid Thank you");
        assert_eq!(
            n,
            NewArgs {
                trigger: "purchase",
                tag: None,
                goal: Some("paid"),
                name: "Thank you"
            }
        );
        let n = NewArgs::parse("tag:vip  VIP welcome");
        assert_eq!(
            (n.trigger, n.tag, n.name),
            ("tag_added", Some("vip"), "VIP welcome")
        );
        // A name that happens to start like a trigger after one was given stays the name.
        let n = NewArgs::parse("expiry expiry reminder");
        assert_eq!((n.trigger, n.name), ("expiry", "expiry reminder"));
        assert_eq!(NewArgs::parse("Welcome").trigger, "manual");

        let s = StepArgs::parse(
            "if:tag:vip Hello!\nSee the guide.\nGuide | https://example.com/g\nShop | tg://resolve?domain=x",
            None,
        );
        assert_eq!(s.condition, Some("tag:vip"));
        assert_eq!(s.text, "Hello!\nSee the guide.");
        let labels: Vec<&str> = s.buttons.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(labels, ["Guide", "Shop"]);
        // A line with a bar but no link is text.
        let s = StepArgs::parse("Prices | from 5 EUR", None);
        assert_eq!(
            (s.text.as_str(), s.buttons.len()),
            ("Prices | from 5 EUR", 0)
        );
        // Nor is the first line, whatever it looks like.
        let s = StepArgs::parse("Read | https://example.com/a", None);
        assert_eq!(s.buttons.len(), 0);
        assert_eq!(first_word("7\n2h text"), ("7", "2h text"));
    }

    #[test]
    fn link_payloads_name_the_tenant() {
        let t = Tenant {
            seller_id: 12,
            livemode: false,
        };
        let p = link_payload(t);
        assert_eq!(p, "c_12_t");
        assert_eq!(parse_link(p.strip_prefix(LINK_PREFIX).unwrap()), Some(t));
        for bad in ["12", "12_x", "x_l", "0_l", "-3_t"] {
            assert_eq!(parse_link(bad), None, "{bad}");
        }
    }
}
