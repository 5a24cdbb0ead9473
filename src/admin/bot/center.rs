//! The control center: `/admin` opens one message with the categories; every press edits that
//! message (back and home on every screen, pages for every list). Presses name a stored action
//! ([`panels`]); who pressed is checked on every press; every change is audited ([`audit`]).
//! Multi-step inputs (a search, a credit change, a setting) wait for the admin's next message
//! in the chat, with cancel on every step.
mod campaigns;
mod drips;

use serde::{Deserialize, Serialize};
use teloxide::{
    payloads::{
        EditForumTopicSetters, EditMessageTextSetters, SendDocumentSetters, SendMessageSetters,
        SendPhotoSetters,
    },
    prelude::*,
    types::{InlineKeyboardButton, InlineKeyboardMarkup, InputFile, MessageId, ThreadId},
};

use crate::{
    accounts::{
        credits::{self, Debited, Granted, Movement, Reason},
        users,
    },
    admin::{
        Standing, analytics,
        audit::{self, Filter},
        charts, conversations, notes,
        panels::{self, Input, Pressed},
        quick_replies,
        stats::{self, Revenue},
    },
    billing::{
        catalog::{self, Change, Gives, NewProduct, PassKindName},
        orders::format_price,
        passes::{self, PassKind},
    },
    bot::{
        BotError, HandlerResult, Reply,
        handlers::{fmt_time, fmt_wait, send_private},
    },
    context::AppCtx,
    i18n::{self, Args, Locale},
    relay::{
        bot::user_locale,
        search::{self, Query},
    },
    services::settings,
    storage,
};

/// Rows of a list screen.
const PER_PAGE: u32 = 8;
/// Ledger lines on a user card.
const CARD_LEDGER: u64 = 5;

/// What a button does. Stored server-side; the button names only its index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "a", rename_all = "snake_case")]
pub enum Action {
    Home,
    Close,
    Dashboard,
    Conversations {
        page: u32,
    },
    Conversation {
        user: i64,
    },
    CloseConversation {
        user: i64,
        closed: bool,
    },
    Priority {
        user: i64,
        on: bool,
    },
    Users {
        page: u32,
    },
    Search,
    SearchPayments,
    SearchMessages,
    /// A page of the relayed messages matching `query`.
    Messages {
        query: String,
        page: u32,
    },
    Card {
        user: i64,
    },
    Credits {
        user: i64,
    },
    Pass {
        user: i64,
        kind: String,
    },
    Ban {
        user: i64,
        ban: bool,
    },
    Settings,
    Setting {
        key: String,
    },
    Toggle {
        key: String,
    },
    System,
    Audit {
        page: u32,
        filter: Filter,
    },
    Billing,
    Payments {
        page: u32,
        failed: bool,
    },
    Order {
        id: i64,
    },
    RefundAsk {
        id: i64,
    },
    RefundDo {
        id: i64,
    },
    Debts {
        page: u32,
    },
    Replies,
    ReplyCard {
        id: i64,
    },
    ReplyNew,
    ReplyEdit {
        id: i64,
    },
    ReplyDelete {
        id: i64,
    },
    QuickSend {
        id: i64,
        user: i64,
    },
    Analytics,
    Csv {
        report: Report,
    },
    Chart {
        chart: ChartKind,
    },
    Campaign {
        step: campaigns::Step,
    },
    /// The operator's drip campaigns (under Broadcasts).
    Drip {
        step: drips::Step,
    },
    Products,
    Product {
        id: i64,
    },
    ProductToggle {
        id: i64,
    },
    ProductShift {
        id: i64,
        up: bool,
    },
    ProductEdit {
        id: i64,
        field: Field,
    },
    ProductNew,
    ProductKind {
        credits: bool,
    },
    ProductPass {
        draft: Draft,
        kind: PassKindName,
    },
    Cancel {
        back: Box<Action>,
    },
    Sellers,
    SellerStatus {
        id: i64,
        suspend: bool,
    },
    /// The platform plans sellers pay for.
    PlatformPlans,
    /// One platform plan, with a button per field.
    PlatformPlan {
        code: String,
    },
    /// Ask for a new value of one field of a platform plan.
    PlatformPlanEdit {
        code: String,
        field: String,
    },
}

/// What a panel waits for from the admin's next message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "i", rename_all = "snake_case")]
pub enum Awaiting {
    Search,
    PaymentSearch,
    MessageSearch,
    Credits { user: i64 },
    Setting { key: String },
    PlatformPlan { code: String, field: String },
    ReplyNew,
    ReplyEdit { id: i64 },
    ProductTitle { draft: Draft },
    ProductCredits { draft: Draft },
    ProductPrice { draft: Draft },
    ProductStars { draft: Draft },
    ProductField { id: i64, field: Field },
    Campaign { wait: campaigns::Wait },
    Drip { wait: drips::Wait },
}

/// A product being created, step by step.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    title: String,
    gives: Option<Gives>,
    price: Option<(i64, String)>,
}

/// An analytics report sent as a CSV document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Report {
    Growth,
    Revenue,
    Funnel,
    Top,
}

/// A chart sent as a photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChartKind {
    /// Revenue and new users per day.
    Dashboard,
    /// New users, charged messages and payments per day.
    Growth,
}

/// The window analytics look at, in days.
const WINDOW: i64 = 30;

/// A field of a product an admin edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Field {
    Title,
    Price,
    Stars,
}

enum Button {
    Do(String, Action),
    Url(String, String),
}

/// A screen: its text and its buttons, rows of them.
struct Screen {
    text: String,
    rows: Vec<Vec<Button>>,
}

/// Texts of the center, in the operator's language.
struct T(Locale);

