//! Platform plans in the bot: the seller's `/plan` (their plan, usage against its limits,
//! the other plans, changing plan by Stripe Checkout, going down to Free at the period's end,
//! renewal back on), what a buyer hears when the seller's plan takes no new members, the
//! seller's notices ([`platform_card::NOTICE_JOB`]), and the operator's `/plans` and
//! `/setplan` in the admin group.
use teloxide::{
    prelude::*,
    types::{InlineKeyboardButton, InlineKeyboardMarkup, MessageId},
};

use super::{
    admission::{locale_of, say, tr},
    bot::show,
    card::CardError,
    catalog::{self, Seller},
    platform::{self, Field, Limit, LimitReached, PlatformPlan},
    platform_card::{self, Change},
    team::{self, Action},
};
use crate::{
    accounts::users,
    bot::{BotError, HandlerResult},
    context::AppCtx,
    i18n::Locale,
    jobs::JobError,
    services::ServiceError,
};

const PREFIX: &str = "pl:";

/// What a `/plan` button does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanPress {
    /// The `/plan` screen again.
    Show,
    /// Move to a plan (by id); asks first when the seller is over its limits.
    Pick(i64),
    /// Move to a plan, having seen what stops.
    Confirm(i64),
    /// Turn the paid plan's renewal back on.
    Resume,
}

impl PlanPress {
    pub fn data(self) -> String {
        match self {
            PlanPress::Show => format!("{PREFIX}show"),
            PlanPress::Pick(id) => format!("{PREFIX}pick:{id}"),
            PlanPress::Confirm(id) => format!("{PREFIX}ok:{id}"),
            PlanPress::Resume => format!("{PREFIX}resume"),
        }
    }

    pub fn parse(data: &str) -> Option<PlanPress> {
        let rest = data.strip_prefix(PREFIX)?;
        let id = |s: &str| {
            (!s.is_empty() && s.len() <= 18 && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse::<i64>().ok())
                .flatten()
        };
        Some(match rest.split_once(':') {
            None if rest == "show" => PlanPress::Show,
            None if rest == "resume" => PlanPress::Resume,
            Some(("pick", n)) => PlanPress::Pick(id(n)?),
            Some(("ok", n)) => PlanPress::Confirm(id(n)?),
            _ => return None,
        })
    }
}

pub fn is_plan_data(data: &str) -> bool {
    data.starts_with(PREFIX)
}

fn button(label: String, press: PlanPress) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(label, press.data())
}

fn price(plan: &PlatformPlan) -> String {
    crate::billing::orders::format_price(plan.price_minor, &plan.currency)
}

fn max_text(locale: Locale, max: Option<i64>) -> String {
    max.map_or_else(|| tr(locale, "pl-unlimited", &[]), platform::group)
}

fn limit_name(locale: Locale, limit: Limit) -> String {
    let key = match limit {
        Limit::Services => "pl-limit-services",
        Limit::ActiveMembers => "pl-limit-members",
        Limit::ApiCallsPerHour => "pl-limit-calls",
    };
    tr(locale, key, &[])
}

/// One line per plan: its price and what it allows.
fn plan_line(locale: Locale, plan: &PlatformPlan) -> String {
    let cost = if plan.price_minor > 0 {
        tr(
            locale,
            "pl-price",
            &[
                ("price", price(plan)),
                ("days", plan.period_days.to_string()),
            ],
        )
    } else {
        tr(locale, "pl-price-free", &[])
    };
    tr(
        locale,
        "pl-plan-line",
        &[
            ("name", plan.name.clone()),
            ("cost", cost),
            ("services", max_text(locale, plan.max_services)),
            ("members", max_text(locale, plan.max_members)),
            ("calls", max_text(locale, plan.max_api_calls_per_hour)),
            ("fee", plan.fee_percent.to_string()),
        ],
    )
}

