//! Every message the bot can send, as a value. Handlers return these; rendering through
//! Fluent happens once, here. Tests compare these values (or their rendering), not strings.
use fluent_templates::fluent_bundle::FluentValue;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::callbacks::Callback;
use crate::{
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
    pub balance: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    // Onboarding
    WelcomeNew {
        name: String,
        credits: i64,
    },
    WelcomeBack {
        name: String,
        balance: i64,
    },
    StartLinkInvalid,
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
    Banned,
    CreditsGranted {
        amount: i64,
        balance: i64,
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
            Reply::Banned => "banned",
            Reply::CreditsGranted { .. } => "credits-granted",
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
            Reply::AdminPassGranted { .. } => "admin-pass-granted",
            Reply::AdminBanned { .. } => "admin-banned",
            Reply::AdminUnbanned { .. } => "admin-unbanned",
            Reply::AdminUsage { .. } => "admin-usage",
            Reply::AdminUnknownUser { .. } => "admin-unknown-user",
            Reply::AdminSettings { .. } => "admin-settings",
            Reply::AdminSettingSet { .. } => "admin-setting-set",
            Reply::AdminBadSetting { .. } => "admin-bad-setting",
        }
    }

    fn args(&self, locale: Locale) -> Args {
        match self {
            Reply::WelcomeNew { name, credits } => {
                args(vec![("name", s(name)), ("credits", n(*credits))])
            }
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
            } => args(vec![
                ("version", s(version)),
                ("users", n(*users as i64)),
                ("active", n(*active as i64)),
                ("jobs_queued", n(*jobs_queued as i64)),
                ("jobs_dead", n(*jobs_dead as i64)),
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
            Reply::StartLinkInvalid
            | Reply::TourStep { .. }
            | Reply::TourSkipped
            | Reply::Help
            | Reply::InternalError
            | Reply::ButtonExpired
            | Reply::RelayFailed
            | Reply::RelayUnavailable
            | Reply::CantForward
            | Reply::Banned
            | Reply::LanguagePrompt
            | Reply::LanguageSet
            | Reply::ResetConfirm
            | Reply::ResetDone
            | Reply::ResetCancelled
            | Reply::ResetDisabled
            | Reply::UserBlockedBot => Args::new(),
        }
    }

    pub fn render(&self, locale: Locale) -> String {
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
                    let reason = i18n::text(locale, &format!("reason-{}", l.reason), &Args::new());
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
            _ => head,
        }
    }

    /// The inline buttons that go with this reply: label keys and what they do.
    pub fn buttons(&self) -> Vec<Vec<(String, Callback)>> {
        let k = |key: &str| key.to_owned();
        match self {
            Reply::WelcomeNew { .. } => vec![vec![
                (k("btn-tour-start"), Callback::TourStart),
                (k("btn-tour-skip"), Callback::TourSkip),
            ]],
            Reply::TourStep { step } if *step < 3 => {
                vec![vec![(k("btn-next"), Callback::TourNext)]]
            }
            Reply::TourStep { .. } => vec![vec![(k("btn-finish"), Callback::TourNext)]],
            Reply::Balance { .. } => vec![vec![(k("btn-history"), Callback::History { page: 0 })]],
            Reply::History {
                page,
                has_newer,
                has_older,
                ..
            } => {
                let mut row = Vec::new();
                if *has_newer {
                    row.push((k("btn-newer"), Callback::History { page: page - 1 }));
                }
                if *has_older {
                    row.push((k("btn-older"), Callback::History { page: page + 1 }));
                }
                if row.is_empty() { vec![] } else { vec![row] }
            }
            Reply::LanguagePrompt => vec![
                Locale::ALL
                    .into_iter()
                    .map(|l| (format!("language-name-{}", l.code()), Callback::Language(l)))
                    .collect(),
            ],
            Reply::ResetConfirm => vec![vec![
                (k("btn-reset-yes"), Callback::ResetConfirm),
                (k("btn-reset-no"), Callback::ResetCancel),
            ]],
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
                .map(|(label, cb)| {
                    InlineKeyboardButton::callback(
                        i18n::text(locale, &label, &Args::new()),
                        cb.data(),
                    )
                })
                .collect::<Vec<_>>()
        })))
    }

    /// One example of every reply, for the render-in-every-locale test.
    pub fn samples() -> Vec<Reply> {
        let line = |reason: &str| HistoryLine {
            date: "2026-11-21 12:00".into(),
            amount: -1,
            reason: reason.into(),
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
            Reply::StartLinkInvalid,
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
            Reply::Banned,
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
                assert!(!full.contains("{ $") && !full.contains("reason-"), "{full}");
                assert!(full.chars().count() <= 4096);
                assert!(
                    !full.contains('\u{2068}'),
                    "bidi isolation marks leak into Telegram"
                );
                for (label, _) in reply.buttons().into_iter().flatten() {
                    assert!(
                        i18n::lookup_exact(locale, &label, &Args::new()).is_some(),
                        "button {label} missing in {}",
                        locale.code()
                    );
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
        assert!(page(0, false, false).buttons().is_empty());
        assert_eq!(
            page(0, false, true).buttons()[0][0].1,
            Callback::History { page: 1 }
        );
        let both = page(2, true, true).buttons();
        assert_eq!(both[0][0].1, Callback::History { page: 1 });
        assert_eq!(both[0][1].1, Callback::History { page: 3 });
    }
}