impl T {
    fn say(&self, key: &str, args: &[(&'static str, String)]) -> String {
        let args: Args = args
            .iter()
            .map(|(k, v)| ((*k).into(), v.clone().into()))
            .collect();
        i18n::text(self.0, key, &args)
    }
    fn key(&self, key: &str) -> String {
        self.say(key, &[])
    }
    fn nav(&self, back: Option<Action>) -> Vec<Button> {
        let mut row = Vec::new();
        if let Some(back) = back {
            row.push(Button::Do(self.key("ac-back"), back));
        }
        row.push(Button::Do(self.key("ac-home-button"), Action::Home));
        row
    }
    fn pages(&self, page: u32, more: bool, to: impl Fn(u32) -> Action) -> Vec<Button> {
        let mut row = Vec::new();
        if page > 0 {
            row.push(Button::Do(self.key("ac-prev"), to(page - 1)));
        }
        if more {
            row.push(Button::Do(self.key("ac-next"), to(page + 1)));
        }
        row
    }
}

fn revenue(r: &Revenue, none: &str) -> String {
    if r.is_empty() {
        return none.to_owned();
    }
    r.iter()
        .map(|(currency, minor)| format_price(*minor, currency))
        .collect::<Vec<_>>()
        .join(", ")
}

fn signed(v: i64) -> String {
    if v > 0 {
        format!("+{v}")
    } else {
        v.to_string()
    }
}

/// A link into a forum topic of a supergroup (`-100…` ids), when there is one.
fn topic_link(chat_id: i64, thread_id: i32) -> Option<String> {
    let internal = -chat_id - 1_000_000_000_000;
    (internal > 0 && thread_id > 0).then(|| format!("https://t.me/c/{internal}/{thread_id}"))
}

/// A link to a message of a supergroup, inside its forum topic when it is in one.
fn message_link(chat_id: i64, thread_id: Option<i32>, message_id: i32) -> Option<String> {
    let internal = -chat_id - 1_000_000_000_000;
    (internal > 0 && message_id > 0).then(|| match thread_id.filter(|t| *t > 0) {
        Some(thread) => format!("https://t.me/c/{internal}/{thread}/{message_id}"),
        None => format!("https://t.me/c/{internal}/{message_id}"),
    })
}

fn name_of(user: &users::User) -> String {
    let mut name = user.first_name.clone();
    if let Some(last) = &user.last_name {
        name.push(' ');
        name.push_str(last);
    }
    name
}

async fn home(t: &T) -> Screen {
    let cat = |key: &str, action: Action| Button::Do(t.key(key), action);
    Screen {
        text: t.key("ac-home"),
        rows: vec![
            vec![
                cat("ac-cat-conversations", Action::Conversations { page: 0 }),
                cat("ac-cat-dashboard", Action::Dashboard),
            ],
            vec![
                cat("ac-cat-users", Action::Users { page: 0 }),
                cat("ac-cat-search", Action::Search),
            ],
            vec![
                cat("ac-cat-search-payments", Action::SearchPayments),
                cat("ac-cat-search-messages", Action::SearchMessages),
            ],
            vec![
                cat("ac-cat-analytics", Action::Analytics),
                cat("ac-cat-products", Action::Products),
            ],
            vec![
                cat("ac-cat-billing", Action::Billing),
                cat("ac-cat-settings", Action::Settings),
            ],
            vec![cat(
                "ac-cat-campaigns",
                Action::Campaign {
                    step: campaigns::Step::Home,
                },
            )],
            vec![
                cat("ac-cat-replies", Action::Replies),
                cat("ac-cat-system", Action::System),
            ],
            vec![cat("ac-cat-sellers", Action::Sellers)],
            vec![Button::Do(t.key("ac-close"), Action::Close)],
        ],
    }
}

/// Closes (or reopens) `user`'s conversation: marked, the topic renamed "✅ name" while closed,
/// audited. False when the user has no conversation.
pub(crate) async fn close_conversation(
    ctx: &AppCtx,
    admin: i64,
    user: i64,
    closed: bool,
) -> Result<bool, BotError> {
    let now = ctx.now();
    let (Some(c), Some(u)) = (
        conversations::find(&ctx.db, user).await?,
        users::find(&ctx.db, user).await?,
    ) else {
        return Ok(false);
    };
    conversations::set_closed(&ctx.db, now, user, closed).await?;
    let name = crate::relay::copy::topic_name(&u);
    let name = if closed { format!("✅ {name}") } else { name };
    let name: String = name.chars().take(128).collect();
    if c.thread_id != 0 {
        let chat = ChatId(c.chat_id);
        let req = ctx
            .tg
            .bot()
            .edit_forum_topic(chat, ThreadId(MessageId(c.thread_id)))
            .name(name);
        if let Err(e) = ctx.tg.send(chat, req).await {
            tracing::info!(user, error = %e, "could not rename a topic");
        }
    }
    audit::record(
        &ctx.db,
        now,
        audit::Action {
            admin_id: admin,
            what: if closed { "close" } else { "reopen" },
            target_user: Some(user),
            before: None,
            after: None,
        },
    )
    .await?;
    Ok(true)
}

/// Sellers: each with status, services, members and revenue; suspend or reinstate.
async fn sellers(ctx: &AppCtx, t: &T) -> Result<Screen, BotError> {
    let text = crate::sellers::bot::operator_list(ctx).await?;
    let mut rows = Vec::new();
    for s in crate::sellers::catalog::all_sellers(&ctx.db).await? {
        let suspend = s.status == "active";
        let key = if suspend {
            "ac-seller-suspend"
        } else {
            "ac-seller-reinstate"
        };
        let label = t.say(key, &[("id", s.id.to_string()), ("name", s.display_name)]);
        rows.push(vec![Button::Do(
            label,
            Action::SellerStatus { id: s.id, suspend },
        )]);
    }
    rows.push(vec![Button::Do(
        t.key("ac-platform-plans-button"),
        Action::PlatformPlans,
    )]);
    rows.push(t.nav(None));
    Ok(Screen { text, rows })
}

/// The platform plans: each with its limits, fee and price, and the revenue from them.
async fn platform_plans(ctx: &AppCtx, t: &T) -> Result<Screen, BotError> {
    let text = crate::sellers::bot_platform::operator_plans(ctx).await?;
    let mut rows = Vec::new();
    for plan in crate::sellers::platform::plans(&ctx.db).await? {
        rows.push(vec![Button::Do(
            t.say("ac-platform-plan-edit", &[("name", plan.name)]),
            Action::PlatformPlan { code: plan.code },
        )]);
    }
    rows.push(t.nav(Some(Action::Sellers)));
    Ok(Screen { text, rows })
}

/// One platform plan: a button per field.
async fn platform_plan(ctx: &AppCtx, t: &T, code: &str) -> Result<Option<Screen>, BotError> {
    use crate::sellers::platform::Field;
    let Some(plan) = crate::sellers::platform::by_code(&ctx.db, code).await? else {
        return Ok(None);
    };
    let text = crate::sellers::bot_platform::operator_plan(&plan);
    let mut rows = Vec::new();
    for pair in Field::ALL.chunks(2) {
        rows.push(
            pair.iter()
                .map(|f| {
                    Button::Do(
                        t.say("ac-platform-field", &[("field", f.as_str().to_owned())]),
                        Action::PlatformPlanEdit {
                            code: plan.code.clone(),
                            field: f.as_str().to_owned(),
                        },
                    )
                })
                .collect(),
        );
    }
    rows.push(t.nav(Some(Action::PlatformPlans)));
    Ok(Some(Screen { text, rows }))
}

async fn dashboard(ctx: &AppCtx, t: &T) -> Result<Screen, BotError> {
    let d = stats::dashboard(&ctx.db, ctx.now()).await?;
    let none = t.key("ac-none");
    let text = format!(
        "{}\n\n{}",
        t.say(
            "ac-dashboard",
            &[
                ("total", d.users_total.to_string()),
                ("new", d.users_new_today.to_string()),
                ("active", d.users_active_7d.to_string()),
                ("today", revenue(&d.revenue_today, &none)),
                ("week", revenue(&d.revenue_7d, &none)),
                ("month", revenue(&d.revenue_30d, &none)),
                ("sold", d.credits_sold_30d.to_string()),
                ("spent", d.credits_spent_30d.to_string()),
                ("conversations", d.conversations.to_string()),
            ],
        ),
        t.say("ac-updated", &[("at", fmt_time(d.at))]),
    );
    Ok(Screen {
        text,
        rows: vec![
            vec![
                Button::Do(t.key("ac-refresh"), Action::Dashboard),
                Button::Do(
                    t.key("ac-chart-button"),
                    Action::Chart {
                        chart: ChartKind::Dashboard,
                    },
                ),
            ],
            t.nav(None),
        ],
    })
}

fn standing_mark(c: &conversations::Conversation) -> &'static str {
    match c.standing() {
        conversations::Standing::Waiting => "⏳",
        conversations::Standing::Answered => "💬",
        conversations::Standing::Closed => "✅",
    }
}

async fn conversations_page(ctx: &AppCtx, t: &T, page: u32) -> Result<Screen, BotError> {
    let now = ctx.now();
    let (list, more) = conversations::page(&ctx.db, page, PER_PAGE).await?;
    let median = |days| async move {
        conversations::median_first_response(&ctx.db, now, days)
            .await
            .map(|m| m.map_or(t.key("ac-none"), fmt_wait))
    };
    let mut text = t.say(
        "ac-conversations",
        &[
            ("page", (page + 1).to_string()),
            ("week", median(7).await?),
            ("month", median(30).await?),
        ],
    );
    if list.is_empty() {
        text = format!("{text}\n\n{}", t.key("ac-conversations-empty"));
    }
    let mut rows = Vec::new();
    for c in &list {
        let waited = match (c.standing(), c.last_in) {
            (conversations::Standing::Waiting, Some(at)) => format!(" · {}", fmt_wait(now - at)),
            _ => String::new(),
        };
        let flag = if c.priority { "❗️" } else { "" };
        let label = format!("{flag}{} {}{waited}", standing_mark(c), c.name);
        let mut row = vec![Button::Do(label, Action::Conversation { user: c.user_id })];
        if let Some(url) = topic_link(c.chat_id, c.thread_id) {
            row.push(Button::Url(t.key("ac-topic-button"), url));
        }
        rows.push(row);
    }
    rows.push(t.pages(page, more, |page| Action::Conversations { page }));
    rows.push(t.nav(None));
    Ok(Screen { text, rows })
}

async fn conversation(ctx: &AppCtx, t: &T, user: i64) -> Result<Screen, BotError> {
    let Some(c) = conversations::find(&ctx.db, user).await? else {
        return conversations_page(ctx, t, 0).await;
    };
    let none = t.key("ac-none");
    let standing = match c.standing() {
        conversations::Standing::Waiting => "ac-standing-waiting",
        conversations::Standing::Answered => "ac-standing-answered",
        conversations::Standing::Closed => "ac-standing-closed",
    };
    let text = t.say(
        "ac-conversation",
        &[
            ("name", c.name.clone()),
            ("id", c.user_id.to_string()),
            ("standing", t.key(standing)),
            ("last_in", c.last_in.map_or(none.clone(), fmt_time)),
            ("last_out", c.last_out.map_or(none.clone(), fmt_time)),
            (
                "priority",
                t.key(if c.priority {
                    "ac-priority-on"
                } else {
                    "ac-priority-off"
                }),
            ),
        ],
    );
    let closed = c.standing() == conversations::Standing::Closed;
    let mut first = vec![
        Button::Do(
            t.key(if closed {
                "ac-reopen"
            } else {
                "ac-close-conversation"
            }),
            Action::CloseConversation {
                user,
                closed: !closed,
            },
        ),
        Button::Do(
            t.key(if c.priority {
                "ac-priority-clear"
            } else {
                "ac-priority-set"
            }),
            Action::Priority {
                user,
                on: !c.priority,
            },
        ),
    ];
    if let Some(url) = topic_link(c.chat_id, c.thread_id) {
        first.push(Button::Url(t.key("ac-topic-button"), url));
    }
    Ok(Screen {
        text,
        rows: vec![
            first,
            vec![Button::Do(format!("👤 {}", c.name), Action::Card { user })],
            t.nav(Some(Action::Conversations { page: 0 })),
        ],
    })
}

fn user_rows(list: &[users::User]) -> Vec<Vec<Button>> {
    list.iter()
        .map(|u| {
            let handle = u
                .username
                .as_ref()
                .map_or(String::new(), |h| format!(" @{h}"));
            vec![Button::Do(
                format!("{}{handle} · {}", name_of(u), u.id),
                Action::Card { user: u.id },
            )]
        })
        .collect()
}

async fn users_page(ctx: &AppCtx, t: &T, page: u32) -> Result<Screen, BotError> {
    let (list, more) = stats::recent_users(&ctx.db, page, PER_PAGE).await?;
    let mut text = t.say("ac-users", &[("page", (page + 1).to_string())]);
    if list.is_empty() {
        text = format!("{text}\n\n{}", t.key("ac-users-empty"));
    }
    let mut rows = user_rows(&list);
    rows.push(vec![Button::Do(t.key("ac-cat-search"), Action::Search)]);
    rows.push(t.pages(page, more, |page| Action::Users { page }));
    rows.push(t.nav(None));
    Ok(Screen { text, rows })
}

async fn card(ctx: &AppCtx, t: &T, user_id: i64) -> Result<Screen, BotError> {
    let Some(c) = stats::user_card(&ctx.db, ctx.now(), user_id, CARD_LEDGER).await? else {
        return Ok(Screen {
            text: t.say("ac-search-none", &[("query", user_id.to_string())]),
            rows: vec![t.nav(Some(Action::Users { page: 0 }))],
        });
    };
    let u = &c.user;
    let none = t.key("ac-none");
    let mut text = t.say(
        "ac-card",
        &[
            ("name", name_of(u)),
            (
                "username",
                u.username
                    .as_ref()
                    .map_or(String::new(), |h| format!("@{h}")),
            ),
            ("id", u.id.to_string()),
            (
                "language",
                u.locale
                    .clone()
                    .or(u.language_code.clone())
                    .unwrap_or(none.clone()),
            ),
            ("status", u.status.clone()),
            ("balance", u.credits.to_string()),
            ("tier", c.tier.name.clone()),
            ("cost", c.tier.message_cost.to_string()),
            (
                "pass",
                c.pass
                    .as_ref()
                    .map_or(none.clone(), |p| fmt_time(p.ends_at)),
            ),
            ("purchases", c.purchases.to_string()),
            ("first", fmt_time(u.created_at)),
            ("last", fmt_time(u.last_seen_at)),
        ],
    );
    if !c.recent.is_empty() {
        text.push_str("\n\n");
        text.push_str(&t.key("ac-card-recent"));
        for l in &c.recent {
            let reason = t.key(&format!("reason-{}", l.reason));
            text.push('\n');
            text.push_str(&t.say(
                "ac-card-line",
                &[
                    ("date", fmt_time(l.created_at)),
                    ("amount", signed(l.amount)),
                    ("reason", reason),
                    ("balance", l.balance_after.to_string()),
                ],
            ));
        }
    }
    let notes = notes::recent(&ctx.db, u.id, 3).await?;
    if !notes.is_empty() {
        text.push_str("\n\n");
        text.push_str(&t.key("ac-card-notes"));
        for n in &notes {
            text.push_str(&format!(
                "\n{} · {}: {}",
                fmt_time(n.created_at),
                n.admin_id,
                n.text
            ));
        }
    }
    let banned = u.status == crate::domain::UserStatus::Banned.as_str();
    let mut rows = vec![
        vec![
            Button::Do(t.key("ac-credits-button"), Action::Credits { user: u.id }),
            if banned {
                Button::Do(
                    t.key("ac-unban-button"),
                    Action::Ban {
                        user: u.id,
                        ban: false,
                    },
                )
            } else {
                Button::Do(
                    t.key("ac-ban-button"),
                    Action::Ban {
                        user: u.id,
                        ban: true,
                    },
                )
            },
        ],
        [PassKind::Day, PassKind::Week, PassKind::Month]
            .into_iter()
            .map(|k| {
                Button::Do(
                    t.say("ac-pass-button", &[("kind", k.as_str().to_owned())]),
                    Action::Pass {
                        user: u.id,
                        kind: k.as_str().to_owned(),
                    },
                )
            })
            .collect(),
    ];
    let mut more = vec![Button::Do(
        t.key("ac-audit-button"),
        Action::Audit {
            page: 0,
            filter: Filter {
                admin: None,
                user: Some(u.id),
            },
        },
    )];
    if let Some(url) = c
        .topic
        .as_ref()
        .and_then(|topic| topic_link(topic.chat_id, topic.thread_id))
    {
        more.push(Button::Url(t.key("ac-topic-button"), url));
    }
    rows.push(more);
    rows.push(t.nav(Some(Action::Users { page: 0 })));
    Ok(Screen { text, rows })
}

async fn settings_screen(ctx: &AppCtx, t: &T) -> Result<Screen, BotError> {
    let list = settings::list(&ctx.db).await?;
    let rows = list
        .into_iter()
        .map(|(key, value)| {
            let action = if value == "true" || value == "false" {
                Action::Toggle {
                    key: key.to_owned(),
                }
            } else {
                Action::Setting {
                    key: key.to_owned(),
                }
            };
            let mut shown: String = value.chars().take(30).collect();
            if shown.len() < value.len() {
                shown.push('…');
            }
            vec![Button::Do(format!("{key} = {shown}"), action)]
        })
        .chain([t.nav(None)])
        .collect();
    Ok(Screen {
        text: t.key("ac-settings"),
        rows,
    })
}

async fn system(ctx: &AppCtx, t: &T) -> Result<Screen, BotError> {
    let jobs = crate::jobs::counts(&ctx.db)
        .await
        .map_err(|e| BotError::Service(e.into()))?;
    let backlog = crate::relay::backlog::stats(&ctx.db).await?;
    let backend = if storage::is_postgres(&ctx.db) {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let count = |s: &str| jobs.get(s).copied().unwrap_or(0).to_string();
    let api = ctx.metrics.api_outcomes();
    let calls = |s: &str| api.get(s).copied().unwrap_or(0).to_string();
    let latency = ctx.metrics.api_latency();
    let bound = |d: Option<std::time::Duration>| {
        d.map_or_else(
            || "> 10 s".to_owned(),
            |d| format!("≤ {} ms", d.as_millis()),
        )
    };
    let latency = if latency.calls == 0 {
        t.key("ac-none")
    } else {
        t.say(
            "ac-system-latency",
            &[("p50", bound(latency.p50)), ("p95", bound(latency.p95))],
        )
    };
    let webhook = match ctx.tg.call(ctx.tg.bot().get_webhook_info()).await {
        Ok(info) => t.say(
            "ac-system-webhook",
            &[
                (
                    "url",
                    info.url
                        .map_or(t.key("ac-system-polling"), |u| u.to_string()),
                ),
                ("pending", info.pending_update_count.to_string()),
                ("error", info.last_error_message.unwrap_or(t.key("ac-none"))),
            ],
        ),
        Err(e) => t.say("ac-system-webhook-unknown", &[("error", e.to_string())]),
    };
    let text = format!(
        "{}\n\n{}",
        t.say(
            "ac-system",
            &[
                ("version", env!("CARGO_PKG_VERSION").to_owned()),
                ("uptime", fmt_wait(ctx.now() - ctx.started_at)),
                ("backend", backend.to_owned()),
                ("queued", count("queued")),
                ("running", count("running")),
                ("dead", count("dead")),
                ("waiting", backlog.waiting.to_string()),
                ("ok", calls("ok")),
                ("limited", calls("rate_limited")),
                ("errors", calls("error")),
                ("rejected", calls("rejected")),
                ("uncertain", calls("uncertain")),
                ("latency", latency),
                ("webhook", webhook.clone()),
                (
                    "errors_hour",
                    // Log lines carry wall time, so the window is wall time too.
                    ctx.errors
                        .count_since(chrono::Utc::now() - chrono::Duration::hours(1))
                        .to_string(),
                ),
                (
                    "oldest",
                    backlog
                        .oldest
                        .map_or(t.key("ac-none"), |at| fmt_wait(ctx.now() - at)),
                ),
            ],
        ),
        t.say("ac-updated", &[("at", fmt_time(ctx.now()))]),
    );
    Ok(Screen {
        text,
        rows: vec![
            vec![
                Button::Do(t.key("ac-refresh"), Action::System),
                Button::Do(
                    t.key("ac-audit-button"),
                    Action::Audit {
                        page: 0,
                        filter: Filter::default(),
                    },
                ),
            ],
            t.nav(None),
        ],
    })
}

async fn audit_page(
    ctx: &AppCtx,
    t: &T,
    admin: i64,
    page: u32,
    filter: Filter,
) -> Result<Screen, BotError> {
    let (entries, more) = audit::page(&ctx.db, filter, page, PER_PAGE).await?;
    let what = match (filter.admin, filter.user) {
        (Some(a), _) => t.say("ac-audit-by", &[("admin", a.to_string())]),
        (_, Some(u)) => t.say("ac-audit-of", &[("user", u.to_string())]),
        _ => String::new(),
    };
    let mut text = t.say(
        "ac-audit",
        &[("filter", what), ("page", (page + 1).to_string())],
    );
    if entries.is_empty() {
        text = format!("{text}\n\n{}", t.key("ac-audit-empty"));
    }
    let none = t.key("ac-none");
    for e in &entries {
        text.push('\n');
        text.push_str(&t.say(
            "ac-audit-line",
            &[
                ("at", fmt_time(e.created_at)),
                ("admin", e.admin_id.to_string()),
                ("what", e.action.clone()),
                (
                    "target",
                    e.target_user.map_or(String::new(), |u| format!(" · {u}")),
                ),
                ("before", e.before.clone().unwrap_or(none.clone())),
                ("after", e.after.clone().unwrap_or(none.clone())),
            ],
        ));
    }
    let mine = Filter {
        admin: Some(admin),
        user: None,
    };
    let back = match filter.user {
        Some(user) => Action::Card { user },
        None => Action::System,
    };
    Ok(Screen {
        text,
        rows: vec![
            vec![
                Button::Do(
                    t.key("ac-audit-mine"),
                    Action::Audit {
                        page: 0,
                        filter: mine,
                    },
                ),
                Button::Do(
                    t.key("ac-audit-all"),
                    Action::Audit {
                        page: 0,
                        filter: Filter::default(),
                    },
                ),
            ],
            t.pages(page, more, |page| Action::Audit { page, filter }),
            t.nav(Some(back)),
        ],
    })
}

fn billing(t: &T) -> Screen {
    Screen {
        text: t.key("ac-billing"),
        rows: vec![
            vec![
                Button::Do(
                    t.key("ac-payments-button"),
                    Action::Payments {
                        page: 0,
                        failed: false,
                    },
                ),
                Button::Do(
                    t.key("ac-failed-button"),
                    Action::Payments {
                        page: 0,
                        failed: true,
                    },
                ),
            ],
            vec![
                Button::Do(t.key("ac-debts-button"), Action::Debts { page: 0 }),
                Button::Do(t.key("ac-cat-search-payments"), Action::SearchPayments),
            ],
            t.nav(None),
        ],
    }
}

/// One button per order: number, buyer, amount and status, opening the order's card.
fn order_rows(list: &[stats::OrderLine]) -> Vec<Vec<Button>> {
    list.iter()
        .map(|l| {
            let o = &l.order;
            vec![Button::Do(
                format!(
                    "#{} · {} · {} · {}",
                    o.id,
                    l.name,
                    format_price(o.amount_minor, &o.currency),
                    o.status
                ),
                Action::Order { id: o.id },
            )]
        })
        .collect()
}

/// A setting's current value as `/settings` shows it; None for an unknown key.
async fn setting_value(ctx: &AppCtx, key: &str) -> Result<Option<String>, BotError> {
    Ok(settings::list(&ctx.db)
        .await?
        .into_iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v))
}

async fn payments(ctx: &AppCtx, t: &T, page: u32, failed: bool) -> Result<Screen, BotError> {
    let (list, more) = stats::orders_page(&ctx.db, failed, page, PER_PAGE).await?;
    let key = if failed { "ac-failed" } else { "ac-payments" };
    let mut text = t.say(key, &[("page", (page + 1).to_string())]);
    if list.is_empty() {
        text = format!("{text}\n\n{}", t.key("ac-payments-empty"));
    }
    let mut rows = order_rows(&list);
    rows.push(t.pages(page, more, |page| Action::Payments { page, failed }));
    rows.push(t.nav(Some(Action::Billing)));
    Ok(Screen { text, rows })
}

async fn order(ctx: &AppCtx, t: &T, id: i64) -> Result<Screen, BotError> {
    let Some((line, title)) = stats::order(&ctx.db, id).await? else {
        return Ok(Screen {
            text: t.key("ac-expired"),
            rows: vec![t.nav(Some(Action::Billing))],
        });
    };
    let o = &line.order;
    let none = t.key("ac-none");
    let text = t.say(
        "ac-order",
        &[
            ("id", o.id.to_string()),
            ("title", title),
            ("name", line.name.clone()),
            ("user", o.user_id.to_string()),
            ("amount", format_price(o.amount_minor, &o.currency)),
            ("method", o.method.clone()),
            ("status", o.status.to_string()),
            ("refunded", format_price(o.refunded_minor, &o.currency)),
            ("created", fmt_time(o.created_at)),
            ("paid", o.paid_at.map_or(none.clone(), fmt_time)),
            (
                "stripe",
                o.stripe_payment_intent.clone().unwrap_or(none.clone()),
            ),
        ],
    );
    let mut rows = Vec::new();
    if o.status.is_refundable() {
        rows.push(vec![Button::Do(
            t.key("ac-refund-button"),
            Action::RefundAsk { id },
        )]);
    }
    rows.push(vec![Button::Do(
        format!("👤 {}", line.name),
        Action::Card { user: o.user_id },
    )]);
    rows.push(t.nav(Some(Action::Payments {
        page: 0,
        failed: false,
    })));
    Ok(Screen { text, rows })
}

async fn debts(ctx: &AppCtx, t: &T, page: u32) -> Result<Screen, BotError> {
    let (list, more) = stats::debts_page(&ctx.db, page, PER_PAGE).await?;
    let mut text = t.say("ac-debts", &[("page", (page + 1).to_string())]);
    if list.is_empty() {
        text = format!("{text}\n\n{}", t.key("ac-debts-empty"));
    }
    let mut rows: Vec<Vec<Button>> = list
        .iter()
        .map(|d| {
            vec![Button::Do(
                format!(
                    "{} · {} · #{} · {}",
                    d.name,
                    d.debt.amount,
                    d.debt.order_id,
                    fmt_time(d.debt.created_at)
                ),
                Action::Card {
                    user: d.debt.user_id,
                },
            )]
        })
        .collect();
    rows.push(t.pages(page, more, |page| Action::Debts { page }));
    rows.push(t.nav(Some(Action::Billing)));
    Ok(Screen { text, rows })
}

async fn replies(ctx: &AppCtx, t: &T) -> Result<Screen, BotError> {
    let list = quick_replies::list(&ctx.db).await?;
    let mut text = t.key("ac-replies");
    if list.is_empty() {
        text = format!("{text}\n\n{}", t.key("ac-replies-empty"));
    }
    let mut rows: Vec<Vec<Button>> = list
        .iter()
        .map(|r| vec![Button::Do(r.title.clone(), Action::ReplyCard { id: r.id })])
        .collect();
    rows.push(vec![Button::Do(t.key("ac-reply-new"), Action::ReplyNew)]);
    rows.push(t.nav(None));
    Ok(Screen { text, rows })
}

async fn reply_card(ctx: &AppCtx, t: &T, id: i64) -> Result<Screen, BotError> {
    let Some(r) = quick_replies::find(&ctx.db, id).await? else {
        return replies(ctx, t).await;
    };
    Ok(Screen {
        text: t.say("ac-reply", &[("title", r.title), ("body", r.body)]),
        rows: vec![
            vec![
                Button::Do(t.key("ac-reply-edit"), Action::ReplyEdit { id }),
                Button::Do(t.key("ac-reply-delete"), Action::ReplyDelete { id }),
            ],
            t.nav(Some(Action::Replies)),
        ],
    })
}

/// `/qr` in a user's topic: the templates as buttons, one press sends one.
pub(crate) async fn quick_replies_for(
    ctx: &AppCtx,
    chat: ChatId,
    thread: Option<ThreadId>,
    admin: i64,
    user: &users::User,
) -> HandlerResult {
    let t = T(ctx.config.default_locale);
    let list = quick_replies::list(&ctx.db).await?;
    let mut text = t.say("ac-qr", &[("name", name_of(user))]);
    if list.is_empty() {
        text = format!("{text}\n\n{}", t.key("ac-replies-empty"));
    }
    let mut rows: Vec<Vec<Button>> = list
        .iter()
        .map(|r| {
            vec![Button::Do(
                r.title.clone(),
                Action::QuickSend {
                    id: r.id,
                    user: user.id,
                },
            )]
        })
        .collect();
    rows.push(vec![Button::Do(t.key("ac-close"), Action::Close)]);
    let panel = panels::open(&ctx.db, ctx.now(), chat.0, admin).await?;
    show(ctx, &panel, thread, Screen { text, rows }).await
}

fn table_text(table: &analytics::Table) -> String {
    table
        .rows
        .iter()
        .map(|r| r.join(" · "))
        .collect::<Vec<_>>()
        .join("\n")
}

async fn analytics_screen(ctx: &AppCtx, t: &T) -> Result<Screen, BotError> {
    let now = ctx.now();
    let funnel = analytics::funnel(&ctx.db, now, WINDOW).await?;
    let revenue = analytics::revenue_by_product(&ctx.db, now, WINDOW).await?;
    let top = analytics::top_spenders(&ctx.db, now, WINDOW, 5).await?;
    let none = t.key("ac-none");
    let or_none = |s: String| if s.is_empty() { none.clone() } else { s };
    let text = format!(
        "{}\n\n{}",
        t.say(
            "ac-analytics",
            &[
                ("days", WINDOW.to_string()),
                ("funnel", table_text(&funnel)),
                ("revenue", or_none(table_text(&revenue))),
                ("top", or_none(table_text(&top))),
            ],
        ),
        t.say("ac-updated", &[("at", fmt_time(now))]),
    );
    let csv = |key: &str, report| Button::Do(t.key(key), Action::Csv { report });
    Ok(Screen {
        text,
        rows: vec![
            vec![
                csv("ac-csv-growth", Report::Growth),
                csv("ac-csv-revenue", Report::Revenue),
            ],
            vec![
                csv("ac-csv-funnel", Report::Funnel),
                csv("ac-csv-top", Report::Top),
            ],
            vec![Button::Do(
                t.key("ac-chart-button"),
                Action::Chart {
                    chart: ChartKind::Growth,
                },
            )],
            t.nav(None),
        ],
    })
}

/// Sends a report as a CSV document into the panel's chat.
async fn send_csv(ctx: &AppCtx, t: &T, chat: ChatId, report: Report) -> Result<String, BotError> {
    let now = ctx.now();
    let (name, table) = match report {
        Report::Growth => ("growth", analytics::growth(&ctx.db, now, WINDOW).await?),
        Report::Revenue => (
            "revenue-by-product",
            analytics::revenue_by_product(&ctx.db, now, WINDOW).await?,
        ),
        Report::Funnel => ("funnel", analytics::funnel(&ctx.db, now, WINDOW).await?),
        Report::Top => (
            "top-spenders",
            analytics::top_spenders(&ctx.db, now, WINDOW, 100).await?,
        ),
    };
    let file_name = format!("{name}-{WINDOW}d-{}.csv", now.format("%Y-%m-%d"));
    let file = InputFile::memory(table.csv().into_bytes()).file_name(file_name.clone());
    let caption = t.say("ac-csv-caption", &[("name", file_name)]);
    let req = ctx.tg.bot().send_document(chat, file).caption(caption);
    ctx.tg.send(chat, req).await?;
    Ok(t.key("ac-csv-sent"))
}

/// Draws a chart and sends it as a photo into the panel's chat.
async fn send_chart(
    ctx: &AppCtx,
    t: &T,
    chat: ChatId,
    chart: ChartKind,
) -> Result<String, BotError> {
    use charts::Series;
    let now = ctx.now();
    let growth = analytics::growth(&ctx.db, now, WINDOW).await?;
    let column = |i: usize, label: String| Series {
        label,
        points: growth
            .rows
            .iter()
            .filter_map(|r| {
                let day = chrono::NaiveDate::parse_from_str(&r[0], "%Y-%m-%d").ok()?;
                Some((day, r[i].parse::<f64>().ok()?))
            })
            .collect(),
    };
    let (title, series) = match chart {
        ChartKind::Dashboard => {
            let mut series = vec![column(1, t.key("ac-chart-new-users"))];
            if let Some((currency, days)) = analytics::revenue_per_day(&ctx.db, now, WINDOW).await?
            {
                let scale = if currency == "xtr" { 1.0 } else { 100.0 };
                series.push(Series {
                    label: t.say("ac-chart-revenue", &[("currency", currency.to_uppercase())]),
                    points: days
                        .into_iter()
                        .map(|(d, minor)| (d, minor as f64 / scale))
                        .collect(),
                });
            }
            (
                t.say("ac-chart-dashboard-title", &[("days", WINDOW.to_string())]),
                series,
            )
        }
        ChartKind::Growth => (
            t.say("ac-chart-growth-title", &[("days", WINDOW.to_string())]),
            vec![
                column(1, t.key("ac-chart-new-users")),
                column(2, t.key("ac-chart-messages")),
                column(3, t.key("ac-chart-payments")),
            ],
        ),
    };
    let caption = title.clone();
    let png = tokio::task::spawn_blocking(move || charts::lines(&title, &series))
        .await
        .map_err(|e| {
            BotError::Service(crate::storage::StorageError::Corrupt(e.to_string()).into())
        })?
        .map_err(|e| {
            BotError::Service(crate::storage::StorageError::Corrupt(e.to_string()).into())
        })?;
    let file = InputFile::memory(png).file_name(format!("chart-{}.png", now.format("%Y-%m-%d")));
    let req = ctx.tg.bot().send_photo(chat, file).caption(caption);
    ctx.tg.send(chat, req).await?;
    Ok(t.key("ac-chart-sent"))
}

fn gives(t: &T, g: Option<Gives>) -> String {
    match g {
        Some(Gives::Credits(n)) => t.say("ac-gives-credits", &[("credits", n.to_string())]),
        Some(Gives::Pass(k)) => t.say("ac-gives-pass", &[("kind", k.kind().as_str().to_owned())]),
        None => t.key("ac-none"),
    }
}

fn gives_of(p: &crate::billing::orders::Product) -> Option<Gives> {
    match (p.credits, p.pass_kind.as_deref()) {
        (Some(n), _) => Some(Gives::Credits(n)),
        (None, Some("day")) => Some(Gives::Pass(PassKindName::Day)),
        (None, Some("week")) => Some(Gives::Pass(PassKindName::Week)),
        (None, Some("month")) => Some(Gives::Pass(PassKindName::Month)),
        _ => None,
    }
}

fn stars(t: &T, s: Option<i64>) -> String {
    s.map_or(t.key("ac-none"), |n| format_price(n, "xtr"))
}

async fn products(ctx: &AppCtx, t: &T) -> Result<Screen, BotError> {
    let list = catalog::all(&ctx.db).await?;
    let mut rows: Vec<Vec<Button>> = list
        .iter()
        .map(|p| {
            let mark = if p.active { "🟢" } else { "⚪️" };
            vec![Button::Do(
                format!(
                    "{mark} {} · {}",
                    p.title,
                    format_price(p.price_minor, &p.currency)
                ),
                Action::Product { id: p.id },
            )]
        })
        .collect();
    rows.push(vec![Button::Do(
        t.key("ac-product-new"),
        Action::ProductNew,
    )]);
    rows.push(t.nav(None));
    Ok(Screen {
        text: t.key("ac-products"),
        rows,
    })
}

async fn product(ctx: &AppCtx, t: &T, id: i64) -> Result<Screen, BotError> {
    let Some(p) = crate::billing::orders::product(&ctx.db, id).await? else {
        return products(ctx, t).await;
    };
    let text = t.say(
        "ac-product",
        &[
            ("title", p.title.clone()),
            ("gives", gives(t, gives_of(&p))),
            ("price", format_price(p.price_minor, &p.currency)),
            ("stars", stars(t, p.stars_price)),
            (
                "state",
                t.key(if p.active {
                    "ac-product-on"
                } else {
                    "ac-product-off"
                }),
            ),
        ],
    );
    let edit = |key: &str, field| Button::Do(t.key(key), Action::ProductEdit { id, field });
    Ok(Screen {
        text,
        rows: vec![
            vec![
                Button::Do(
                    t.key(if p.active {
                        "ac-product-deactivate"
                    } else {
                        "ac-product-activate"
                    }),
                    Action::ProductToggle { id },
                ),
                Button::Do(t.key("ac-up"), Action::ProductShift { id, up: true }),
                Button::Do(t.key("ac-down"), Action::ProductShift { id, up: false }),
            ],
            vec![
                edit("ac-edit-title", Field::Title),
                edit("ac-edit-price", Field::Price),
                edit("ac-edit-stars", Field::Stars),
            ],
            t.nav(Some(Action::Products)),
        ],
    })
}

/// A page of the relayed messages that contain `query`: who wrote each and when, the words
/// around the match, and a button to the message in its topic.
async fn found_messages(ctx: &AppCtx, t: &T, query: &Query, page: u32) -> Result<Screen, BotError> {
    let (found, more) = search::messages(&ctx.db, query, page, PER_PAGE).await?;
    let again = vec![Button::Do(
        t.key("ac-search-messages-again"),
        Action::SearchMessages,
    )];
    if found.is_empty() && page == 0 {
        return Ok(Screen {
            text: t.say(
                "ac-search-messages-none",
                &[("query", query.as_str().into())],
            ),
            rows: vec![again, t.nav(None)],
        });
    }
    let mut text = t.say(
        "ac-search-messages-results",
        &[
            ("query", query.as_str().into()),
            ("page", (page + 1).to_string()),
        ],
    );
    let mut rows = Vec::new();
    for (i, f) in found.iter().enumerate() {
        let n = (page * PER_PAGE) as usize + i + 1;
        let mut who = [f.first_name.as_deref(), f.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        if let Some(u) = &f.username {
            who.push_str(&format!(" @{u}"));
        }
        let who = if who.is_empty() {
            f.user_id.to_string()
        } else {
            format!("{who} · {}", f.user_id)
        };
        text.push_str("\n\n");
        text.push_str(&t.say(
            "ac-search-messages-item",
            &[
                ("n", n.to_string()),
                ("who", who),
                ("time", fmt_time(f.at)),
                ("snippet", search::snippet(&f.text, query, search::SNIPPET)),
            ],
        ));
        let name = f
            .first_name
            .clone()
            .unwrap_or_else(|| f.user_id.to_string());
        let label = t.say(
            "ac-search-messages-open",
            &[("n", n.to_string()), ("name", name)],
        );
        if let Some(url) = message_link(f.admin_chat_id, f.thread_id, f.admin_message_id) {
            rows.push(vec![Button::Url(label, url)]);
        }
    }
    let query = query.as_str().to_owned();
    rows.push(t.pages(page, more, |page| Action::Messages {
        query: query.clone(),
        page,
    }));
    rows.push(again);
    rows.push(t.nav(None));
    Ok(Screen { text, rows })
}

/// A prompt for an input, with cancel.
fn prompt(t: &T, text: String, back: Action) -> Screen {
    Screen {
        text,
        rows: vec![vec![Button::Do(
            t.key("ac-cancel"),
            Action::Cancel {
                back: Box::new(back),
            },
        )]],
    }
}

/// Shows `screen` on the panel: stores its actions under a new nonce and edits the message
/// (or sends it, for a new panel).
async fn show(
    ctx: &AppCtx,
    panel: &panels::Panel,
    thread: Option<ThreadId>,
    screen: Screen,
) -> HandlerResult {
    let mut actions = Vec::new();
    let mut keyboard = Vec::new();
    for row in screen.rows {
        let mut buttons = Vec::new();
        for b in row {
            match b {
                Button::Do(label, action) => {
                    actions.push(action);
                    buttons.push((label, Some(actions.len() - 1), None));
                }
                Button::Url(label, url) => buttons.push((label, None, Some(url))),
            }
        }
        if !buttons.is_empty() {
            keyboard.push(buttons);
        }
    }
    let nonce = panels::show(&ctx.db, ctx.now(), panel.id, &actions).await?;
    let markup = InlineKeyboardMarkup::new(keyboard.into_iter().map(|row| {
        row.into_iter()
            .filter_map(|(label, index, url)| match (index, url) {
                (Some(i), _) => Some(InlineKeyboardButton::callback(
                    label,
                    panels::button_data(panel.id, &nonce, i),
                )),
                (None, Some(url)) => url
                    .parse()
                    .ok()
                    .map(|url| InlineKeyboardButton::url(label, url)),
                _ => None,
            })
            .collect::<Vec<_>>()
    }));
    let chat = ChatId(panel.chat_id);
    match panel.message_id {
        Some(id) => {
            let req = ctx
                .tg
                .bot()
                .edit_message_text(chat, MessageId(id), screen.text)
                .reply_markup(markup);
            match ctx.tg.send(chat, req).await {
                Ok(_) => Ok(()),
                // Pressing "refresh" on unchanged figures: nothing to edit.
                Err(crate::telegram::TgError::Rejected(e))
                    if e.to_string().contains("message is not modified") =>
                {
                    Ok(())
                }
                Err(e) => Err(e.into()),
            }
        }
        None => {
            let mut req = ctx
                .tg
                .bot()
                .send_message(chat, screen.text)
                .reply_markup(markup);
            if let Some(thread) = thread {
                req = req.message_thread_id(thread);
            }
            let sent = ctx.tg.send(chat, req).await?;
            panels::attach(&ctx.db, panel.id, sent.id.0).await?;
            Ok(())
        }
    }
}

/// `/admin`: a new control-center message.
pub(crate) async fn open(
    ctx: &AppCtx,
    chat: ChatId,
    thread: Option<ThreadId>,
    admin: i64,
) -> HandlerResult {
    let panel = panels::open(&ctx.db, ctx.now(), chat.0, admin).await?;
    let t = T(ctx.config.default_locale);
    show(ctx, &panel, thread, home(&t).await).await
}

/// Whether `admin` may act in `chat` now (asked on every press and input).
async fn may_act(ctx: &AppCtx, admin: i64, chat: i64) -> bool {
    ctx.admins.standing(&ctx.tg, ctx.now(), admin, chat).await != Standing::None
}

/// A press on a control-center button.
pub(crate) async fn pressed(q: CallbackQuery, ctx: AppCtx) -> HandlerResult {
    let t = T(ctx.config.default_locale);
    let admin = q.from.id.0 as i64;
    let place = q.regular_message().map(|m| (m.chat.id, m.id));
    let outcome: Result<Option<String>, BotError> = async {
        Ok(match place {
            Some((chat, _)) if !may_act(&ctx, admin, chat.0).await => {
                tracing::info!(
                    user_id = admin,
                    "control-center press refused: not an admin"
                );
                Some(t.key("ac-refused"))
            }
            Some((chat, message)) => {
                let data = q.data.as_deref().unwrap_or_default();
                match panels::press::<Action>(&ctx.db, ctx.now(), data, chat.0, message.0).await? {
                    Pressed::Expired => {
                        tracing::info!(data, "control-center press refused: expired");
                        Some(t.key("ac-expired"))
                    }
                    Pressed::Action { panel, action } => {
                        act(&ctx, &t, &panel, admin, action).await?
                    }
                }
            }
            None => Some(t.key("ac-expired")),
        })
    }
    .await;
    // Every press is answered, a failed one too (the error is reported after).
    let toast = match &outcome {
        Ok(toast) => toast.clone(),
        Err(_) => Some(Reply::InternalError.render(t.0)),
    };
    let mut answer = ctx.tg.bot().answer_callback_query(q.id.clone());
    if let Some(text) = toast {
        answer = answer.text(text);
    }
    ctx.tg.call(answer).await?;
    outcome.map(|_| ())
}

/// Carries out a press; a short note for the toast, if any.
async fn act(
    ctx: &AppCtx,
    t: &T,
    panel: &panels::Panel,
    admin: i64,
    action: Action,
) -> Result<Option<String>, BotError> {
    let now = ctx.now();
    let (screen, toast) = match action {
        Action::Home => (home(t).await, None),
        Action::Cancel { back } => return Box::pin(act(ctx, t, panel, admin, *back)).await,
        Action::Close => {
            let chat = ChatId(panel.chat_id);
            if let Some(id) = panel.message_id {
                let _ = ctx
                    .tg
                    .send(chat, ctx.tg.bot().delete_message(chat, MessageId(id)))
                    .await;
            }
            panels::show::<Action>(&ctx.db, now, panel.id, &[]).await?;
            return Ok(None);
        }
        Action::Dashboard => (dashboard(ctx, t).await?, None),
        Action::Conversations { page } => (conversations_page(ctx, t, page).await?, None),
        Action::Conversation { user } => (conversation(ctx, t, user).await?, None),
        Action::CloseConversation { user, closed } => {
            if !close_conversation(ctx, admin, user, closed).await? {
                return Ok(Some(t.key("ac-expired")));
            }
            (conversation(ctx, t, user).await?, None)
        }
        Action::Priority { user, on } => {
            conversations::set_priority(&ctx.db, now, user, on).await?;
            audit::record(
                &ctx.db,
                now,
                audit::Action {
                    admin_id: admin,
                    what: "priority",
                    target_user: Some(user),
                    before: Some((!on).to_string()),
                    after: Some(on.to_string()),
                },
            )
            .await?;
            (conversation(ctx, t, user).await?, None)
        }
        Action::Users { page } => (users_page(ctx, t, page).await?, None),
        Action::Search => {
            let screen = prompt(t, t.key("ac-search-prompt"), Action::Users { page: 0 });
            show(ctx, panel, None, screen).await?;
            panels::wait_for(&ctx.db, now, panel.id, admin, &Awaiting::Search).await?;
            return Ok(None);
        }
        Action::SearchPayments => {
            let screen = prompt(t, t.key("ac-search-payments-prompt"), Action::Billing);
            show(ctx, panel, None, screen).await?;
            panels::wait_for(&ctx.db, now, panel.id, admin, &Awaiting::PaymentSearch).await?;
            return Ok(None);
        }
        Action::SearchMessages => {
            let screen = prompt(t, t.key("ac-search-messages-prompt"), Action::Home);
            show(ctx, panel, None, screen).await?;
            panels::wait_for(&ctx.db, now, panel.id, admin, &Awaiting::MessageSearch).await?;
            return Ok(None);
        }
        Action::Messages { query, page } => match Query::parse(&query) {
            Some(query) => (found_messages(ctx, t, &query, page).await?, None),
            None => return Ok(Some(t.key("ac-expired"))),
        },
        Action::Card { user } => (card(ctx, t, user).await?, None),
        Action::Credits { user } => {
            let Some(u) = users::find(&ctx.db, user).await? else {
                return Ok(Some(t.key("ac-expired")));
            };
            let text = t.say("ac-credits-prompt", &[("name", name_of(&u))]);
            show(ctx, panel, None, prompt(t, text, Action::Card { user })).await?;
            panels::wait_for(&ctx.db, now, panel.id, admin, &Awaiting::Credits { user }).await?;
            return Ok(None);
        }
        Action::Pass { user, kind } => {
            let (Some(kind), Some(u)) = (PassKind::parse(&kind), users::find(&ctx.db, user).await?)
            else {
                return Ok(Some(t.key("ac-expired")));
            };
            let before = passes::active(&ctx.db, now, user).await?;
            let pass = passes::grant(&ctx.db, now, user, kind, &format!("admin:{admin}")).await?;
            ctx.jobs.notify();
            audit::record(
                &ctx.db,
                now,
                audit::Action {
                    admin_id: admin,
                    what: "pass",
                    target_user: Some(user),
                    before: before.map(|p| fmt_time(p.ends_at)),
                    after: Some(fmt_time(pass.ends_at)),
                },
            )
            .await?;
            let until = fmt_time(pass.ends_at);
            send_private(
                ctx,
                user,
                &Reply::PassGranted {
                    until: until.clone(),
                },
                user_locale(ctx, &u),
            )
            .await?;
            let toast = t.say("ac-pass-done", &[("name", name_of(&u)), ("until", until)]);
            (card(ctx, t, user).await?, Some(toast))
        }
        Action::Ban { user, ban } => {
            let Some(u) = users::find(&ctx.db, user).await? else {
                return Ok(Some(t.key("ac-expired")));
            };
            users::set_banned(&ctx.db, user, ban).await?;
            audit::record(
                &ctx.db,
                now,
                audit::Action {
                    admin_id: admin,
                    what: if ban { "ban" } else { "unban" },
                    target_user: Some(user),
                    before: Some(u.status.clone()),
                    after: Some(if ban { "banned" } else { "active" }.to_owned()),
                },
            )
            .await?;
            let key = if ban { "ac-ban-done" } else { "ac-unban-done" };
            let toast = t.say(key, &[("name", name_of(&u))]);
            (card(ctx, t, user).await?, Some(toast))
        }
        Action::Settings => (settings_screen(ctx, t).await?, None),
        Action::Setting { key } => {
            let value = setting_value(ctx, &key).await?;
            let Some(value) = value else {
                return Ok(Some(t.key("ac-expired")));
            };
            let text = t.say(
                "ac-setting-prompt",
                &[("key", key.clone()), ("value", value)],
            );
            show(ctx, panel, None, prompt(t, text, Action::Settings)).await?;
            panels::wait_for(&ctx.db, now, panel.id, admin, &Awaiting::Setting { key }).await?;
            return Ok(None);
        }
        Action::Toggle { key } => {
            let before = setting_value(ctx, &key).await?;
            let flipped = if before.as_deref() == Some("true") {
                "off"
            } else {
                "on"
            };
            let toast = match settings::set_from_text(&ctx.db, now, &key, flipped).await? {
                Ok(after) => {
                    audit::record(
                        &ctx.db,
                        now,
                        audit::Action {
                            admin_id: admin,
                            what: "setting",
                            target_user: None,
                            before: before.map(|b| format!("{key} = {b}")),
                            after: Some(format!("{key} = {after}")),
                        },
                    )
                    .await?;
                    t.say("ac-setting-done", &[("key", key), ("value", after)])
                }
                Err(problem) => problem.to_string(),
            };
            (settings_screen(ctx, t).await?, Some(toast))
        }
        Action::System => (system(ctx, t).await?, None),
        Action::Sellers => (sellers(ctx, t).await?, None),
        Action::PlatformPlans => (platform_plans(ctx, t).await?, None),
        Action::PlatformPlan { code } => match platform_plan(ctx, t, &code).await? {
            Some(screen) => (screen, None),
            None => return Ok(Some(t.key("ac-expired"))),
        },
        Action::PlatformPlanEdit { code, field } => {
            let Some(plan) = crate::sellers::platform::by_code(&ctx.db, &code).await? else {
                return Ok(Some(t.key("ac-expired")));
            };
            if crate::sellers::platform::Field::parse(&field).is_none() {
                return Ok(Some(t.key("ac-expired")));
            }
            let text = t.say(
                "ac-platform-plan-prompt",
                &[("name", plan.name), ("field", field.clone())],
            );
            let back = Action::PlatformPlan { code: code.clone() };
            show(ctx, panel, None, prompt(t, text, back)).await?;
            let awaiting = Awaiting::PlatformPlan { code, field };
            panels::wait_for(&ctx.db, now, panel.id, admin, &awaiting).await?;
            return Ok(None);
        }
        Action::SellerStatus { id, suspend } => {
            let toast =
                crate::sellers::bot::operator_suspend(ctx, admin, &id.to_string(), suspend).await?;
            (sellers(ctx, t).await?, Some(toast))
        }
        Action::Billing => (billing(t), None),
        Action::Payments { page, failed } => (payments(ctx, t, page, failed).await?, None),
        Action::Order { id } => (order(ctx, t, id).await?, None),
        Action::Debts { page } => (debts(ctx, t, page).await?, None),
        Action::Campaign { step } => match campaigns::act(ctx, t, panel, admin, step).await? {
            Some(shown) => shown,
            None => return Ok(None),
        },
        Action::Drip { step } => match drips::act(ctx, t, panel, admin, step).await? {
            Some(shown) => shown,
            None => return Ok(None),
        },
        Action::Analytics => (analytics_screen(ctx, t).await?, None),
        Action::Chart { chart } => {
            let toast = send_chart(ctx, t, ChatId(panel.chat_id), chart).await?;
            let screen = match chart {
                ChartKind::Dashboard => dashboard(ctx, t).await?,
                ChartKind::Growth => analytics_screen(ctx, t).await?,
            };
            (screen, Some(toast))
        }
        Action::Csv { report } => {
            let toast = send_csv(ctx, t, ChatId(panel.chat_id), report).await?;
            (analytics_screen(ctx, t).await?, Some(toast))
        }
        Action::Products => (products(ctx, t).await?, None),
        Action::Product { id } => (product(ctx, t, id).await?, None),
        Action::ProductToggle { id } => {
            let before = crate::billing::orders::product(&ctx.db, id).await?;
            let Some(before) = before else {
                return Ok(Some(t.key("ac-expired")));
            };
            catalog::change(&ctx.db, id, Change::Active(!before.active)).await?;
            audit::record(
                &ctx.db,
                now,
                audit::Action {
                    admin_id: admin,
                    what: "product",
                    target_user: None,
                    before: Some(format!("{}: active {}", before.title, before.active)),
                    after: Some(format!("{}: active {}", before.title, !before.active)),
                },
            )
            .await?;
            (product(ctx, t, id).await?, None)
        }
        Action::ProductShift { id, up } => {
            catalog::shift(&ctx.db, id, up).await?;
            (products(ctx, t).await?, None)
        }
        Action::ProductEdit { id, field } => {
            let key = match field {
                Field::Title => "ac-ask-title",
                Field::Price => "ac-ask-price",
                Field::Stars => "ac-ask-stars",
            };
            show(
                ctx,
                panel,
                None,
                prompt(t, t.key(key), Action::Product { id }),
            )
            .await?;
            panels::wait_for(
                &ctx.db,
                now,
                panel.id,
                admin,
                &Awaiting::ProductField { id, field },
            )
            .await?;
            return Ok(None);
        }
        Action::ProductNew => (
            Screen {
                text: t.key("ac-ask-kind"),
                rows: vec![
                    vec![
                        Button::Do(
                            t.key("ac-kind-credits"),
                            Action::ProductKind { credits: true },
                        ),
                        Button::Do(
                            t.key("ac-kind-pass"),
                            Action::ProductKind { credits: false },
                        ),
                    ],
                    vec![Button::Do(
                        t.key("ac-cancel"),
                        Action::Cancel {
                            back: Box::new(Action::Products),
                        },
                    )],
                ],
            },
            None,
        ),
        Action::ProductKind { credits } => {
            let draft = Draft {
                gives: credits.then_some(Gives::Credits(0)),
                ..Draft::default()
            };
            show(
                ctx,
                panel,
                None,
                prompt(t, t.key("ac-ask-title"), Action::Products),
            )
            .await?;
            panels::wait_for(
                &ctx.db,
                now,
                panel.id,
                admin,
                &Awaiting::ProductTitle { draft },
            )
            .await?;
            return Ok(None);
        }
        Action::ProductPass { mut draft, kind } => {
            draft.gives = Some(Gives::Pass(kind));
            show(
                ctx,
                panel,
                None,
                prompt(t, t.key("ac-ask-price"), Action::Products),
            )
            .await?;
            panels::wait_for(
                &ctx.db,
                now,
                panel.id,
                admin,
                &Awaiting::ProductPrice { draft },
            )
            .await?;
            return Ok(None);
        }
        Action::Replies => (replies(ctx, t).await?, None),
        Action::ReplyCard { id } => (reply_card(ctx, t, id).await?, None),
        Action::ReplyNew => {
            let screen = prompt(t, t.key("ac-reply-prompt"), Action::Replies);
            show(ctx, panel, None, screen).await?;
            panels::wait_for(&ctx.db, now, panel.id, admin, &Awaiting::ReplyNew).await?;
            return Ok(None);
        }
        Action::ReplyEdit { id } => {
            let screen = prompt(t, t.key("ac-reply-prompt"), Action::ReplyCard { id });
            show(ctx, panel, None, screen).await?;
            panels::wait_for(&ctx.db, now, panel.id, admin, &Awaiting::ReplyEdit { id }).await?;
            return Ok(None);
        }
        Action::ReplyDelete { id } => {
            let gone = quick_replies::find(&ctx.db, id).await?;
            if quick_replies::delete(&ctx.db, id).await? {
                audit::record(
                    &ctx.db,
                    now,
                    audit::Action {
                        admin_id: admin,
                        what: "quick_reply_deleted",
                        target_user: None,
                        before: gone.map(|r| r.title),
                        after: None,
                    },
                )
                .await?;
            }
            (replies(ctx, t).await?, None)
        }
        Action::QuickSend { id, user } => {
            let (Some(r), Some(u)) = (
                quick_replies::find(&ctx.db, id).await?,
                users::find(&ctx.db, user).await?,
            ) else {
                return Ok(Some(t.key("ac-expired")));
            };
            let text = quick_replies::fill(&r.body, &u);
            let to = ChatId(user);
            let sent = ctx
                .tg
                .send(to, ctx.tg.bot().send_message(to, text.clone()))
                .await;
            let note = match sent {
                Ok(m) => {
                    if let Some(panel_message) = panel.message_id {
                        crate::relay::threads::remember(
                            &ctx.db,
                            now,
                            user,
                            m.id.0,
                            panel.chat_id,
                            panel_message,
                            crate::relay::threads::Direction::Out,
                        )
                        .await?;
                    }
                    audit::record(
                        &ctx.db,
                        now,
                        audit::Action {
                            admin_id: admin,
                            what: "quick_reply",
                            target_user: Some(user),
                            before: None,
                            after: Some(r.title.clone()),
                        },
                    )
                    .await?;
                    t.say("ac-qr-sent", &[("name", name_of(&u)), ("text", text)])
                }
                Err(crate::telegram::TgError::Unreachable(_)) => {
                    users::mark_unreachable(&ctx.db, now, user).await?;
                    Reply::UserBlockedBot.render(t.0)
                }
                Err(e) => Reply::DeliveryFailed {
                    reason: e.to_string(),
                }
                .render(t.0),
            };
            // The panel becomes the record of what was sent: no buttons left.
            (
                Screen {
                    text: note,
                    rows: Vec::new(),
                },
                None,
            )
        }
        Action::RefundAsk { id } => {
            let Some((line, _)) = stats::order(&ctx.db, id).await? else {
                return Ok(Some(t.key("ac-expired")));
            };
            let o = &line.order;
            let text = t.say(
                "ac-refund-confirm",
                &[
                    ("id", id.to_string()),
                    ("amount", format_price(o.amount_minor, &o.currency)),
                    ("name", line.name.clone()),
                ],
            );
            let screen = Screen {
                text,
                rows: vec![vec![
                    Button::Do(t.key("ac-refund-yes"), Action::RefundDo { id }),
                    Button::Do(
                        t.key("ac-cancel"),
                        Action::Cancel {
                            back: Box::new(Action::Order { id }),
                        },
                    ),
                ]],
            };
            (screen, None)
        }
        Action::RefundDo { id } => {
            let Some(o) = crate::billing::orders::find(&ctx.db, id).await? else {
                return Ok(Some(t.key("ac-expired")));
            };
            let note = if !o.status.is_refundable() {
                t.say(
                    "ac-refund-not",
                    &[("id", id.to_string()), ("status", o.status.to_string())],
                )
            } else {
                match crate::billing::refunds::refund(ctx, &o).await {
                    Ok(()) => {
                        audit::record(
                            &ctx.db,
                            now,
                            audit::Action {
                                admin_id: admin,
                                what: "refund",
                                target_user: Some(o.user_id),
                                before: Some(format!("#{id} {}", o.status)),
                                after: Some(format!(
                                    "#{id} {} refund requested",
                                    format_price(o.amount_minor, &o.currency)
                                )),
                            },
                        )
                        .await?;
                        t.say("ac-refund-done", &[("id", id.to_string())])
                    }
                    Err(e) => {
                        tracing::warn!(order = id, error = %e, "refund failed");
                        t.say(
                            "ac-refund-failed",
                            &[("id", id.to_string()), ("reason", e.to_string())],
                        )
                    }
                }
            };
            let mut screen = order(ctx, t, id).await?;
            screen.text = format!("{note}\n\n{}", screen.text);
            (screen, None)
        }
        Action::Audit { page, filter } => (audit_page(ctx, t, admin, page, filter).await?, None),
    };
    show(ctx, panel, None, screen).await?;
    Ok(toast)
}

/// Whether `msg` is an input some panel waits for (its sender is awaited in its chat).
pub(crate) async fn awaited(msg: &Message, ctx: &AppCtx) -> bool {
    let Some(from) = msg.from.as_ref() else {
        return false;
    };
    if msg.text().is_some_and(|t| t.starts_with('/')) {
        return false;
    }
    panels::waiting(&ctx.db, msg.chat.id.0, from.id.0 as i64)
        .await
        .unwrap_or(false)
}

/// The admin's answer to a panel's prompt.
pub(crate) async fn input(msg: Message, ctx: AppCtx) -> HandlerResult {
    let Some(from) = msg.from.as_ref() else {
        return Ok(());
    };
    let admin = from.id.0 as i64;
    let t = T(ctx.config.default_locale);
    let chat = msg.chat.id;
    let thread = msg.thread_id.filter(|_| msg.is_topic_message);
    if !may_act(&ctx, admin, chat.0).await {
        return Ok(());
    }
    let now = ctx.now();
    let (panel, awaiting) =
        match panels::take_input::<Awaiting>(&ctx.db, now, chat.0, admin).await? {
            Input::Awaited { panel, input } => (panel, input),
            Input::Expired => {
                let mut req = ctx.tg.bot().send_message(chat, t.key("ac-input-expired"));
                if let Some(thread) = thread {
                    req = req.message_thread_id(thread);
                }
                ctx.tg.send(chat, req).await?;
                return Ok(());
            }
            Input::None => return Ok(()),
        };
    let text = msg.text().unwrap_or_default().trim().to_owned();
    // A step that did not take: say why, and wait again.
    let again = |why: String, back: Action, awaiting: Awaiting| {
        let ctx = ctx.clone();
        let panel = panel.clone();
        let t = T(t.0);
        async move {
            show(&ctx, &panel, None, prompt(&t, why, back)).await?;
            panels::wait_for(&ctx.db, ctx.now(), panel.id, admin, &awaiting).await?;
            Ok::<(), BotError>(())
        }
    };
    match awaiting {
        Awaiting::Search => {
            let found = stats::search_users(&ctx.db, &text).await?;
            if found.is_empty() {
                let why = format!(
                    "{}\n\n{}",
                    t.say("ac-search-none", &[("query", text.clone())]),
                    t.key("ac-search-prompt")
                );
                return again(why, Action::Users { page: 0 }, Awaiting::Search).await;
            }
            let mut rows = user_rows(&found);
            rows.push(vec![Button::Do(t.key("ac-cat-search"), Action::Search)]);
            rows.push(t.nav(Some(Action::Users { page: 0 })));
            let screen = Screen {
                text: t.say("ac-search-results", &[("query", text)]),
                rows,
            };
            show(&ctx, &panel, None, screen).await
        }
        Awaiting::Campaign { wait } => campaigns::input(&ctx, &t, &panel, admin, &msg, wait).await,
        Awaiting::Drip { wait } => drips::input(&ctx, &t, &panel, admin, &msg, wait).await,
        Awaiting::PaymentSearch => {
            let found = stats::search_orders(&ctx.db, &text).await?;
            if found.is_empty() {
                let why = format!(
                    "{}\n\n{}",
                    t.say("ac-search-none", &[("query", text.clone())]),
                    t.key("ac-search-payments-prompt")
                );
                return again(why, Action::Billing, Awaiting::PaymentSearch).await;
            }
            let mut rows = order_rows(&found);
            rows.push(vec![Button::Do(
                t.key("ac-cat-search-payments"),
                Action::SearchPayments,
            )]);
            rows.push(t.nav(Some(Action::Billing)));
            let screen = Screen {
                text: t.say("ac-search-payments-results", &[("query", text)]),
                rows,
            };
            show(&ctx, &panel, None, screen).await
        }
        Awaiting::MessageSearch => {
            let Some(query) = Query::parse(&text) else {
                let why = format!(
                    "{}\n\n{}",
                    t.key("ac-search-messages-bad"),
                    t.key("ac-search-messages-prompt")
                );
                return again(why, Action::Home, Awaiting::MessageSearch).await;
            };
            let screen = found_messages(&ctx, &t, &query, 0).await?;
            show(&ctx, &panel, None, screen).await
        }
        Awaiting::Credits { user } => {
            let Some(u) = users::find(&ctx.db, user).await? else {
                return show(&ctx, &panel, None, home(&t).await).await;
            };
            let Some((amount, reason)) = parse_credits(&text) else {
                let why = format!(
                    "{}\n\n{}",
                    t.key("ac-credits-bad"),
                    t.say("ac-credits-prompt", &[("name", name_of(&u))])
                );
                return again(why, Action::Card { user }, Awaiting::Credits { user }).await;
            };
            // Keyed by the admin's message: a redelivered update changes the balance once.
            let key = format!("admin_credits:{}:{}", chat.0, msg.id.0);
            let balance = match change_credits(&ctx, admin, &u, amount, &reason, key).await? {
                Credited::Done(balance) => balance,
                Credited::Short(balance) => {
                    let why = format!(
                        "{}\n\n{}",
                        t.say(
                            "ac-credits-short",
                            &[("name", name_of(&u)), ("balance", balance.to_string())]
                        ),
                        t.say("ac-credits-prompt", &[("name", name_of(&u))])
                    );
                    return again(why, Action::Card { user }, Awaiting::Credits { user }).await;
                }
            };
            let mut screen = card(&ctx, &t, user).await?;
            let done = t.say(
                "ac-credits-done",
                &[
                    ("amount", signed(amount)),
                    ("name", name_of(&u)),
                    ("reason", reason),
                    ("balance", balance.unwrap_or(u.credits).to_string()),
                ],
            );
            screen.text = format!("{done}\n\n{}", screen.text);
            show(&ctx, &panel, None, screen).await
        }
        Awaiting::ProductTitle { mut draft } => match catalog::parse_title(&text) {
            Err(bad) => {
                let why = format!("⚠️ {bad}\n\n{}", t.key("ac-ask-title"));
                again(why, Action::Products, Awaiting::ProductTitle { draft }).await
            }
            Ok(title) => {
                draft.title = title;
                if draft.gives.is_some() {
                    let ask = t.key("ac-ask-credits");
                    show(&ctx, &panel, None, prompt(&t, ask, Action::Products)).await?;
                    panels::wait_for(
                        &ctx.db,
                        now,
                        panel.id,
                        admin,
                        &Awaiting::ProductCredits { draft },
                    )
                    .await
                    .map_err(BotError::from)
                } else {
                    let pass = |kind: PassKindName| {
                        Button::Do(
                            t.say(
                                "ac-pass-button",
                                &[("kind", kind.kind().as_str().to_owned())],
                            ),
                            Action::ProductPass {
                                draft: draft.clone(),
                                kind,
                            },
                        )
                    };
                    let screen = Screen {
                        text: t.key("ac-ask-pass"),
                        rows: vec![
                            vec![
                                pass(PassKindName::Day),
                                pass(PassKindName::Week),
                                pass(PassKindName::Month),
                            ],
                            vec![Button::Do(
                                t.key("ac-cancel"),
                                Action::Cancel {
                                    back: Box::new(Action::Products),
                                },
                            )],
                        ],
                    };
                    show(&ctx, &panel, None, screen).await
                }
            }
        },
        Awaiting::ProductCredits { mut draft } => match catalog::parse_credits(&text) {
            Err(bad) => {
                let why = format!("⚠️ {bad}\n\n{}", t.key("ac-ask-credits"));
                again(why, Action::Products, Awaiting::ProductCredits { draft }).await
            }
            Ok(n) => {
                draft.gives = Some(Gives::Credits(n));
                let ask = t.key("ac-ask-price");
                show(&ctx, &panel, None, prompt(&t, ask, Action::Products)).await?;
                panels::wait_for(
                    &ctx.db,
                    now,
                    panel.id,
                    admin,
                    &Awaiting::ProductPrice { draft },
                )
                .await
                .map_err(BotError::from)
            }
        },
        Awaiting::ProductPrice { mut draft } => match catalog::parse_price(&text) {
            Err(bad) => {
                let why = format!("⚠️ {bad}\n\n{}", t.key("ac-ask-price"));
                again(why, Action::Products, Awaiting::ProductPrice { draft }).await
            }
            Ok(price) => {
                draft.price = Some(price);
                let ask = t.key("ac-ask-stars");
                show(&ctx, &panel, None, prompt(&t, ask, Action::Products)).await?;
                panels::wait_for(
                    &ctx.db,
                    now,
                    panel.id,
                    admin,
                    &Awaiting::ProductStars { draft },
                )
                .await
                .map_err(BotError::from)
            }
        },
        Awaiting::ProductStars { draft } => match catalog::parse_stars(&text) {
            Err(bad) => {
                let why = format!("⚠️ {bad}\n\n{}", t.key("ac-ask-stars"));
                again(why, Action::Products, Awaiting::ProductStars { draft }).await
            }
            Ok(stars_price) => {
                let (Some(gives), Some((price_minor, currency))) = (draft.gives, draft.price)
                else {
                    return show(&ctx, &panel, None, products(&ctx, &t).await?).await;
                };
                let made = catalog::create(
                    &ctx.db,
                    now,
                    NewProduct {
                        title: draft.title.clone(),
                        gives,
                        price_minor,
                        currency,
                        stars_price,
                    },
                )
                .await?;
                audit::record(
                    &ctx.db,
                    now,
                    audit::Action {
                        admin_id: admin,
                        what: "product_created",
                        target_user: None,
                        before: None,
                        after: Some(format!(
                            "{} · {}",
                            made.title,
                            format_price(made.price_minor, &made.currency)
                        )),
                    },
                )
                .await?;
                show(&ctx, &panel, None, product(&ctx, &t, made.id).await?).await
            }
        },
        Awaiting::ProductField { id, field } => {
            let change = match field {
                Field::Title => catalog::parse_title(&text).map(Change::Title),
                Field::Price => catalog::parse_price(&text)
                    .map(|(minor, currency)| Change::Price { minor, currency }),
                Field::Stars => catalog::parse_stars(&text).map(Change::Stars),
            };
            match change {
                Err(bad) => {
                    let key = match field {
                        Field::Title => "ac-ask-title",
                        Field::Price => "ac-ask-price",
                        Field::Stars => "ac-ask-stars",
                    };
                    let why = format!("⚠️ {bad}\n\n{}", t.key(key));
                    again(
                        why,
                        Action::Product { id },
                        Awaiting::ProductField { id, field },
                    )
                    .await
                }
                Ok(change) => {
                    let before = crate::billing::orders::product(&ctx.db, id).await?;
                    if let Some(after) = catalog::change(&ctx.db, id, change).await? {
                        let describe = |p: &crate::billing::orders::Product| {
                            format!(
                                "{} · {} · {}",
                                p.title,
                                format_price(p.price_minor, &p.currency),
                                stars(&t, p.stars_price)
                            )
                        };
                        audit::record(
                            &ctx.db,
                            now,
                            audit::Action {
                                admin_id: admin,
                                what: "product",
                                target_user: None,
                                before: before.as_ref().map(describe),
                                after: Some(describe(&after)),
                            },
                        )
                        .await?;
                    }
                    show(&ctx, &panel, None, product(&ctx, &t, id).await?).await
                }
            }
        }
        Awaiting::ReplyNew | Awaiting::ReplyEdit { .. } => {
            let edit = match &awaiting {
                Awaiting::ReplyEdit { id } => Some(*id),
                _ => None,
            };
            let saved = match edit {
                Some(id) => quick_replies::update(&ctx.db, now, id, &text).await?,
                None => Some(quick_replies::create(&ctx.db, now, &text).await?),
            };
            match saved {
                None => show(&ctx, &panel, None, replies(&ctx, &t).await?).await,
                Some(Ok(r)) => {
                    audit::record(
                        &ctx.db,
                        now,
                        audit::Action {
                            admin_id: admin,
                            what: if edit.is_some() {
                                "quick_reply_edited"
                            } else {
                                "quick_reply_created"
                            },
                            target_user: None,
                            before: None,
                            after: Some(r.title.clone()),
                        },
                    )
                    .await?;
                    show(&ctx, &panel, None, reply_card(&ctx, &t, r.id).await?).await
                }
                Some(Err(bad)) => {
                    let back = edit.map_or(Action::Replies, |id| Action::ReplyCard { id });
                    let why = format!("⚠️ {bad}\n\n{}", t.key("ac-reply-prompt"));
                    again(why, back, awaiting.clone()).await
                }
            }
        }
        Awaiting::PlatformPlan { code, field } => {
            use crate::sellers::platform;
            let Some(which) = platform::Field::parse(&field) else {
                return Ok(());
            };
            let before = platform::by_code(&ctx.db, &code).await?;
            match platform::set(&ctx.db, now, &code, which, &text).await? {
                Ok(after) => {
                    audit::record(
                        &ctx.db,
                        now,
                        audit::Action {
                            admin_id: admin,
                            what: "platform_plan",
                            target_user: None,
                            before: before.map(|b| crate::sellers::bot_platform::operator_plan(&b)),
                            after: Some(crate::sellers::bot_platform::operator_plan(&after)),
                        },
                    )
                    .await?;
                    let Some(mut screen) = platform_plan(&ctx, &t, &code).await? else {
                        return Ok(());
                    };
                    let done = t.say(
                        "ac-platform-plan-done",
                        &[("name", after.name), ("field", field)],
                    );
                    screen.text = format!("{done}\n\n{}", screen.text);
                    show(&ctx, &panel, None, screen).await
                }
                Err(platform::Refused(why)) => {
                    let name = before.map(|b| b.name).unwrap_or_default();
                    let ask = t.say(
                        "ac-platform-plan-prompt",
                        &[("name", name), ("field", field.clone())],
                    );
                    let back = Action::PlatformPlan { code: code.clone() };
                    again(
                        format!("⚠️ {why}.\n\n{ask}"),
                        back,
                        Awaiting::PlatformPlan { code, field },
                    )
                    .await
                }
            }
        }
        Awaiting::Setting { key } => {
            let before = setting_value(&ctx, &key).await?;
            match settings::set_from_text(&ctx.db, now, &key, &text).await? {
                Ok(after) => {
                    audit::record(
                        &ctx.db,
                        now,
                        audit::Action {
                            admin_id: admin,
                            what: "setting",
                            target_user: None,
                            before: before.map(|b| format!("{key} = {b}")),
                            after: Some(format!("{key} = {after}")),
                        },
                    )
                    .await?;
                    let mut screen = settings_screen(&ctx, &t).await?;
                    let done = t.say("ac-setting-done", &[("key", key), ("value", after)]);
                    screen.text = format!("{done}\n\n{}", screen.text);
                    show(&ctx, &panel, None, screen).await
                }
                Err(problem) => {
                    let why = format!(
                        "{problem}\n\n{}",
                        t.say(
                            "ac-setting-prompt",
                            &[("key", key.clone()), ("value", before.unwrap_or_default())]
                        )
                    );
                    again(why, Action::Settings, Awaiting::Setting { key }).await
                }
            }
        }
    }
}

/// What a credit change came to.
pub(crate) enum Credited {
    /// Applied (or applied before, for a redelivered command: None); the balance after.
    Done(Option<i64>),
    /// Taking that many was refused: the user has only this many.
    Short(i64),
}

/// Adds (`amount` > 0) or takes credits from `user` for `reason`, once per `key`: a ledger
/// entry with the admin as actor, an audit entry, and a note to the user.
pub(crate) async fn change_credits(
    ctx: &AppCtx,
    admin: i64,
    u: &users::User,
    amount: i64,
    reason: &str,
    key: String,
) -> Result<Credited, BotError> {
    let now = ctx.now();
    let movement = Movement::new(
        u.id,
        amount.abs(),
        if amount > 0 {
            Reason::AdminGrant
        } else {
            Reason::AdminDebit
        },
    )
    .key(key)
    .reference(reason.to_owned())
    .actor(format!("admin:{admin}"));
    let balance = if amount > 0 {
        match credits::grant(&ctx.db, now, &movement).await? {
            Granted::Applied { balance } => balance,
            Granted::Duplicate => return Ok(Credited::Done(None)),
        }
    } else {
        match credits::debit(&ctx.db, now, &movement).await? {
            Debited::Applied { after, .. } => after,
            Debited::Duplicate => return Ok(Credited::Done(None)),
            Debited::Insufficient { balance } => return Ok(Credited::Short(balance)),
        }
    };
    audit::record(
        &ctx.db,
        now,
        audit::Action {
            admin_id: admin,
            what: "credits",
            target_user: Some(u.id),
            before: Some(u.credits.to_string()),
            after: Some(format!("{balance} ({} {reason})", signed(amount))),
        },
    )
    .await?;
    let notice = if amount > 0 {
        Reply::CreditsGranted { amount, balance }
    } else {
        Reply::CreditsTaken {
            amount: -amount,
            balance,
            reason: reason.to_owned(),
        }
    };
    send_private(ctx, u.id, &notice, user_locale(ctx, u)).await?;
    Ok(Credited::Done(Some(balance)))
}

/// `/user` in a topic: a panel with the user's card, there.
pub(crate) async fn card_panel(
    ctx: &AppCtx,
    chat: ChatId,
    thread: Option<ThreadId>,
    admin: i64,
    user: i64,
) -> HandlerResult {
    let panel = panels::open(&ctx.db, ctx.now(), chat.0, admin).await?;
    let t = T(ctx.config.default_locale);
    let screen = card(ctx, &t, user).await?;
    show(ctx, &panel, thread, screen).await
}

/// `+10 goodwill` / `-5 mistake`: a signed amount (1 to 1,000,000 either way) and a reason
/// (1 to 200 characters).
pub fn parse_credits(text: &str) -> Option<(i64, String)> {
    let (amount, reason) = text.trim().split_once(char::is_whitespace)?;
    let sign = match amount.chars().next()? {
        '+' => 1,
        '-' => -1,
        _ => return None,
    };
    let digits = &amount[1..];
    if digits.is_empty() || digits.len() > 7 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = digits.parse().ok()?;
    let reason = reason.trim();
    if !(1..=1_000_000).contains(&n) || reason.is_empty() || reason.chars().count() > 200 {
        return None;
    }
    Some((sign * n, reason.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credit_changes_need_a_sign_a_range_and_a_reason() {
        assert_eq!(parse_credits("+10 goodwill"), Some((10, "goodwill".into())));
        assert_eq!(
            parse_credits(" -5  a mistake "),
            Some((-5, "a mistake".into()))
        );
        for bad in [
            "",
            "10 x",
            "+10",
            "+0 x",
            "+1000001 x",
            "+1e3 x",
            "++1 x",
            "-x y",
            "+10 ",
        ] {
            assert_eq!(parse_credits(bad), None, "{bad:?}");
        }
        assert_eq!(parse_credits(&format!("+1 {}", "r".repeat(201))), None);
    }

    #[test]
    fn every_text_of_the_center_exists_in_every_locale() {
        let source = concat!(
            include_str!("center.rs"),
            include_str!("center/campaigns.rs"),
            include_str!("center/drips.rs")
        );
        let keys: std::collections::BTreeSet<&str> = source
            .match_indices("\"ac-")
            .filter_map(|(at, _)| {
                let rest = &source[at + 1..];
                let end = rest.find('"')?;
                let key = &rest[..end];
                (key.len() > 3 && key.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'))
                    .then_some(key)
            })
            .collect();
        assert!(keys.len() > 40, "found only {keys:?}");
        for (lang, ftl) in [
            ("en", include_str!("../../../locales/en/main.ftl")),
            ("ru", include_str!("../../../locales/ru/main.ftl")),
        ] {
            for key in &keys {
                assert!(
                    ftl.lines().any(|l| l.starts_with(&format!("{key} ="))),
                    "{key} is missing in {lang}"
                );
            }
        }
    }

    #[test]
    fn message_links_name_the_topic_when_there_is_one() {
        assert_eq!(
            message_link(-1001234567890, Some(7), 42),
            Some("https://t.me/c/1234567890/7/42".into())
        );
        assert_eq!(
            message_link(-1001234567890, None, 42),
            Some("https://t.me/c/1234567890/42".into())
        );
        assert_eq!(message_link(-12345, Some(7), 42), None);
    }

    #[test]
    fn topic_links_only_for_supergroups() {
        assert_eq!(
            topic_link(-1001234567890, 7),
            Some("https://t.me/c/1234567890/7".into())
        );
        assert_eq!(topic_link(-12345, 7), None);
        assert_eq!(topic_link(-1001234567890, 0), None);
    }

    #[test]
    fn every_action_is_stored_and_read_back() {
        let actions = vec![
            Action::Home,
            Action::Card { user: 7 },
            Action::Messages {
                query: "50% off".into(),
                page: 1,
            },
            Action::Audit {
                page: 2,
                filter: Filter {
                    admin: Some(1),
                    user: None,
                },
            },
            Action::Cancel {
                back: Box::new(Action::Settings),
            },
        ];
        let json = serde_json::to_string(&actions).unwrap();
        let back: Vec<Action> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, actions);
    }
}