/// What the seller hears when a limit of their plan stops something: the limit, the plan,
/// and the plan that allows more.
pub fn limit_text(locale: Locale, reached: &LimitReached) -> String {
    let upgrade = match &reached.upgrade {
        Some(up) => tr(
            locale,
            "pl-upgrade-to",
            &[
                ("name", up.name.clone()),
                ("max", max_text(locale, reached.limit.of(up))),
                ("price", price(up)),
            ],
        ),
        None => tr(locale, "pl-upgrade-none", &[]),
    };
    tr(
        locale,
        "pl-limit-reached",
        &[
            ("plan", reached.plan.name.clone()),
            ("max", platform::group(reached.max)),
            ("limit", limit_name(locale, reached.limit)),
            ("upgrade", upgrade),
        ],
    )
}

fn plans_button(locale: Locale) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![button(
        tr(locale, "pl-see-plans", &[]),
        PlanPress::Show,
    )]])
}

/// Tells the seller (acting member) a limit stopped what they asked for, with the way up.
pub async fn tell_limit(
    ctx: &AppCtx,
    user: i64,
    locale: Locale,
    reached: &LimitReached,
) -> Result<(), BotError> {
    let kb = plans_button(locale);
    say(
        ctx,
        user,
        limit_text(locale, reached),
        Some(teloxide::types::ReplyMarkup::InlineKeyboard(kb)),
    )
    .await?;
    Ok(())
}

/// A buyer was turned away by the seller's plan: the buyer hears the seller takes no new
/// members now; the seller's owner hears why (once a day per limit).
pub async fn turned_away(
    ctx: &AppCtx,
    user: i64,
    locale: Locale,
    seller_id: i64,
    reached: &LimitReached,
) -> Result<(), BotError> {
    say(ctx, user, tr(locale, "pl-buyer-full", &[]), None).await?;
    platform_card::limit_notice(ctx, seller_id, reached).await?;
    Ok(())
}

/// `/plan`: the seller's plan, their use of its limits, and the other plans.
pub async fn screen(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    edit: Option<MessageId>,
) -> Result<(), BotError> {
    let plan = platform::current(&ctx.db, seller.id).await?;
    let usage = platform::usage(&ctx.db, seller.id).await?;
    let sub = platform::live_subscription(&ctx.db, seller.id).await?;
    let mut text = tr(
        locale,
        "pl-current",
        &[
            ("name", plan.name.clone()),
            ("fee", plan.fee_percent.to_string()),
            ("services", platform::group(usage.services)),
            ("max_services", max_text(locale, plan.max_services)),
            ("members", platform::group(usage.members)),
            ("max_members", max_text(locale, plan.max_members)),
            ("calls", max_text(locale, plan.max_api_calls_per_hour)),
        ],
    );
    if let Some(sub) = &sub {
        let date = sub
            .current_period_end
            .map_or_else(|| "-".to_owned(), |t| t.format("%Y-%m-%d").to_string());
        let key = if sub.status == "past_due" {
            "pl-status-past-due"
        } else if sub.cancel_at_period_end {
            "pl-status-ending"
        } else {
            "pl-status-renews"
        };
        text.push_str("\n\n");
        text.push_str(&tr(locale, key, &[("date", date)]));
    }
    let over = platform::over(&plan, usage);
    if !over.is_empty() {
        text.push_str("\n\n");
        text.push_str(&tr(locale, "pl-over-now", &[]));
    }
    text.push_str("\n\n");
    text.push_str(&tr(locale, "pl-all-plans", &[]));
    let mut rows = Vec::new();
    for other in platform::plans(&ctx.db).await? {
        text.push('\n');
        text.push_str(&plan_line(locale, &other));
        if other.id == plan.id {
            continue;
        }
        let label = if other.price_minor > 0 {
            tr(
                locale,
                "pl-switch-paid",
                &[("name", other.name.clone()), ("price", price(&other))],
            )
        } else {
            tr(locale, "pl-switch-free", &[("name", other.name.clone())])
        };
        rows.push(vec![button(label, PlanPress::Pick(other.id))]);
    }
    if sub.as_ref().is_some_and(|s| s.cancel_at_period_end) {
        rows.push(vec![button(
            tr(locale, "pl-resume", &[("name", plan.name.clone())]),
            PlanPress::Resume,
        )]);
    }
    show(
        ctx,
        seller.user_id,
        text,
        InlineKeyboardMarkup::new(rows),
        edit,
    )
    .await?;
    Ok(())
}

