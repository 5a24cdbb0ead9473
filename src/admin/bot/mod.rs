//! Commands of the admin group. Inside a user's topic they act on that user. `/admin` opens
//! the control center ([`center`]).
pub(crate) mod center;

use teloxide::prelude::*;

use crate::{
    admin::Standing,
    bot::{AdminCommand, BotError, HandlerResult, Reply},
    context::AppCtx,
    domain::split_target,
    jobs,
    relay::bot::user_locale,
    {
        accounts::credits::{self, Granted, Movement, Reason},
        accounts::users::{self, User},
        billing::passes::{self, PassKind},
        relay::threads as relay,
        services::settings,
    },
};
use crate::{
    bot::handlers::fmt_time, bot::handlers::fmt_wait, bot::handlers::send_admin,
    bot::handlers::send_private,
};

async fn target(
    ctx: &AppCtx,
    msg: &Message,
    args: &str,
    arity: usize,
    usage: &str,
) -> Result<Option<(User, Vec<String>)>, BotError> {
    let thread = msg.thread_id.filter(|_| msg.is_topic_message);
    let topic_user = match thread {
        Some(t) => relay::user_of_topic(&ctx.db, msg.chat.id.0, t.0.0).await?,
        None => None,
    };
    let Some((id, rest)) = split_target(args, topic_user, arity) else {
        send_admin(
            ctx,
            msg.chat.id,
            thread,
            &Reply::AdminUsage {
                usage: usage.to_owned(),
            },
        )
        .await?;
        return Ok(None);
    };
    match users::find(&ctx.db, id).await? {
        Some(user) => Ok(Some((user, rest.into_iter().map(str::to_owned).collect()))),
        None => {
            send_admin(
                ctx,
                msg.chat.id,
                thread,
                &Reply::AdminUnknownUser { user: id },
            )
            .await?;
            Ok(None)
        }
    }
}

/// Plain text back where the command was given.
async fn say_text(
    ctx: &AppCtx,
    msg: &Message,
    thread: Option<teloxide::types::ThreadId>,
    text: String,
) -> HandlerResult {
    let mut req = ctx.tg.bot().send_message(msg.chat.id, text);
    if let Some(thread) = thread {
        req = teloxide::payloads::SendMessageSetters::message_thread_id(req, thread);
    }
    ctx.tg.send(msg.chat.id, req).await?;
    Ok(())
}

