//! Operator settings: typed keys with defaults, stored as JSON text.
use chrono::{DateTime, Utc};
use std::collections::HashMap;

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::OnConflict,
};
use serde::{Serialize, de::DeserializeOwned};

use super::ServiceResult;
use crate::storage::{StorageError, entities::settings};

/// A setting: its key and the type and default of its value.
pub struct Setting<T: 'static> {
    pub key: &'static str,
    pub default: fn() -> T,
}

impl<T: DeserializeOwned> Setting<T> {
    /// The value from its stored JSON text, or the default when nothing is stored.
    pub fn parse(&self, stored: Option<&str>) -> ServiceResult<T> {
        match stored {
            None => Ok((self.default)()),
            Some(json) => serde_json::from_str(json).map_err(|e| {
                StorageError::Corrupt(format!("setting {} holds bad JSON: {e}", self.key)).into()
            }),
        }
    }
}

/// Reads a setting, or its default when unset.
pub async fn get<T>(db: &impl ConnectionTrait, setting: &Setting<T>) -> ServiceResult<T>
where
    T: DeserializeOwned,
{
    let row = settings::Entity::find_by_id(setting.key).one(db).await?;
    setting.parse(row.as_ref().map(|r| r.value.as_str()))
}

/// The stored JSON text of several settings in one query (absent keys are unset); read each
/// with [`Setting::parse`].
pub async fn stored(
    db: &impl ConnectionTrait,
    keys: &[&'static str],
) -> ServiceResult<HashMap<String, String>> {
    Ok(settings::Entity::find()
        .filter(settings::Column::Key.is_in(keys.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.key, row.value))
        .collect())
}

pub async fn set<T>(
    db: &crate::storage::Db,
    now: DateTime<Utc>,
    setting: &Setting<T>,
    value: &T,
) -> ServiceResult<()>
where
    T: Serialize,
{
    let json = serde_json::to_string(value)
        .map_err(|e| StorageError::Corrupt(format!("setting {}: {e}", setting.key)))?;
    settings::Entity::insert(settings::ActiveModel {
        key: Set(setting.key.to_owned()),
        value: Set(json),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(settings::Column::Key)
            .update_columns([settings::Column::Value, settings::Column::UpdatedAt])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// A setting's value, made by `make` and stored when none is stored yet. Concurrent callers
/// (other replicas included) all read the one value that was stored first.
pub async fn get_or_init<T>(
    db: &crate::storage::Db,
    now: DateTime<Utc>,
    setting: &Setting<T>,
    make: impl FnOnce() -> T,
) -> ServiceResult<T>
where
    T: Serialize + DeserializeOwned,
{
    if let Some(row) = settings::Entity::find_by_id(setting.key).one(db).await? {
        return setting.parse(Some(&row.value));
    }
    let json = serde_json::to_string(&make())
        .map_err(|e| StorageError::Corrupt(format!("setting {}: {e}", setting.key)))?;
    settings::Entity::insert(settings::ActiveModel {
        key: Set(setting.key.to_owned()),
        value: Set(json),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(settings::Column::Key)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    get(db, setting).await
}

/// How long processed Telegram update ids are remembered for de-duplication, in hours.
pub const UPDATE_DEDUPE_HOURS: Setting<i64> = Setting {
    key: "update_dedupe_hours",
    default: || 48,
};

/// Credits a new user gets at their first `/start`.
pub const WELCOME_CREDITS: Setting<i64> = Setting {
    key: "welcome_credits",
    default: || 3,
};

/// Credits for finishing the tutorial (once per user).
pub const TUTORIAL_BONUS: Setting<i64> = Setting {
    key: "tutorial_bonus",
    default: || 2,
};

/// What one relayed message costs when the user's tier does not say otherwise.
pub const MESSAGE_COST: Setting<i64> = Setting {
    key: "message_cost",
    default: || 1,
};

/// A warning is sent once each time the balance crosses down to this or below.
pub const LOW_CREDIT_THRESHOLD: Setting<i64> = Setting {
    key: "low_credit_threshold",
    default: || 2,
};

/// The tier of users who have none of their own.
pub const DEFAULT_TIER: Setting<String> = Setting {
    key: "default_tier",
    default: || "standard".to_owned(),
};

/// Lets users wipe their own account with `/reset` (for testing a deployment).
pub const ALLOW_RESET: Setting<bool> = Setting {
    key: "allow_reset",
    default: || false,
};

/// Products may be paid with Telegram Stars (where they have a Stars price).
pub const SELL_WITH_STARS: Setting<bool> = Setting {
    key: "sell_with_stars",
    default: || true,
};

/// Products may be paid by card (Stripe Checkout), when Stripe is configured.
pub const SELL_WITH_CARD: Setting<bool> = Setting {
    key: "sell_with_card",
    default: || true,
};

/// Users may turn on `/autorecharge`, and opted-in users are recharged.
pub const AUTO_RECHARGE: Setting<bool> = Setting {
    key: "auto_recharge",
    default: || true,
};

/// People's messages are relayed to the team (off: they are told that messages are paused,
/// and nothing is charged).
pub const RELAY: Setting<bool> = Setting {
    key: "relay",
    default: || true,
};

/// Campaigns go as paid broadcasts (`allow_paid_broadcast`): up to `PAID_BROADCAST_RATE`
/// messages a second instead of `BROADCAST_RATE`, for 0.1 Stars per message beyond Telegram's
/// free 30 a second, taken from the bot's Stars balance.
pub const PAID_BROADCAST: Setting<bool> = Setting {
    key: "paid_broadcast",
    default: || false,
};

/// New users are offered the three-step tour (and its bonus).
pub const TUTORIAL: Setting<bool> = Setting {
    key: "tutorial",
    default: || true,
};

/// The operator's welcome for new users in English; empty: the built-in one. `{name}` and
/// `{credits}` are filled in.
pub const WELCOME_TEXT_EN: Setting<String> = Setting {
    key: "welcome_text_en",
    default: String::new,
};

/// ... in Russian.
pub const WELCOME_TEXT_RU: Setting<String> = Setting {
    key: "welcome_text_ru",
    default: String::new,
};

/// The welcome text setting of a language.
pub fn welcome_text(locale: crate::i18n::Locale) -> &'static Setting<String> {
    match locale {
        crate::i18n::Locale::En => &WELCOME_TEXT_EN,
        crate::i18n::Locale::Ru => &WELCOME_TEXT_RU,
    }
}

/// The longest welcome text taken.
pub const WELCOME_TEXT_MAX: usize = 1000;

/// The switches: on or off.
const SWITCHES: [&Setting<bool>; 7] = [
    &RELAY,
    &ALLOW_RESET,
    &SELL_WITH_STARS,
    &SELL_WITH_CARD,
    &AUTO_RECHARGE,
    &TUTORIAL,
    &PAID_BROADCAST,
];

/// The full length of the `/balance` bar when the user has bought no pack yet.
pub const BALANCE_SCALE: Setting<i64> = Setting {
    key: "balance_scale",
    default: || 10,
};

/// The settings an operator may change with `/set`, with their current values.
pub async fn list(db: &crate::storage::Db) -> ServiceResult<Vec<(&'static str, String)>> {
    Ok(vec![
        (
            WELCOME_CREDITS.key,
            get(db, &WELCOME_CREDITS).await?.to_string(),
        ),
        (
            TUTORIAL_BONUS.key,
            get(db, &TUTORIAL_BONUS).await?.to_string(),
        ),
        (MESSAGE_COST.key, get(db, &MESSAGE_COST).await?.to_string()),
        (
            LOW_CREDIT_THRESHOLD.key,
            get(db, &LOW_CREDIT_THRESHOLD).await?.to_string(),
        ),
        (DEFAULT_TIER.key, get(db, &DEFAULT_TIER).await?),
        (ALLOW_RESET.key, get(db, &ALLOW_RESET).await?.to_string()),
        (
            SELL_WITH_STARS.key,
            get(db, &SELL_WITH_STARS).await?.to_string(),
        ),
        (
            SELL_WITH_CARD.key,
            get(db, &SELL_WITH_CARD).await?.to_string(),
        ),
        (
            AUTO_RECHARGE.key,
            get(db, &AUTO_RECHARGE).await?.to_string(),
        ),
        (RELAY.key, get(db, &RELAY).await?.to_string()),
        (TUTORIAL.key, get(db, &TUTORIAL).await?.to_string()),
        (
            PAID_BROADCAST.key,
            get(db, &PAID_BROADCAST).await?.to_string(),
        ),
        (
            WELCOME_TEXT_EN.key,
            text_or_default(get(db, &WELCOME_TEXT_EN).await?),
        ),
        (
            WELCOME_TEXT_RU.key,
            text_or_default(get(db, &WELCOME_TEXT_RU).await?),
        ),
        (
            BALANCE_SCALE.key,
            get(db, &BALANCE_SCALE).await?.to_string(),
        ),
        (
            UPDATE_DEDUPE_HOURS.key,
            get(db, &UPDATE_DEDUPE_HOURS).await?.to_string(),
        ),
    ])
}

/// A text setting as listed: `-` for the built-in default.
fn text_or_default(v: String) -> String {
    if v.is_empty() { "-".to_owned() } else { v }
}

/// Why `/set` refused a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadSetting {
    #[error("there is no setting '{0}' (see /settings)")]
    Unknown(String),
    #[error("{key} takes a whole number from {min} to {max}")]
    Number {
        key: &'static str,
        min: i64,
        max: i64,
    },
    #[error("{0} takes on or off")]
    Switch(&'static str),
    #[error("{0} takes a name of 1 to 64 characters")]
    Name(&'static str),
    #[error(
        "{0} takes a text of 1 to 1000 characters ({{name}} and {{credits}} are filled in), or - for the built-in one"
    )]
    Text(&'static str),
}

/// Parses and stores a setting from text; returns the value as stored.
pub async fn set_from_text(
    db: &crate::storage::Db,
    now: DateTime<Utc>,
    key: &str,
    raw: &str,
) -> ServiceResult<Result<String, BadSetting>> {
    let number = |s: &Setting<i64>, min: i64, max: i64| match raw.parse::<i64>() {
        Ok(v) if (min..=max).contains(&v) => Ok(v),
        _ => Err(BadSetting::Number {
            key: s.key,
            min,
            max,
        }),
    };
    let numeric = [
        (&WELCOME_CREDITS, 0, 1_000_000),
        (&TUTORIAL_BONUS, 0, 1_000_000),
        (&MESSAGE_COST, 0, 1_000_000),
        (&LOW_CREDIT_THRESHOLD, 0, 1_000_000),
        (&BALANCE_SCALE, 1, 1_000_000),
        (&UPDATE_DEDUPE_HOURS, 1, 24 * 30),
    ];
    if let Some((setting, min, max)) = numeric.iter().find(|(s, _, _)| s.key == key) {
        return Ok(match number(setting, *min, *max) {
            Ok(v) => {
                set(db, now, setting, &v).await?;
                Ok(v.to_string())
            }
            Err(e) => Err(e),
        });
    }
    if let Some(switch) = SWITCHES.iter().find(|s| s.key == key) {
        let value = match raw {
            "on" | "true" | "yes" => true,
            "off" | "false" | "no" => false,
            _ => return Ok(Err(BadSetting::Switch(switch.key))),
        };
        set(db, now, switch, &value).await?;
        return Ok(Ok(value.to_string()));
    }
    if let Some(setting) = [&WELCOME_TEXT_EN, &WELCOME_TEXT_RU]
        .into_iter()
        .find(|s| s.key == key)
    {
        let text = raw.trim();
        if text.is_empty() || text.chars().count() > WELCOME_TEXT_MAX {
            return Ok(Err(BadSetting::Text(setting.key)));
        }
        let stored = if text == "-" {
            String::new()
        } else {
            text.to_owned()
        };
        set(db, now, setting, &stored).await?;
        return Ok(Ok(text_or_default(stored)));
    }
    if key == DEFAULT_TIER.key {
        if raw.is_empty() || raw.chars().count() > 64 {
            return Ok(Err(BadSetting::Name(DEFAULT_TIER.key)));
        }
        set(db, now, &DEFAULT_TIER, &raw.to_owned()).await?;
        return Ok(Ok(raw.to_owned()));
    }
    Ok(Err(BadSetting::Unknown(key.to_owned())))
}