/// A `/plan` button, in the private chat.
pub(crate) async fn pressed(q: CallbackQuery, ctx: AppCtx) -> HandlerResult {
    let user = q.from.id.0 as i64;
    let locale = locale_of(&ctx, user).await?;
    let message = q.regular_message().map(|m| m.id);
    let answered = match q.data.as_deref().and_then(PlanPress::parse) {
        Some(press) => act(&ctx, user, locale, message, press).await?,
        None => false,
    };
    let mut answer = ctx.tg.bot().answer_callback_query(q.id.clone());
    if !answered {
        answer = teloxide::payloads::AnswerCallbackQuerySetters::text(
            answer,
            tr(locale, "sl-button-expired", &[]),
        );
    }
    ctx.tg.call(answer).await?;
    Ok(())
}

async fn act(
    ctx: &AppCtx,
    user: i64,
    locale: Locale,
    message: Option<MessageId>,
    press: PlanPress,
) -> Result<bool, BotError> {
    let Some(acting) = team::acting(&ctx.db, user).await? else {
        return Ok(false);
    };
    let seller = acting.seller;
    let needs = match press {
        PlanPress::Show => Action::Read,
        _ => Action::Billing,
    };
    if !acting.role.can(needs) {
        let role = super::bot_team::role_name(locale, acting.role);
        say(
            ctx,
            user,
            tr(locale, "sl-team-forbidden", &[("role", role)]),
            None,
        )
        .await?;
        return Ok(true);
    }
    match press {
        PlanPress::Show => screen(ctx, &seller, locale, message).await?,
        PlanPress::Pick(id) => return pick(ctx, &seller, acting.owner, locale, id, false).await,
        PlanPress::Confirm(id) => {
            return pick(ctx, &seller, acting.owner, locale, id, true).await;
        }
        PlanPress::Resume => {
            let Some(sub) = platform::live_subscription(&ctx.db, seller.id).await? else {
                return Ok(false);
            };
            if !sub.cancel_at_period_end {
                screen(ctx, &seller, locale, message).await?;
                return Ok(true);
            }
            match platform_card::set_cancel(ctx, &sub, false).await {
                Ok(_) => {
                    let plan = platform::current(&ctx.db, seller.id).await?;
                    let text = tr(locale, "pl-resumed", &[("name", plan.name)]);
                    say(ctx, user, text, None).await?;
                }
                Err(e) => return stripe_failed(ctx, user, locale, e).await,
            }
        }
    }
    Ok(true)
}

async fn stripe_failed(
    ctx: &AppCtx,
    user: i64,
    locale: Locale,
    e: CardError,
) -> Result<bool, BotError> {
    if let CardError::Service(e) = e {
        return Err(e.into());
    }
    tracing::warn!(error = %e, "a platform plan change at Stripe failed");
    say(ctx, user, tr(locale, "pl-stripe-unavailable", &[]), None).await?;
    Ok(true)
}

