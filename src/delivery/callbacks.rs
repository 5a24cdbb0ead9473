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
    BuyMenu,
    Buy { product: i64 },
    Pay { product: i64, method: PayMethod },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayMethod {
    Card,
    Stars,
    Telegram,
}

impl PayMethod {
    fn code(self) -> &'static str {
        match self {
            PayMethod::Card => "c",
            PayMethod::Stars => "s",
            PayMethod::Telegram => "t",
        }
    }
}

fn id(s: &str) -> Option<i64> {
    (s.len() <= 12 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
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
            Callback::BuyMenu => "buy:menu".into(),
            Callback::Buy { product } => format!("buy:{product}"),
            Callback::Pay { product, method } => format!("pay:{product}:{}", method.code()),
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
            ("buy", "menu") => Some(Callback::BuyMenu),
            ("buy", product) => Some(Callback::Buy {
                product: id(product)?,
            }),
            ("pay", rest) => {
                let (product, method) = rest.split_once(':')?;
                let method = match method {
                    "c" => PayMethod::Card,
                    "s" => PayMethod::Stars,
                    "t" => PayMethod::Telegram,
                    _ => return None,
                };
                Some(Callback::Pay {
                    product: id(product)?,
                    method,
                })
            }
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
            Callback::BuyMenu,
            Callback::Buy {
                product: 999_999_999_999,
            },
            Callback::Pay {
                product: 7,
                method: PayMethod::Card,
            },
            Callback::Pay {
                product: 7,
                method: PayMethod::Stars,
            },
            Callback::Pay {
                product: 7,
                method: PayMethod::Telegram,
            },
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
