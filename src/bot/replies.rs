//! Every message the bot can send, as a value. Handlers return these; rendering through
//! Fluent happens once, here. Tests compare these values (or their rendering), not strings.
use fluent_templates::fluent_bundle::FluentValue;

use crate::i18n::{self, Args, Locale};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    WelcomeNew {
        name: String,
    },
    WelcomeBack {
        name: String,
    },
    StartLinkInvalid,
    Help,
    UnknownCommand {
        command: String,
    },
    TextNotYet,
    InternalError,
    AdminStatus {
        version: String,
        users: u64,
        active: u64,
        jobs_queued: u64,
        jobs_dead: u64,
    },
    AdminOnly,
}

impl Reply {
    pub fn key(&self) -> &'static str {
        match self {
            Reply::WelcomeNew { .. } => "welcome-new",
            Reply::WelcomeBack { .. } => "welcome-back",
            Reply::StartLinkInvalid => "start-link-invalid",
            Reply::Help => "help",
            Reply::UnknownCommand { .. } => "unknown-command",
            Reply::TextNotYet => "text-not-yet",
            Reply::InternalError => "internal-error",
            Reply::AdminStatus { .. } => "admin-status",
            Reply::AdminOnly => "admin-only",
        }
    }

    fn args(&self) -> Args {
        let mut args = Args::new();
        let mut put = |k: &'static str, v: FluentValue<'static>| {
            args.insert(k.into(), v);
        };
        match self {
            Reply::WelcomeNew { name } | Reply::WelcomeBack { name } => {
                put("name", name.clone().into())
            }
            Reply::UnknownCommand { command } => put("command", command.clone().into()),
            Reply::AdminStatus {
                version,
                users,
                active,
                jobs_queued,
                jobs_dead,
            } => {
                put("version", version.clone().into());
                put("users", (*users).into());
                put("active", (*active).into());
                put("jobs_queued", (*jobs_queued).into());
                put("jobs_dead", (*jobs_dead).into());
            }
            Reply::StartLinkInvalid
            | Reply::Help
            | Reply::TextNotYet
            | Reply::InternalError
            | Reply::AdminOnly => {}
        }
        args
    }

    pub fn render(&self, locale: Locale) -> String {
        i18n::text(locale, self.key(), &self.args())
    }

    /// One example of every reply, for the render-in-every-locale test.
    pub fn samples() -> Vec<Reply> {
        vec![
            Reply::WelcomeNew { name: "Ann".into() },
            Reply::WelcomeBack { name: "Ann".into() },
            Reply::StartLinkInvalid,
            Reply::Help,
            Reply::UnknownCommand {
                command: "/nope".into(),
            },
            Reply::TextNotYet,
            Reply::InternalError,
            Reply::AdminStatus {
                version: "1.0".into(),
                users: 3,
                active: 2,
                jobs_queued: 1,
                jobs_dead: 0,
            },
            Reply::AdminOnly,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reply_renders_in_every_locale_with_its_arguments() {
        for locale in Locale::ALL {
            for reply in Reply::samples() {
                let text = i18n::lookup_exact(locale, reply.key(), &reply.args())
                    .unwrap_or_else(|| panic!("{} missing in {}", reply.key(), locale.code()));
                assert!(!text.trim().is_empty());
                assert!(
                    !text.contains("{ $"),
                    "unfilled argument in {}",
                    reply.key()
                );
                assert!(text.chars().count() <= 4096);
                assert!(
                    !text.contains('\u{2068}'),
                    "bidi isolation marks leak into Telegram"
                );
            }
        }
        assert!(
            Reply::WelcomeNew {
                name: "Zoë".into()
            }
            .render(Locale::En)
            .contains("Zoë")
        );
    }
}