/// The seller asks to move to plan `id`.
async fn pick(
    ctx: &AppCtx,
    seller: &Seller,
    owner: i64,
    locale: Locale,
    id: i64,
    confirmed: bool,
) -> Result<bool, BotError> {
    let user = seller.user_id;
    let Some(target) = platform::plans(&ctx.db)
        .await?
        .into_iter()
        .find(|p| p.id == id)
    else {
        return Ok(false);
    };
    let Some(owner) = users::find(&ctx.db, owner).await? else {
        return Ok(false);
    };
    let change = match platform_card::change(ctx, seller, &owner, &target, confirmed).await {
        Ok(change) => change,
        Err(e) => return stripe_failed(ctx, user, locale, e).await,
    };
    match change {
        Change::Already => {
            let current = platform::current(&ctx.db, seller.id).await?;
            let text = tr(locale, "pl-already", &[("name", current.name)]);
            say(ctx, user, text, None).await?;
        }
        Change::OverLimits(over) => {
            // Nothing changes until the seller has seen what stops.
            let current = platform::current(&ctx.db, seller.id).await?;
            let lines = over
                .iter()
                .map(|(limit, used, max)| {
                    tr(
                        locale,
                        "pl-over-line",
                        &[
                            ("limit", limit_name(locale, *limit)),
                            ("used", platform::group(*used)),
                            ("max", platform::group(*max)),
                        ],
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            let text = tr(
                locale,
                "pl-over-warning",
                &[("name", target.name.clone()), ("lines", lines)],
            );
            let kb = InlineKeyboardMarkup::new(vec![
                vec![button(
                    tr(locale, "pl-over-confirm", &[("name", target.name.clone())]),
                    PlanPress::Confirm(target.id),
                )],
                vec![button(
                    tr(locale, "pl-over-keep", &[("name", current.name)]),
                    PlanPress::Show,
                )],
            ]);
            show(ctx, user, text, kb, None).await?;
        }
        Change::Ending { from, at } => {
            let date = at.map_or_else(|| "-".to_owned(), |t| t.format("%Y-%m-%d").to_string());
            let text = tr(
                locale,
                "pl-going-free",
                &[
                    ("name", from.name),
                    ("free", target.name.clone()),
                    ("date", date),
                ],
            );
            say(ctx, user, text, None).await?;
        }
        Change::Checkout { url, replaces } => {
            let Ok(url) = url::Url::parse(&url) else {
                say(ctx, user, tr(locale, "pl-stripe-unavailable", &[]), None).await?;
                return Ok(true);
            };
            let kb = InlineKeyboardMarkup::new(vec![vec![InlineKeyboardButton::url(
                tr(locale, "pl-pay-button", &[("price", price(&target))]),
                url,
            )]]);
            let replaces = replaces.map_or_else(String::new, |old| {
                tr(locale, "pl-checkout-replaces", &[("name", old.name)])
            });
            let text = tr(
                locale,
                "pl-checkout",
                &[
                    ("name", target.name.clone()),
                    ("price", price(&target)),
                    ("days", target.period_days.to_string()),
                    ("replaces", replaces),
                ],
            );
            show(ctx, user, text, kb, None).await?;
        }
    }
    Ok(true)
}

/// The job [`platform_card::NOTICE_JOB`]: tells the seller's owner about their plan.
pub async fn notice_job(ctx: &AppCtx, payload: &serde_json::Value) -> Result<(), JobError> {
    let db_retry = |e: ServiceError| JobError::Retry(e.to_string());
    let Some(seller) = payload["seller"].as_i64() else {
        return Err(JobError::Permanent("no seller".into()));
    };
    let Some(seller) = catalog::seller(&ctx.db, seller).await.map_err(db_retry)? else {
        return Ok(());
    };
    let locale = locale_of(ctx, seller.user_id).await.map_err(db_retry)?;
    let plan_named = |code: Option<&str>| {
        let code = code.unwrap_or_default().to_owned();
        async move { platform::by_code(&ctx.db, &code).await }
    };
    let text = match payload["kind"].as_str() {
        Some("limit") => {
            let limit = Limit::ALL
                .into_iter()
                .find(|l| Some(l.as_str()) == payload["limit"].as_str())
                .ok_or_else(|| JobError::Permanent("no limit".into()))?;
            // Said only while it is still true.
            let plan = platform::current(&ctx.db, seller.id)
                .await
                .map_err(db_retry)?;
            let Some(reached) = platform::reached(&ctx.db, plan, limit)
                .await
                .map_err(db_retry)?
            else {
                return Ok(());
            };
            tr(
                locale,
                "pl-notice-limit",
                &[("text", limit_text(locale, &reached))],
            )
        }
        Some("plan") => {
            let to = plan_named(payload["to"].as_str()).await.map_err(db_retry)?;
            let Some(to) = to else {
                return Ok(());
            };
            let key = if to.price_minor > 0 {
                "pl-notice-paid"
            } else {
                "pl-notice-free"
            };
            tr(
                locale,
                key,
                &[
                    ("name", to.name.clone()),
                    ("fee", to.fee_percent.to_string()),
                ],
            )
        }
        Some("ending") => {
            let plan = plan_named(payload["plan"].as_str())
                .await
                .map_err(db_retry)?;
            let Some(plan) = plan else {
                return Ok(());
            };
            let date = payload["at"]
                .as_i64()
                .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                .map_or_else(|| "-".to_owned(), |t| t.format("%Y-%m-%d").to_string());
            tr(
                locale,
                "pl-notice-ending",
                &[("name", plan.name), ("date", date)],
            )
        }
        _ => return Err(JobError::Permanent("unknown plan notice".into())),
    };
    let kb = teloxide::types::ReplyMarkup::InlineKeyboard(plans_button(locale));
    say(ctx, seller.user_id, text, Some(kb))
        .await
        .map_err(|e| JobError::Retry(e.to_string()))?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The operator, in the admin group

/// One plan's fields, for the operator.
pub fn operator_plan(plan: &PlatformPlan) -> String {
    let max = |m: Option<i64>| m.map_or_else(|| "unlimited".to_owned(), platform::group);
    format!(
        "{} ({}): {}\n  services {} · members {} · calls {} · fee {}% · period {} days",
        plan.name,
        plan.code,
        if plan.price_minor > 0 {
            price(plan)
        } else {
            "free".to_owned()
        },
        max(plan.max_services),
        max(plan.max_members),
        max(plan.max_api_calls_per_hour),
        plan.fee_percent,
        plan.period_days,
    )
}

/// `/plans`: every platform plan with its fields, how many sellers are on each, and the
/// revenue from plans.
pub async fn operator_plans(ctx: &AppCtx) -> Result<String, ServiceError> {
    let mut text = String::from("📦 Platform plans\n");
    for plan in platform::plans(&ctx.db).await? {
        text.push('\n');
        text.push_str(&operator_plan(&plan));
    }
    let revenue = platform::revenue(&ctx.db).await?;
    if !revenue.is_empty() {
        text.push_str("\n\nRevenue from plans: ");
        text.push_str(
            &revenue
                .iter()
                .map(|(c, n, a)| {
                    format!(
                        "{} ({n} invoices)",
                        crate::billing::orders::format_price(*a, c)
                    )
                })
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    text.push_str(
        "\n\nChange one with /setplan <code> <field> <value>; fields: name, price, period, \
         services, members, calls (a number or 'unlimited'), fee (percent).",
    );
    Ok(text)
}

/// `/setplan <code> <field> <value>`: the answer for the admin group.
pub async fn operator_set(ctx: &AppCtx, args: &str) -> Result<String, ServiceError> {
    let usage = "Usage: /setplan <code> <field> <value>, e.g. /setplan pro members 10000 \
                 (fields: name, price, period, services, members, calls, fee; see /plans)";
    let mut words = args.trim().splitn(3, char::is_whitespace);
    let (Some(code), Some(field), Some(value)) = (words.next(), words.next(), words.next()) else {
        return Ok(usage.to_owned());
    };
    let Some(field) = Field::parse(field) else {
        return Ok(format!("⚠️ There is no field '{field}'. {usage}"));
    };
    Ok(
        match platform::set(&ctx.db, ctx.now(), &code.to_ascii_lowercase(), field, value).await? {
            Ok(plan) => format!(
                "✅ {} ({}): {} is now {}. Sellers on it have the new value at once; a new \
                 price applies to new subscriptions.",
                plan.name,
                plan.code,
                field.as_str(),
                value.trim()
            ),
            Err(platform::Refused(why)) => format!("⚠️ Nothing changed: {why}."),
        },
    )
}
