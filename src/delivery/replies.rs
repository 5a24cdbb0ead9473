//! Every message the bot can send, as a value. Handlers return these; rendering through
//! Fluent happens once, here. Tests compare these values (or their rendering), not strings.
use fluent_templates::fluent_bundle::FluentValue;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::callbacks::{Callback, PayMethod};
use crate::{
    billing::orders::CheckoutRefusal,
    domain::progress_bar,
    i18n::{self, Args, Locale},
};

/// What `/balance` suggests next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tip {
    Empty,
    Low,
    Pass,
    Normal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryLine {
    pub date: String,
    pub amount: i64,
    pub reason: String,
    /// How a purchase was paid (`card · $5.00`, `⭐ 250`), when it was one.
    pub detail: Option<String>,
    pub balance: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    // Onboarding
    WelcomeNew {
        name: String,
        credits: i64,
    },
    /// The welcome when the operator switched the tour off.
    WelcomeNoTour {
        name: String,
        credits: i64,
    },
    /// The operator's own welcome text (placeholders filled in), with or without the tour.
    WelcomeCustom {
        text: String,
        tour: bool,
    },
    WelcomeBack {
        name: String,
        balance: i64,
    },
    StartLinkInvalid,
    /// The operator switched the relay off.
    RelayPaused,
    TourStep {
        step: u8,
    },
    TourDone {
        bonus: i64,
        balance: i64,
    },
    TourDoneAgain {
        balance: i64,
    },
    TourSkipped,
    // Help and errors
    Help,
    UnknownCommand {
        command: String,
    },
    InternalError,
    ButtonExpired,
    // Relay, user side
    NoCredits {
        balance: i64,
    },
    LowCredits {
        balance: i64,
    },
    RelayFailed,
    RelayUnavailable,
    CantForward,
    /// Telegram's pre-checkout was refused, and why.
    CheckoutRefused {
        reason: CheckoutRefusal,
    },
    Banned,
    CreditsGranted {
        amount: i64,
        balance: i64,
    },
    /// An admin took credits, for a reason.
    CreditsTaken {
        amount: i64,
        balance: i64,
        reason: String,
    },
    PassGranted {
        until: String,
    },
    PassEnding {
        until: String,
    },
    // Account
    Balance {
        balance: i64,
        scale: i64,
        tier: String,
        cost: i64,
        pass_until: Option<String>,
        tip: Tip,
    },
    History {
        page: u32,
        lines: Vec<HistoryLine>,
        has_newer: bool,
        has_older: bool,
    },
    LanguagePrompt,
    LanguageSet,
    ResetConfirm,
    ResetDone,
    ResetCancelled,
    ResetDisabled,
    // Admin group
    UserCard {
        name: String,
        id: i64,
        username: String,
        language: String,
        balance: i64,
        tier: String,
        pass: String,
    },
    EditNote {
        text: String,
    },
    UserBlockedBot,
    DeliveryFailed {
        reason: String,
    },
    AdminStatus {
        version: String,
        users: u64,
        active: u64,
        jobs_queued: u64,
        jobs_dead: u64,
        /// Relayed messages waiting for the admin group, and how long the oldest has waited
        /// (e.g. "4 min"; "—" when none waits).
        relay_waiting: u64,
        relay_oldest: String,
    },
    AdminCreditsChanged {
        user: i64,
        amount: i64,
        balance: i64,
    },
    AdminNoteKept {
        user: i64,
    },
    AdminGranted {
        user: i64,
        amount: i64,
        balance: i64,
    },
    AdminPassGranted {
        user: i64,
        until: String,
    },
    AdminBanned {
        user: i64,
    },
    AdminUnbanned {
        user: i64,
    },
    AdminUsage {
        usage: String,
    },
    AdminUnknownUser {
        user: i64,
    },
    /// A plain member of the admin group (or anyone else) tried an admin command.
    AdminOnly,
    AdminSettings {
        list: String,
    },
    AdminSettingSet {
        key: String,
        value: String,
    },
    AdminBadSetting {
        problem: String,
    },
    // Payments
    Catalog {
        items: Vec<CatalogItem>,
    },
    ChooseMethod {
        product: i64,
        title: String,
        price: String,
        stars: Option<i64>,
        card: bool,
        card_in_telegram: bool,
    },
    CheckoutLink {
        title: String,
        price: String,
        url: String,
    },
    PaymentUnavailable,
    ProductUnavailable,
    PurchaseDone {
        credits: i64,
        balance: i64,
    },
    PaymentFailed,
    RefundNotice {
        credits: i64,
        balance: i64,
    },
    BillingPortal {
        url: String,
    },
    BillingNoCard,
    AdminRefundNote {
        user: i64,
        order: i64,
        clawed_back: i64,
        debt: i64,
    },
    AdminDisputeNote {
        user: i64,
        order: i64,
    },
    AdminRefundRequested {
        order: i64,
    },
    AdminRefundRefused {
        order: i64,
        reason: String,
    },
    // Auto-recharge
    AutoRechargeStatus {
        threshold: i64,
        credits: i64,
        card: bool,
    },
    AutoRechargeOn {
        threshold: i64,
        credits: i64,
        card: bool,
    },
    AutoRechargeOff,
    AutoRechargeUsage,
    AutoRechargeFailed,
    AutoRechargeDisabled,
    AdminTierSaved {
        name: String,
        cost: i64,
    },
    AdminTierAssigned {
        user: i64,
        name: String,
    },
    /// A gift campaign granted credits (`note`: the team's words under it).
    GiftReceived {
        amount: i64,
        balance: i64,
        note: Option<String>,
    },
    /// A gift campaign granted a time pass.
    GiftPassReceived {
        until: String,
        note: Option<String>,
    },
}

