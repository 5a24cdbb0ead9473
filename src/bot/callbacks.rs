//! Inline-button payloads. Telegram allows 64 bytes and a hacked client can send anything, so
//! payloads are short, parsed strictly, and checked against server-side state before use.
use crate::i18n::Locale;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Callback {
    TourStart,
    TourNext,
    TourSkip,
    History { page: u32 },
    Language(Locale),
    ResetConfirm,
    ResetCancel,
}

impl Callback {
    pub fn data(self) -> String {
        match self {
            Callback::TourStart => "tour:start".into(),
            Callback::TourNext => "tour:next".into(),
            Callback::TourSkip => "tour:skip".into(),
            Callback::History { page } => format!("hist:{page}"),
            Callback::Language(l) => format!("lang:{}", l.code()),
            Callback::ResetConfirm => "reset:yes".into(),
            Callback::ResetCancel => "reset:no".into(),
        }
    }

    pub fn parse(data: &str) -> Option<Callback> {
        let (kind, arg) = data.split_once(':')?;
        match (kind, arg) {
            ("tour", "start") => Some(Callback::TourStart),
            ("tour", "next") => Some(Callback::TourNext),
            ("tour", "skip") => Some(Callback::TourSkip),
            ("hist", page) if page.len() <= 6 && page.bytes().all(|b| b.is_ascii_digit()) => {
                Some(Callback::History {
                    page: page.parse().ok()?,
                })
            }
            ("lang", code) => Locale::ALL
                .into_iter()
                .find(|l| l.code() == code)
                .map(Callback::Language),
            ("reset", "yes") => Some(Callback::ResetConfirm),
            ("reset", "no") => Some(Callback::ResetCancel),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_payload_round_trips_and_fits_telegrams_limit() {
        let all = [
            Callback::TourStart,
            Callback::TourNext,
            Callback::TourSkip,
            Callback::History { page: 999_999 },
            Callback::Language(Locale::Ru),
            Callback::ResetConfirm,
            Callback::ResetCancel,
        ];
        for cb in all {
            assert!(cb.data().len() <= 64);
            assert_eq!(Callback::parse(&cb.data()), Some(cb));
        }
    }

    #[test]
    fn forged_payloads_are_refused() {
        for bad in [
            "",
            "tour",
            "tour:jump",
            "hist:-1",
            "hist:1e9",
            "hist:12345678",
            "lang:xx",
            "reset:maybe",
            "x:y:z",
        ] {
            assert_eq!(Callback::parse(bad), None, "{bad}");
        }
    }
}
