//! Localisation: every text the bot sends is a Fluent message in `locales/<lang>/*.ftl`.
//!
//! The `.ftl` files are compiled into the binary, so the product is one file to ship. The
//! loader is an immutable table of translations, built once; it holds no state that changes.
use std::{borrow::Cow, collections::HashMap};

use fluent_templates::{LanguageIdentifier, Loader, fluent_bundle::FluentValue, langid};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // Telegram shows Unicode isolation marks as stray characters.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The languages Tollgate ships.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Locale {
    En,
    Ru,
}

const EN: LanguageIdentifier = langid!("en");
const RU: LanguageIdentifier = langid!("ru");

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::En, Locale::Ru];

    /// A shipped locale from a code such as `ru`, `ru-RU` or `en_GB`.
    pub fn parse(code: &str) -> Option<Locale> {
        let primary = code
            .split(['-', '_'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Locale::En),
            "ru" => Some(Locale::Ru),
            _ => None,
        }
    }

    /// The user's choice, else their Telegram `language_code`, else the operator's default.
    pub fn resolve(chosen: Option<&str>, language_code: Option<&str>, default: Locale) -> Locale {
        chosen
            .and_then(Locale::parse)
            .or_else(|| language_code.and_then(Locale::parse))
            .unwrap_or(default)
    }

    pub fn code(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Ru => "ru",
        }
    }

    pub fn list() -> String {
        Locale::ALL.map(Locale::code).join(", ")
    }

    fn langid(self) -> LanguageIdentifier {
        match self {
            Locale::En => EN,
            Locale::Ru => RU,
        }
    }
}

/// Arguments of one message.
pub type Args = HashMap<Cow<'static, str>, FluentValue<'static>>;

/// Renders a message id with its arguments. A missing key is a bug, caught by the locale
/// tests; at run time it falls back to the key itself rather than sending nothing.
pub fn text(locale: Locale, key: &str, args: &Args) -> String {
    LOCALES
        .try_lookup_complete(&locale.langid(), key, (!args.is_empty()).then_some(args))
        .unwrap_or_else(|| {
            tracing::error!(key, locale = locale.code(), "missing translation");
            key.to_owned()
        })
}

/// Like [`text`], but `None` when the key is missing in that very locale (no fallback).
pub fn lookup_exact(locale: Locale, key: &str, args: &Args) -> Option<String> {
    let s =
        LOCALES.try_lookup_complete(&locale.langid(), key, (!args.is_empty()).then_some(args))?;
    Some(s)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn keys(locale: Locale) -> BTreeSet<String> {
        let dir = format!("{}/locales/{}", env!("CARGO_MANIFEST_DIR"), locale.code());
        let mut out = BTreeSet::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let body = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for line in body.lines() {
                let first = line.chars().next();
                if matches!(first, Some(c) if c.is_ascii_alphabetic())
                    && let Some((key, _)) = line.split_once('=')
                {
                    out.insert(key.trim().to_owned());
                }
            }
        }
        out
    }

    #[test]
    fn every_locale_has_exactly_the_same_keys() {
        let en = keys(Locale::En);
        assert!(!en.is_empty());
        for locale in Locale::ALL {
            assert_eq!(keys(locale), en, "locale {} differs from en", locale.code());
        }
    }

    #[test]
    fn locale_codes_resolve_with_fallbacks() {
        assert_eq!(Locale::parse("ru-RU"), Some(Locale::Ru));
        assert_eq!(Locale::parse("EN_gb"), Some(Locale::En));
        assert_eq!(Locale::parse("de"), None);
        assert_eq!(Locale::resolve(None, Some("de"), Locale::Ru), Locale::Ru);
        assert_eq!(
            Locale::resolve(Some("en"), Some("ru"), Locale::Ru),
            Locale::En
        );
        assert_eq!(Locale::resolve(None, Some("ru"), Locale::En), Locale::Ru);
    }
}