/// One product as `/buy` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogItem {
    pub product: i64,
    pub title: String,
    pub price: String,
    pub stars: Option<i64>,
}

/// A button: its label (a Fluent key, or text as is) and what it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Button {
    Callback { label: Label, action: Callback },
    Url { label: Label, url: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Label {
    Key(&'static str),
    Key1(&'static str, &'static str, String),
    Text(String),
}

impl Label {
    fn render(&self, locale: Locale) -> String {
        match self {
            Label::Key(k) => i18n::text(locale, k, &Args::new()),
            Label::Key1(k, name, v) => i18n::text(locale, k, &args(vec![(name, s(v))])),
            Label::Text(t) => t.clone(),
        }
    }

    #[cfg(test)]
    fn key(&self) -> Option<&'static str> {
        match self {
            Label::Key(k) | Label::Key1(k, _, _) => Some(k),
            Label::Text(_) => None,
        }
    }
}

fn cb(key: &'static str, action: Callback) -> Button {
    Button::Callback {
        label: Label::Key(key),
        action,
    }
}

fn args(pairs: Vec<(&'static str, FluentValue<'static>)>) -> Args {
    pairs.into_iter().map(|(k, v)| (k.into(), v)).collect()
}

fn s(v: &str) -> FluentValue<'static> {
    FluentValue::from(v.to_owned())
}

fn n(v: i64) -> FluentValue<'static> {
    FluentValue::from(v)
}

fn signed(v: i64) -> String {
    if v > 0 {
        format!("+{v}")
    } else {
        v.to_string()
    }
}