pub(crate) async fn command(msg: Message, cmd: AdminCommand, ctx: AppCtx) -> HandlerResult {
    let thread = msg.thread_id.filter(|_| msg.is_topic_message);
    let admin_id = msg.from.as_ref().map_or(0, |u| u.id.0);
    let say = |reply: Reply| {
        let ctx = ctx.clone();
        let chat = msg.chat.id;
        async move { send_admin(&ctx, chat, thread, &reply).await.map(|_| ()) }
    };
    // Checked on every command: plain members of the admin group answer users, nothing more.
    let standing = match msg.from.as_ref() {
        Some(from) if !from.is_bot => {
            ctx.admins
                .standing(&ctx.tg, ctx.now(), from.id.0 as i64, msg.chat.id.0)
                .await
        }
        _ => Standing::None,
    };
    if !standing.is_admin() {
        tracing::info!(
            user_id = admin_id,
            command = ?cmd,
            "admin command refused: not an administrator"
        );
        return say(Reply::AdminOnly).await;
    }
    match cmd {
        AdminCommand::Admin => center::open(&ctx, msg.chat.id, thread, admin_id as i64).await,
        AdminCommand::User(args) => {
            let usage = "/user (in a user's topic) or /user <user id>";
            let Some((user, _)) = target(&ctx, &msg, &args, 0, usage).await? else {
                return Ok(());
            };
            center::card_panel(&ctx, msg.chat.id, thread, admin_id as i64, user.id).await
        }
        AdminCommand::Credits(args) => {
            let usage = "/credits +N reason (in a user's topic) or /credits <user id> +N reason";
            let topic_user = match thread {
                Some(t) => relay::user_of_topic(&ctx.db, msg.chat.id.0, t.0.0).await?,
                None => None,
            };
            let (user_id, change) = match topic_user {
                Some(id) => (Some(id), args.trim().to_owned()),
                None => match args.trim().split_once(char::is_whitespace) {
                    Some((id, rest)) => (id.parse::<i64>().ok(), rest.trim().to_owned()),
                    None => (None, String::new()),
                },
            };
            let (Some(user_id), Some((amount, reason))) = (user_id, center::parse_credits(&change))
            else {
                return say(Reply::AdminUsage {
                    usage: usage.to_owned(),
                })
                .await;
            };
            let Some(user) = users::find(&ctx.db, user_id).await? else {
                return say(Reply::AdminUnknownUser { user: user_id }).await;
            };
            let key = format!("admin_credits:{}:{}", msg.chat.id.0, msg.id.0);
            match center::change_credits(&ctx, admin_id as i64, &user, amount, &reason, key).await?
            {
                center::Credited::Done(Some(balance)) => {
                    say(Reply::AdminCreditsChanged {
                        user: user.id,
                        amount,
                        balance,
                    })
                    .await
                }
                center::Credited::Done(None) => Ok(()),
                center::Credited::Short(balance) => {
                    say(Reply::AdminBadSetting {
                        problem: format!(
                            "user {} has only {balance} credits; nothing was taken",
                            user.id
                        ),
                    })
                    .await
                }
            }
        }
        AdminCommand::Close | AdminCommand::Reopen => {
            let closed = matches!(cmd, AdminCommand::Close);
            let topic_user = match thread {
                Some(t) => relay::user_of_topic(&ctx.db, msg.chat.id.0, t.0.0).await?,
                None => None,
            };
            let Some(user) = topic_user else {
                return say(Reply::AdminUsage {
                    usage: "/close or /reopen (in a user's topic)".into(),
                })
                .await;
            };
            if center::close_conversation(&ctx, admin_id as i64, user, closed).await? {
                let key = if closed {
                    "admin-conversation-closed"
                } else {
                    "admin-conversation-reopened"
                };
                let args: crate::i18n::Args = [("user".into(), user.to_string().into())]
                    .into_iter()
                    .collect();
                let text = crate::i18n::text(ctx.config.default_locale, key, &args);
                return say_text(&ctx, &msg, thread, text).await;
            }
            say(Reply::AdminUnknownUser { user }).await
        }
        AdminCommand::Note(args) => {
            let topic_user = match thread {
                Some(t) => relay::user_of_topic(&ctx.db, msg.chat.id.0, t.0.0).await?,
                None => None,
            };
            let usage = || Reply::AdminUsage {
                usage: "/note <text> (in a user's topic; up to 1,000 characters)".into(),
            };
            let Some(user) = topic_user else {
                return say(usage()).await;
            };
            let now = ctx.now();
            if !crate::admin::notes::add(&ctx.db, now, user, admin_id as i64, &args).await? {
                return say(usage()).await;
            }
            crate::admin::audit::record(
                &ctx.db,
                now,
                crate::admin::audit::Action {
                    admin_id: admin_id as i64,
                    what: "note",
                    target_user: Some(user),
                    before: None,
                    after: Some(args.trim().to_owned()),
                },
            )
            .await?;
            say(Reply::AdminNoteKept { user }).await
        }
        AdminCommand::Qr => {
            let user = match thread {
                Some(t) => relay::user_of_topic(&ctx.db, msg.chat.id.0, t.0.0).await?,
                None => None,
            };
            let user = match user {
                Some(id) => users::find(&ctx.db, id).await?,
                None => None,
            };
            match user {
                Some(user) => {
                    center::quick_replies_for(&ctx, msg.chat.id, thread, admin_id as i64, &user)
                        .await
                }
                None => {
                    say(Reply::AdminUsage {
                        usage: "/qr (in a user's topic)".into(),
                    })
                    .await
                }
            }
        }
        AdminCommand::Status => {
            let counts = users::counts(&ctx.db, ctx.now() - chrono::Duration::hours(24)).await?;
            let jobs = jobs::counts(&ctx.db)
                .await
                .map_err(|e| BotError::Service(e.into()))?;
            let backlog = crate::relay::backlog::stats(&ctx.db).await?;
            say(Reply::AdminStatus {
                version: env!("CARGO_PKG_VERSION").to_owned(),
                users: counts.total,
                active: counts.active_since,
                jobs_queued: jobs.get("queued").copied().unwrap_or(0),
                jobs_dead: jobs.get("dead").copied().unwrap_or(0),
                relay_waiting: backlog.waiting,
                relay_oldest: backlog
                    .oldest
                    .map_or("—".to_owned(), |t| fmt_wait(ctx.now() - t)),
            })
            .await
        }
        AdminCommand::Grant(args) => {
            let usage = "/grant <credits> (in a user's topic) or /grant <user id> <credits>";
            let Some((user, rest)) = target(&ctx, &msg, &args, 1, usage).await? else {
                return Ok(());
            };
            let Some(amount) = rest[0]
                .parse::<i64>()
                .ok()
                .filter(|a| (1..=1_000_000).contains(a))
            else {
                return say(Reply::AdminUsage {
                    usage: usage.to_owned(),
                })
                .await;
            };
            // Keyed by the admin's message: a redelivered command grants once.
            let movement = Movement::new(user.id, amount, Reason::AdminGrant)
                .key(format!("admin_grant:{}:{}", msg.chat.id.0, msg.id.0))
                .actor(format!("admin:{admin_id}"));
            if let Granted::Applied { balance } =
                credits::grant(&ctx.db, ctx.now(), &movement).await?
            {
                send_private(
                    &ctx,
                    user.id,
                    &Reply::CreditsGranted { amount, balance },
                    user_locale(&ctx, &user),
                )
                .await?;
                say(Reply::AdminGranted {
                    user: user.id,
                    amount,
                    balance,
                })
                .await?;
            }
            Ok(())
        }
        AdminCommand::Pass(args) => {
            let usage =
                "/pass day|week|month (in a user's topic) or /pass <user id> day|week|month";
            let Some((user, rest)) = target(&ctx, &msg, &args, 1, usage).await? else {
                return Ok(());
            };
            let Some(kind) = PassKind::parse(&rest[0]) else {
                return say(Reply::AdminUsage {
                    usage: usage.to_owned(),
                })
                .await;
            };
            let pass = passes::grant(&ctx.db, ctx.now(), user.id, kind, "admin").await?;
            ctx.jobs.notify();
            let until = fmt_time(pass.ends_at);
            send_private(
                &ctx,
                user.id,
                &Reply::PassGranted {
                    until: until.clone(),
                },
                user_locale(&ctx, &user),
            )
            .await?;
            say(Reply::AdminPassGranted {
                user: user.id,
                until,
            })
            .await
        }
        AdminCommand::Ban(ref args) | AdminCommand::Unban(ref args) => {
            let ban = matches!(cmd, AdminCommand::Ban(_));
            let usage = if ban {
                "/ban (in a user's topic) or /ban <user id>"
            } else {
                "/unban (in a user's topic) or /unban <user id>"
            };
            let Some((user, _)) = target(&ctx, &msg, args, 0, usage).await? else {
                return Ok(());
            };
            users::set_banned(&ctx.db, user.id, ban).await?;
            say(if ban {
                Reply::AdminBanned { user: user.id }
            } else {
                Reply::AdminUnbanned { user: user.id }
            })
            .await
        }
        AdminCommand::Plans => {
            let text = crate::sellers::bot_platform::operator_plans(&ctx).await?;
            say_text(&ctx, &msg, thread, text).await
        }
        AdminCommand::Setplan(args) => {
            let text = crate::sellers::bot_platform::operator_set(&ctx, &args).await?;
            say_text(&ctx, &msg, thread, text).await
        }
        AdminCommand::Sellers => {
            let text = crate::sellers::bot::operator_list(&ctx).await?;
            say_text(&ctx, &msg, thread, text).await
        }
        AdminCommand::Suspend(args) => {
            let admin = admin_id as i64;
            let text = crate::sellers::bot::operator_suspend(&ctx, admin, &args, true).await?;
            say_text(&ctx, &msg, thread, text).await
        }
        AdminCommand::Unsuspend(args) => {
            let admin = admin_id as i64;
            let text = crate::sellers::bot::operator_suspend(&ctx, admin, &args, false).await?;
            say_text(&ctx, &msg, thread, text).await
        }
        AdminCommand::Refund(args) => {
            let usage = || Reply::AdminUsage {
                usage: "/refund <order id>".into(),
            };
            let Ok(id) = args.trim().parse::<i64>() else {
                return say(usage()).await;
            };
            let Some(order) = crate::billing::orders::find(&ctx.db, id).await? else {
                return say(usage()).await;
            };
            let refused = |reason: &str| Reply::AdminRefundRefused {
                order: order.id,
                reason: reason.to_owned(),
            };
            if !order.status.is_refundable() {
                return say(refused(&format!("the order is {}", order.status))).await;
            }
            match crate::billing::refunds::refund(&ctx, &order).await {
                Ok(()) => say(Reply::AdminRefundRequested { order: order.id }).await,
                Err(e) => {
                    tracing::warn!(order = order.id, error = %e, "refund failed");
                    say(refused(&e.to_string())).await
                }
            }
        }
        AdminCommand::Tier(args) => {
            let usage = || Reply::AdminUsage {
                usage: "/tier <name> <cost per message> [description]".into(),
            };
            let mut words = args.split_whitespace();
            let (Some(name), Some(cost)) = (words.next(), words.next()) else {
                return say(usage()).await;
            };
            let Some(cost) = cost
                .parse::<i64>()
                .ok()
                .filter(|c| (0..=1_000_000).contains(c))
            else {
                return say(usage()).await;
            };
            if name.chars().count() > 64 {
                return say(usage()).await;
            }
            let description = words.collect::<Vec<_>>().join(" ");
            crate::accounts::tiers::upsert(&ctx.db, ctx.now(), name, cost, &description).await?;
            say(Reply::AdminTierSaved {
                name: name.to_owned(),
                cost,
            })
            .await
        }
        AdminCommand::Settier(args) => {
            let usage = "/settier <tier> (in a user's topic) or /settier <user id> <tier>";
            let Some((user, rest)) = target(&ctx, &msg, &args, 1, usage).await? else {
                return Ok(());
            };
            let Some(tier) = crate::accounts::tiers::by_name(&ctx.db, &rest[0]).await? else {
                return say(Reply::AdminBadSetting {
                    problem: format!("there is no tier '{}' (create it with /tier)", rest[0]),
                })
                .await;
            };
            crate::accounts::tiers::assign(&ctx.db, user.id, Some(tier.id)).await?;
            say(Reply::AdminTierAssigned {
                user: user.id,
                name: tier.name,
            })
            .await
        }
        AdminCommand::Settings => {
            let list = settings::list(&ctx.db)
                .await?
                .into_iter()
                .map(|(k, v)| format!("{k} = {v}"))
                .collect::<Vec<_>>()
                .join("\n");
            say(Reply::AdminSettings { list }).await
        }
        AdminCommand::Set(args) => {
            let Some((key, value)) = args.trim().split_once(char::is_whitespace) else {
                return say(Reply::AdminUsage {
                    usage: "/set <name> <value> (see /settings)".into(),
                })
                .await;
            };
            match settings::set_from_text(&ctx.db, ctx.now(), key, value.trim()).await? {
                Ok(value) => {
                    say(Reply::AdminSettingSet {
                        key: key.to_owned(),
                        value,
                    })
                    .await
                }
                Err(problem) => {
                    say(Reply::AdminBadSetting {
                        problem: problem.to_string(),
                    })
                    .await
                }
            }
        }
    }
}