impl Reply {
    /// The Fluent message id (composite replies use more keys while rendering).
    pub fn key(&self) -> &'static str {
        match self {
            Reply::WelcomeNew { .. } => "welcome-new",
            Reply::WelcomeBack { .. } => "welcome-back",
            Reply::StartLinkInvalid => "start-link-invalid",
            Reply::RelayPaused => "relay-paused",
            Reply::WelcomeNoTour { .. } => "welcome-new-no-tour",
            Reply::WelcomeCustom { .. } => "welcome-custom",
            Reply::TourStep { step: 1 } => "tour-1",
            Reply::TourStep { step: 2 } => "tour-2",
            Reply::TourStep { .. } => "tour-3",
            Reply::TourDone { .. } => "tour-done",
            Reply::TourDoneAgain { .. } => "tour-done-again",
            Reply::TourSkipped => "tour-skipped",
            Reply::Help => "help",
            Reply::UnknownCommand { .. } => "unknown-command",
            Reply::InternalError => "internal-error",
            Reply::ButtonExpired => "button-expired",
            Reply::NoCredits { .. } => "no-credits",
            Reply::LowCredits { .. } => "low-credits",
            Reply::RelayFailed => "relay-failed",
            Reply::RelayUnavailable => "relay-unavailable",
            Reply::CantForward => "cant-forward",
            Reply::CheckoutRefused { reason } => match reason {
                CheckoutRefusal::UnknownOrder => "checkout-refused-unknown",
                CheckoutRefusal::NotYours => "checkout-refused-not-yours",
                CheckoutRefusal::AlreadyUsed => "checkout-refused-used",
                CheckoutRefusal::NotSold => "checkout-refused-not-sold",
                CheckoutRefusal::PriceChanged => "checkout-refused-price-changed",
                CheckoutRefusal::Banned => "checkout-refused-banned",
                CheckoutRefusal::Unavailable => "checkout-refused-unavailable",
            },
            Reply::Banned => "banned",
            Reply::CreditsGranted { .. } => "credits-granted",
            Reply::CreditsTaken { .. } => "credits-taken",
            Reply::PassGranted { .. } => "pass-granted",
            Reply::PassEnding { .. } => "pass-ending",
            Reply::Balance { .. } => "balance",
            Reply::History { .. } => "history-title",
            Reply::LanguagePrompt => "language-prompt",
            Reply::LanguageSet => "language-set",
            Reply::ResetConfirm => "reset-confirm",
            Reply::ResetDone => "reset-done",
            Reply::ResetCancelled => "reset-cancelled",
            Reply::ResetDisabled => "reset-disabled",
            Reply::UserCard { .. } => "user-card",
            Reply::EditNote { .. } => "edit-note",
            Reply::UserBlockedBot => "user-blocked-bot",
            Reply::DeliveryFailed { .. } => "delivery-failed",
            Reply::AdminStatus { .. } => "admin-status",
            Reply::AdminGranted { .. } => "admin-granted",
            Reply::AdminCreditsChanged { .. } => "admin-credits-changed",
            Reply::AdminNoteKept { .. } => "admin-note-kept",
            Reply::AdminPassGranted { .. } => "admin-pass-granted",
            Reply::AdminBanned { .. } => "admin-banned",
            Reply::AdminUnbanned { .. } => "admin-unbanned",
            Reply::AdminUsage { .. } => "admin-usage",
            Reply::AdminUnknownUser { .. } => "admin-unknown-user",
            Reply::AdminOnly => "admin-only",
            Reply::AdminSettings { .. } => "admin-settings",
            Reply::AdminSettingSet { .. } => "admin-setting-set",
            Reply::AdminBadSetting { .. } => "admin-bad-setting",
            Reply::Catalog { .. } => "catalog",
            Reply::ChooseMethod { .. } => "choose-method",
            Reply::CheckoutLink { .. } => "checkout-link",
            Reply::PaymentUnavailable => "payment-unavailable",
            Reply::ProductUnavailable => "product-unavailable",
            Reply::PurchaseDone { .. } => "purchase-done",
            Reply::PaymentFailed => "payment-failed",
            Reply::RefundNotice { .. } => "refund-notice",
            Reply::BillingPortal { .. } => "billing-portal",
            Reply::BillingNoCard => "billing-no-card",
            Reply::AdminRefundNote { .. } => "admin-refund-note",
            Reply::AdminDisputeNote { .. } => "admin-dispute-note",
            Reply::AdminRefundRequested { .. } => "admin-refund-requested",
            Reply::AutoRechargeStatus { .. } => "autorecharge-status",
            Reply::AutoRechargeOn { .. } => "autorecharge-on",
            Reply::AutoRechargeOff => "autorecharge-off",
            Reply::AutoRechargeUsage => "autorecharge-usage",
            Reply::AutoRechargeFailed => "autorecharge-failed",
            Reply::AutoRechargeDisabled => "autorecharge-disabled",
            Reply::AdminTierSaved { .. } => "admin-tier-saved",
            Reply::AdminTierAssigned { .. } => "admin-tier-assigned",
            Reply::AdminRefundRefused { .. } => "admin-refund-refused",
            Reply::GiftReceived { .. } => "gift-received",
            Reply::GiftPassReceived { .. } => "gift-pass-received",
        }
    }

    fn args(&self, locale: Locale) -> Args {
        match self {
            Reply::WelcomeNew { name, credits } | Reply::WelcomeNoTour { name, credits } => {
                args(vec![("name", s(name)), ("credits", n(*credits))])
            }
            Reply::WelcomeCustom { text, .. } => args(vec![("text", s(text))]),
            Reply::WelcomeBack { name, balance } => {
                args(vec![("name", s(name)), ("balance", n(*balance))])
            }
            Reply::TourDone { bonus, balance } => {
                args(vec![("bonus", n(*bonus)), ("balance", n(*balance))])
            }
            Reply::TourDoneAgain { balance }
            | Reply::NoCredits { balance }
            | Reply::LowCredits { balance } => args(vec![("balance", n(*balance))]),
            Reply::UnknownCommand { command } => args(vec![("command", s(command))]),
            Reply::AdminCreditsChanged {
                user,
                amount,
                balance,
            } => args(vec![
                ("user", n(*user)),
                ("amount", s(&signed(*amount))),
                ("balance", n(*balance)),
            ]),
            Reply::AdminNoteKept { user } => args(vec![("user", n(*user))]),
            Reply::CreditsTaken {
                amount,
                balance,
                reason,
            } => args(vec![
                ("amount", n(*amount)),
                ("balance", n(*balance)),
                ("reason", s(reason)),
            ]),
            Reply::CreditsGranted { amount, balance } => {
                args(vec![("amount", n(*amount)), ("balance", n(*balance))])
            }
            Reply::PassGranted { until } | Reply::PassEnding { until } => {
                args(vec![("until", s(until))])
            }
            Reply::Balance {
                balance,
                scale,
                tier,
                cost,
                pass_until,
                tip,
            } => {
                let pass = match pass_until {
                    Some(until) => {
                        i18n::text(locale, "balance-pass", &args(vec![("until", s(until))]))
                    }
                    None => i18n::text(locale, "balance-no-pass", &Args::new()),
                };
                let tip_key = match tip {
                    Tip::Empty => "tip-empty",
                    Tip::Low => "tip-low",
                    Tip::Pass => "tip-pass",
                    Tip::Normal => "tip-normal",
                };
                let tip = i18n::text(locale, tip_key, &args(vec![("cost", n(*cost))]));
                args(vec![
                    ("bar", s(&progress_bar(*balance, *scale))),
                    ("balance", n(*balance)),
                    ("tier", s(tier)),
                    ("cost", n(*cost)),
                    ("pass", s(&pass)),
                    ("tip", s(&tip)),
                ])
            }
            Reply::History { page, .. } => args(vec![("page", n(i64::from(*page) + 1))]),
            Reply::UserCard {
                name,
                id,
                username,
                language,
                balance,
                tier,
                pass,
            } => args(vec![
                ("name", s(name)),
                ("id", s(&id.to_string())),
                ("username", s(username)),
                ("language", s(language)),
                ("balance", n(*balance)),
                ("tier", s(tier)),
                ("pass", s(pass)),
            ]),
            Reply::EditNote { text } => args(vec![("text", s(text))]),
            Reply::DeliveryFailed { reason } => args(vec![("reason", s(reason))]),
            Reply::AdminStatus {
                version,
                users,
                active,
                jobs_queued,
                jobs_dead,
                relay_waiting,
                relay_oldest,
            } => args(vec![
                ("version", s(version)),
                ("users", n(*users as i64)),
                ("active", n(*active as i64)),
                ("jobs_queued", n(*jobs_queued as i64)),
                ("jobs_dead", n(*jobs_dead as i64)),
                ("relay_waiting", n(*relay_waiting as i64)),
                ("relay_oldest", s(relay_oldest)),
            ]),
            Reply::AdminGranted {
                user,
                amount,
                balance,
            } => args(vec![
                ("user", s(&user.to_string())),
                ("amount", n(*amount)),
                ("balance", n(*balance)),
            ]),
            Reply::AdminPassGranted { user, until } => {
                args(vec![("user", s(&user.to_string())), ("until", s(until))])
            }
            Reply::AdminBanned { user }
            | Reply::AdminUnbanned { user }
            | Reply::AdminUnknownUser { user } => args(vec![("user", s(&user.to_string()))]),
            Reply::AdminUsage { usage } => args(vec![("usage", s(usage))]),
            Reply::AdminSettings { list } => args(vec![("list", s(list))]),
            Reply::AdminSettingSet { key, value } => {
                args(vec![("key", s(key)), ("value", s(value))])
            }
            Reply::AdminBadSetting { problem } => args(vec![("problem", s(problem))]),
            Reply::ChooseMethod { title, price, .. } => {
                args(vec![("title", s(title)), ("price", s(price))])
            }
            Reply::CheckoutLink { title, price, .. } => {
                args(vec![("title", s(title)), ("price", s(price))])
            }
            Reply::PurchaseDone { credits, balance } | Reply::RefundNotice { credits, balance } => {
                args(vec![("credits", n(*credits)), ("balance", n(*balance))])
            }
            Reply::AdminRefundNote {
                user,
                order,
                clawed_back,
                debt,
            } => args(vec![
                ("user", s(&user.to_string())),
                ("order", s(&order.to_string())),
                ("clawed_back", n(*clawed_back)),
                ("debt", n(*debt)),
            ]),
            Reply::AdminRefundRequested { order } => args(vec![("order", s(&order.to_string()))]),
            Reply::AdminTierSaved { name, cost } => {
                args(vec![("name", s(name)), ("cost", n(*cost))])
            }
            Reply::AdminTierAssigned { user, name } => {
                args(vec![("user", s(&user.to_string())), ("name", s(name))])
            }
            Reply::AutoRechargeStatus {
                threshold,
                credits,
                card,
            }
            | Reply::AutoRechargeOn {
                threshold,
                credits,
                card,
            } => args(vec![
                ("threshold", n(*threshold)),
                ("credits", n(*credits)),
                ("card", s(if *card { "yes" } else { "no" })),
            ]),
            Reply::AdminRefundRefused { order, reason } => args(vec![
                ("order", s(&order.to_string())),
                ("reason", s(reason)),
            ]),
            Reply::AdminDisputeNote { user, order } => args(vec![
                ("user", s(&user.to_string())),
                ("order", s(&order.to_string())),
            ]),
            Reply::StartLinkInvalid
            | Reply::RelayPaused
            | Reply::TourStep { .. }
            | Reply::TourSkipped
            | Reply::Help
            | Reply::InternalError
            | Reply::ButtonExpired
            | Reply::RelayFailed
            | Reply::RelayUnavailable
            | Reply::CantForward
            | Reply::CheckoutRefused { .. }
            | Reply::Banned
            | Reply::LanguagePrompt
            | Reply::LanguageSet
            | Reply::ResetConfirm
            | Reply::ResetDone
            | Reply::ResetCancelled
            | Reply::ResetDisabled
            | Reply::UserBlockedBot
            | Reply::AdminOnly
            | Reply::Catalog { .. }
            | Reply::PaymentUnavailable
            | Reply::ProductUnavailable
            | Reply::PaymentFailed
            | Reply::BillingPortal { .. }
            | Reply::BillingNoCard
            | Reply::AutoRechargeOff
            | Reply::AutoRechargeUsage
            | Reply::AutoRechargeFailed
            | Reply::AutoRechargeDisabled => Args::new(),
            Reply::GiftReceived {
                amount, balance, ..
            } => args(vec![("amount", n(*amount)), ("balance", n(*balance))]),
            Reply::GiftPassReceived { until, .. } => args(vec![("until", s(until))]),
        }
    }

    pub fn render(&self, locale: Locale) -> String {
        if let Reply::WelcomeCustom { text, .. } = self {
            return text.clone();
        }
        let head = i18n::text(locale, self.key(), &self.args(locale));
        match self {
            Reply::History { lines, .. } if lines.is_empty() => {
                format!(
                    "{head}\n{}",
                    i18n::text(locale, "history-empty", &Args::new())
                )
            }
            Reply::History { lines, .. } => {
                let mut out = head;
                for l in lines {
                    let mut reason =
                        i18n::text(locale, &format!("reason-{}", l.reason), &Args::new());
                    if let Some(detail) = &l.detail {
                        reason.push_str(&format!(" ({detail})"));
                    }
                    out.push('\n');
                    out.push_str(&i18n::text(
                        locale,
                        "history-line",
                        &args(vec![
                            ("date", s(&l.date)),
                            ("amount", s(&signed(l.amount))),
                            ("reason", s(&reason)),
                            ("balance", n(l.balance)),
                        ]),
                    ));
                }
                out
            }
            Reply::GiftReceived {
                note: Some(note), ..
            }
            | Reply::GiftPassReceived {
                note: Some(note), ..
            } if !note.trim().is_empty() => format!("{head}\n\n{note}"),
            _ => head,
        }
    }

    /// The inline buttons that go with this reply.
    pub fn buttons(&self) -> Vec<Vec<Button>> {
        let buy = || cb("btn-buy", Callback::BuyMenu);
        match self {
            Reply::WelcomeNew { .. } | Reply::WelcomeCustom { tour: true, .. } => vec![vec![
                cb("btn-tour-start", Callback::TourStart),
                cb("btn-tour-skip", Callback::TourSkip),
            ]],
            Reply::TourStep { step } if *step < 3 => vec![vec![cb("btn-next", Callback::TourNext)]],
            Reply::TourStep { .. } => vec![vec![cb("btn-finish", Callback::TourNext)]],
            Reply::Balance { .. } => vec![vec![
                buy(),
                cb("btn-history", Callback::History { page: 0 }),
            ]],
            Reply::NoCredits { .. } | Reply::LowCredits { .. } => vec![vec![buy()]],
            Reply::History {
                page,
                has_newer,
                has_older,
                ..
            } => {
                let mut row = Vec::new();
                if *has_newer {
                    row.push(cb("btn-newer", Callback::History { page: page - 1 }));
                }
                if *has_older {
                    row.push(cb("btn-older", Callback::History { page: page + 1 }));
                }
                if row.is_empty() { vec![] } else { vec![row] }
            }
            Reply::LanguagePrompt => vec![
                Locale::ALL
                    .into_iter()
                    .map(|l| Button::Callback {
                        label: Label::Text(i18n::text(
                            l,
                            &format!("language-name-{}", l.code()),
                            &Args::new(),
                        )),
                        action: Callback::Language(l),
                    })
                    .collect(),
            ],
            Reply::ResetConfirm => vec![vec![
                cb("btn-reset-yes", Callback::ResetConfirm),
                cb("btn-reset-no", Callback::ResetCancel),
            ]],
            Reply::Catalog { items } => items
                .iter()
                .map(|i| {
                    let mut label = format!("{} · {}", i.title, i.price);
                    if let Some(stars) = i.stars {
                        label.push_str(&format!(" · ⭐{stars}"));
                    }
                    vec![Button::Callback {
                        label: Label::Text(label),
                        action: Callback::Buy { product: i.product },
                    }]
                })
                .collect(),
            Reply::ChooseMethod {
                product,
                stars,
                card,
                card_in_telegram,
                price,
                ..
            } => {
                let mut rows = Vec::new();
                if *card {
                    rows.push(vec![Button::Callback {
                        label: Label::Key1("btn-pay-card", "price", price.clone()),
                        action: Callback::Pay {
                            product: *product,
                            method: PayMethod::Card,
                        },
                    }]);
                }
                if let Some(stars) = stars {
                    rows.push(vec![Button::Callback {
                        label: Label::Key1("btn-pay-stars", "stars", stars.to_string()),
                        action: Callback::Pay {
                            product: *product,
                            method: PayMethod::Stars,
                        },
                    }]);
                }
                if *card_in_telegram {
                    rows.push(vec![Button::Callback {
                        label: Label::Key1("btn-pay-telegram", "price", price.clone()),
                        action: Callback::Pay {
                            product: *product,
                            method: PayMethod::Telegram,
                        },
                    }]);
                }
                rows
            }
            Reply::CheckoutLink { url, price, .. } => vec![vec![Button::Url {
                label: Label::Key1("btn-pay-now", "price", price.clone()),
                url: url.clone(),
            }]],
            Reply::BillingPortal { url } => vec![vec![Button::Url {
                label: Label::Key("btn-billing"),
                url: url.clone(),
            }]],
            _ => vec![],
        }
    }

    pub fn keyboard(&self, locale: Locale) -> Option<InlineKeyboardMarkup> {
        let rows = self.buttons();
        if rows.is_empty() {
            return None;
        }
        Some(InlineKeyboardMarkup::new(rows.into_iter().map(|row| {
            row.into_iter()
                .filter_map(|b| match b {
                    Button::Callback { label, action } => Some(InlineKeyboardButton::callback(
                        label.render(locale),
                        action.data(),
                    )),
                    Button::Url { label, url } => Some(InlineKeyboardButton::url(
                        label.render(locale),
                        url.parse().ok()?,
                    )),
                })
                .collect::<Vec<_>>()
        })))
    }

    /// One example of every reply, for the render-in-every-locale test.
    #[cfg(test)]
    pub fn samples() -> Vec<Reply> {
        let line = |reason: &str| HistoryLine {
            date: "2026-11-21 12:00".into(),
            amount: -1,
            reason: reason.into(),
            detail: (reason == "purchase").then(|| "card · $5.00".to_owned()),
            balance: 2,
        };
        let mut all = vec![
            Reply::WelcomeNew {
                name: "Ann".into(),
                credits: 3,
            },
            Reply::WelcomeBack {
                name: "Ann".into(),
                balance: 3,
            },
            Reply::WelcomeNoTour {
                name: "Ann".into(),
                credits: 3,
            },
            Reply::WelcomeCustom {
                text: "Hi Ann".into(),
                tour: true,
            },
            Reply::StartLinkInvalid,
            Reply::RelayPaused,
            Reply::TourStep { step: 1 },
            Reply::TourStep { step: 2 },
            Reply::TourStep { step: 3 },
            Reply::TourDone {
                bonus: 2,
                balance: 5,
            },
            Reply::TourDoneAgain { balance: 5 },
            Reply::TourSkipped,
            Reply::Help,
            Reply::UnknownCommand {
                command: "/nope".into(),
            },
            Reply::InternalError,
            Reply::ButtonExpired,
            Reply::NoCredits { balance: 0 },
            Reply::LowCredits { balance: 2 },
            Reply::RelayFailed,
            Reply::RelayUnavailable,
            Reply::CantForward,
            Reply::CheckoutRefused {
                reason: CheckoutRefusal::UnknownOrder,
            },
            Reply::CheckoutRefused {
                reason: CheckoutRefusal::NotYours,
            },
            Reply::CheckoutRefused {
                reason: CheckoutRefusal::AlreadyUsed,
            },
            Reply::CheckoutRefused {
                reason: CheckoutRefusal::NotSold,
            },
            Reply::CheckoutRefused {
                reason: CheckoutRefusal::PriceChanged,
            },
            Reply::CheckoutRefused {
                reason: CheckoutRefusal::Banned,
            },
            Reply::CheckoutRefused {
                reason: CheckoutRefusal::Unavailable,
            },
            Reply::Banned,
            Reply::AdminCreditsChanged {
                user: 42,
                amount: -5,
                balance: 3,
            },
            Reply::AdminNoteKept { user: 42 },
            Reply::CreditsTaken {
                amount: 5,
                balance: 1,
                reason: "a mistake".into(),
            },
            Reply::CreditsGranted {
                amount: 5,
                balance: 8,
            },
            Reply::PassGranted {
                until: "2026-11-22 12:00 UTC".into(),
            },
            Reply::PassEnding {
                until: "2026-11-22 12:00 UTC".into(),
            },
            Reply::History {
                page: 0,
                lines: vec![],
                has_newer: false,
                has_older: false,
            },
            Reply::LanguagePrompt,
            Reply::LanguageSet,
            Reply::ResetConfirm,
            Reply::ResetDone,
            Reply::ResetCancelled,
            Reply::ResetDisabled,
            Reply::UserCard {
                name: "Ann".into(),
                id: 1,
                username: "@ann".into(),
                language: "en".into(),
                balance: 3,
                tier: "standard".into(),
                pass: "—".into(),
            },
            Reply::EditNote { text: "hi".into() },
            Reply::UserBlockedBot,
            Reply::DeliveryFailed { reason: "x".into() },
            Reply::AdminStatus {
                version: "1.0".into(),
                users: 3,
                active: 2,
                jobs_queued: 1,
                jobs_dead: 0,
                relay_waiting: 2,
                relay_oldest: "4 min".into(),
            },
            Reply::AdminGranted {
                user: 1,
                amount: 5,
                balance: 8,
            },
            Reply::AdminPassGranted {
                user: 1,
                until: "2026-11-22 12:00 UTC".into(),
            },
            Reply::AdminBanned { user: 1 },
            Reply::AdminUnbanned { user: 1 },
            Reply::AdminUsage {
                usage: "/grant 5".into(),
            },
            Reply::AdminUnknownUser { user: 1 },
            Reply::AdminOnly,
            Reply::AdminSettings {
                list: "a = 1".into(),
            },
            Reply::AdminSettingSet {
                key: "a".into(),
                value: "1".into(),
            },
            Reply::AdminBadSetting {
                problem: "x".into(),
            },
            Reply::Catalog {
                items: vec![CatalogItem {
                    product: 1,
                    title: "10 credits".into(),
                    price: "$5.00".into(),
                    stars: Some(250),
                }],
            },
            Reply::ChooseMethod {
                product: 1,
                title: "10 credits".into(),
                price: "$5.00".into(),
                stars: Some(250),
                card: true,
                card_in_telegram: true,
            },
            Reply::CheckoutLink {
                title: "10 credits".into(),
                price: "$5.00".into(),
                url: "https://pay.example/cs".into(),
            },
            Reply::PaymentUnavailable,
            Reply::ProductUnavailable,
            Reply::PurchaseDone {
                credits: 25,
                balance: 28,
            },
            Reply::PaymentFailed,
            Reply::RefundNotice {
                credits: 25,
                balance: 3,
            },
            Reply::BillingPortal {
                url: "https://billing.example/p".into(),
            },
            Reply::BillingNoCard,
            Reply::AdminRefundNote {
                user: 1,
                order: 2,
                clawed_back: 20,
                debt: 5,
            },
            Reply::AdminDisputeNote { user: 1, order: 2 },
            Reply::AdminRefundRequested { order: 2 },
            Reply::AutoRechargeStatus {
                threshold: 2,
                credits: 10,
                card: true,
            },
            Reply::AutoRechargeOn {
                threshold: 2,
                credits: 10,
                card: false,
            },
            Reply::AutoRechargeOff,
            Reply::AutoRechargeUsage,
            Reply::AutoRechargeFailed,
            Reply::AdminTierSaved {
                name: "vip".into(),
                cost: 0,
            },
            Reply::AdminTierAssigned {
                user: 1,
                name: "vip".into(),
            },
            Reply::AutoRechargeDisabled,
            Reply::AdminRefundRefused {
                order: 2,
                reason: "x".into(),
            },
            Reply::GiftReceived {
                amount: 5,
                balance: 8,
                note: Some("Happy holidays!".into()),
            },
            Reply::GiftReceived {
                amount: 1,
                balance: 1,
                note: None,
            },
            Reply::GiftPassReceived {
                until: "2026-11-22 12:00 UTC".into(),
                note: Some("Thanks for staying with us".into()),
            },
        ];
        for tip in [Tip::Empty, Tip::Low, Tip::Pass, Tip::Normal] {
            for pass_until in [None, Some("2026-11-22 12:00 UTC".to_owned())] {
                all.push(Reply::Balance {
                    balance: 3,
                    scale: 10,
                    tier: "standard".into(),
                    cost: 1,
                    pass_until: pass_until.clone(),
                    tip,
                });
            }
        }
        let reasons = [
            "welcome",
            "tutorial_bonus",
            "message",
            "relay_refund",
            "purchase",
            "admin_grant",
            "clawback",
        ];
        all.push(Reply::History {
            page: 1,
            lines: reasons.iter().map(|r| line(r)).collect(),
            has_newer: true,
            has_older: true,
        });
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reply_and_button_renders_in_every_locale() {
        for locale in Locale::ALL {
            for reply in Reply::samples() {
                let text = i18n::lookup_exact(locale, reply.key(), &reply.args(locale))
                    .unwrap_or_else(|| panic!("{} missing in {}", reply.key(), locale.code()));
                assert!(!text.trim().is_empty());
                let full = reply.render(locale);
                assert!(
                    !full.contains("{ $") && !full.contains("{-") && !full.contains("reason-"),
                    "{full}"
                );
                assert!(full.chars().count() <= 4096);
                assert!(
                    !full.contains('\u{2068}'),
                    "bidi isolation marks leak into Telegram"
                );
                for button in reply.buttons().into_iter().flatten() {
                    let (Button::Callback { label, .. } | Button::Url { label, .. }) = button;
                    if let Some(key) = label.key() {
                        assert!(
                            i18n::lookup_exact(locale, key, &Args::new()).is_some()
                                || !label.render(locale).contains(key),
                            "button {key} missing in {}",
                            locale.code()
                        );
                    }
                }
            }
        }
        assert!(
            Reply::WelcomeNew {
                name: "Zoë".into(),
                credits: 3
            }
            .render(Locale::En)
            .contains("Zoë")
        );
    }

    #[test]
    fn history_pages_offer_only_the_directions_that_exist() {
        let page = |page, has_newer, has_older| Reply::History {
            page,
            lines: vec![],
            has_newer,
            has_older,
        };
        let action = |b: &Button| match b {
            Button::Callback { action, .. } => *action,
            Button::Url { .. } => panic!("no URL buttons in history"),
        };
        assert!(page(0, false, false).buttons().is_empty());
        assert_eq!(
            action(&page(0, false, true).buttons()[0][0]),
            Callback::History { page: 1 }
        );
        let both = page(2, true, true).buttons();
        assert_eq!(action(&both[0][0]), Callback::History { page: 1 });
        assert_eq!(action(&both[0][1]), Callback::History { page: 3 });
    }
}
