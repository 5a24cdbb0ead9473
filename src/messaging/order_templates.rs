//! The texts of order messages: per seller, mode, change and language. A seller's own text
//! replaces the shipped default (`ord-tpl-<change>` in `locales/<lang>/orders.ftl`), and the
//! customer's language picks which one is sent.
//!
//! Texts carry placeholders in braces: `{order}`, `{item}`, `{items}`, `{carrier}`,
//! `{tracking}`, `{tracking_url}`, `{seller}`. A text with any other brace, or longer than
//! [`MAX_CHARS`], is refused and nothing changes.
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, sea_query::OnConflict};

use super::orders::Change;
use crate::{
    i18n::{self, Args, Locale},
    sellers::tenant::Tenant,
    services::ServiceResult,
    storage::{Db, entities::order_templates},
};

/// Characters a text may have.
pub const MAX_CHARS: usize = 1000;
/// The placeholders a text may use.
pub const PLACEHOLDERS: [&str; 7] = [
    "order",
    "item",
    "items",
    "carrier",
    "tracking",
    "tracking_url",
    "seller",
];

/// Why a text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadTemplate {
    #[error("the text is empty")]
    Empty,
    #[error("the text has {chars} characters; at most 1000")]
    TooLong { chars: usize },
    #[error(
        "unknown placeholder {0}: use {{order}}, {{item}}, {{items}}, {{carrier}}, {{tracking}}, {{tracking_url}} or {{seller}}"
    )]
    Placeholder(String),
}

/// Checks a seller's text: its length and that every brace is a known placeholder.
pub fn check(text: &str) -> Result<String, BadTemplate> {
    let text = text.trim();
    if text.is_empty() {
        return Err(BadTemplate::Empty);
    }
    let chars = text.chars().count();
    if chars > MAX_CHARS {
        return Err(BadTemplate::TooLong { chars });
    }
    let mut rest = text;
    while let Some(open) = rest.find(['{', '}']) {
        let after = &rest[open..];
        if after.starts_with('}') {
            return Err(BadTemplate::Placeholder("}".into()));
        }
        let Some(close) = after.find('}') else {
            return Err(BadTemplate::Placeholder(after.chars().take(20).collect()));
        };
        let name = &after[1..close];
        if !PLACEHOLDERS.contains(&name) {
            return Err(BadTemplate::Placeholder(format!("{{{name}}}")));
        }
        rest = &after[close + 1..];
    }
    Ok(text.to_owned())
}

/// What the placeholders of one message stand for.
#[derive(Debug, Clone, Default)]
pub struct Values {
    pub order: String,
    pub item: String,
    pub items: String,
    pub carrier: String,
    pub tracking: String,
    pub tracking_url: String,
    pub seller: String,
}

impl Values {
    fn get(&self, name: &str) -> &str {
        match name {
            "order" => &self.order,
            "item" => &self.item,
            "items" => &self.items,
            "carrier" => &self.carrier,
            "tracking" => &self.tracking,
            "tracking_url" => &self.tracking_url,
            "seller" => &self.seller,
            _ => "",
        }
    }
}

/// `text` with its placeholders filled in (values are not read for braces again).
pub fn fill(text: &str, values: &Values) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open..];
        match after.find('}') {
            Some(close) if PLACEHOLDERS.contains(&&after[1..close]) => {
                out.push_str(values.get(&after[1..close]));
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn key(change: Change) -> String {
    format!("ord-tpl-{}", change.as_str().replace('_', "-"))
}

/// The shipped text of `change` in `locale`, with its placeholders in braces.
pub fn default_text(change: Change, locale: Locale) -> String {
    let args: Args = PLACEHOLDERS
        .iter()
        .map(|p| ((*p).into(), format!("{{{p}}}").into()))
        .collect();
    i18n::text(locale, &key(change), &args)
}

/// A text as the seller sees it: their own, or the default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub change: Change,
    pub locale: Locale,
    pub text: String,
    /// The seller's own text (else the default).
    pub custom: bool,
    pub updated_at: Option<DateTime<Utc>>,
}

/// The text of `change` in `locale` for the tenant.
pub async fn get(db: &Db, t: Tenant, change: Change, locale: Locale) -> ServiceResult<Template> {
    let own = order_templates::Entity::find()
        .filter(order_templates::Column::SellerId.eq(t.seller_id))
        .filter(order_templates::Column::Livemode.eq(t.livemode))
        .filter(order_templates::Column::Status.eq(change.as_str()))
        .filter(order_templates::Column::Lang.eq(locale.code()))
        .one(db)
        .await?;
    Ok(match own {
        Some(row) => Template {
            change,
            locale,
            text: row.body,
            custom: true,
            updated_at: Some(row.updated_at),
        },
        None => Template {
            change,
            locale,
            text: default_text(change, locale),
            custom: false,
            updated_at: None,
        },
    })
}

/// Every text of the tenant: each change in each language.
pub async fn all(db: &Db, t: Tenant) -> ServiceResult<Vec<Template>> {
    let mut out = Vec::new();
    for change in Change::ALL {
        for locale in Locale::ALL {
            out.push(get(db, t, change, locale).await?);
        }
    }
    Ok(out)
}

/// Sets the tenant's text of `change` in `locale` (checked first: a refused text changes
/// nothing).
pub async fn set(
    db: &Db,
    now: DateTime<Utc>,
    t: Tenant,
    change: Change,
    locale: Locale,
    text: &str,
    by: i64,
) -> ServiceResult<Result<Template, BadTemplate>> {
    let text = match check(text) {
        Ok(t) => t,
        Err(e) => return Ok(Err(e)),
    };
    order_templates::Entity::insert(order_templates::ActiveModel {
        seller_id: Set(t.seller_id),
        livemode: Set(t.livemode),
        status: Set(change.as_str().into()),
        lang: Set(locale.code().into()),
        body: Set(text),
        updated_by: Set(by),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            order_templates::Column::SellerId,
            order_templates::Column::Livemode,
            order_templates::Column::Status,
            order_templates::Column::Lang,
        ])
        .update_columns([
            order_templates::Column::Body,
            order_templates::Column::UpdatedBy,
            order_templates::Column::UpdatedAt,
        ])
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(Ok(get(db, t, change, locale).await?))
}

/// Goes back to the default text of `change` in `locale`.
pub async fn reset(db: &Db, t: Tenant, change: Change, locale: Locale) -> ServiceResult<Template> {
    order_templates::Entity::delete_many()
        .filter(order_templates::Column::SellerId.eq(t.seller_id))
        .filter(order_templates::Column::Livemode.eq(t.livemode))
        .filter(order_templates::Column::Status.eq(change.as_str()))
        .filter(order_templates::Column::Lang.eq(locale.code()))
        .exec(db)
        .await?;
    get(db, t, change, locale).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_checked_and_filled() {
        assert_eq!(
            check("  Order {order} shipped  "),
            Ok("Order {order} shipped".into())
        );
        assert_eq!(check(""), Err(BadTemplate::Empty));
        assert_eq!(
            check(&"x".repeat(1001)),
            Err(BadTemplate::TooLong { chars: 1001 })
        );
        assert_eq!(
            check("Hi {name}"),
            Err(BadTemplate::Placeholder("{name}".into()))
        );
        assert!(check("Hi {order").is_err());
        assert!(check("Hi } there").is_err());
        let values = Values {
            order: "#1001".into(),
            item: "{seller}".into(),
            ..Default::default()
        };
        assert_eq!(
            fill("{order}: {item} packed", &values),
            "#1001: {seller} packed"
        );
    }

    #[test]
    fn defaults_exist_in_every_language_and_pass_the_check() {
        for change in Change::ALL {
            for locale in Locale::ALL {
                let text = default_text(change, locale);
                assert!(!text.starts_with("ord-tpl-"), "{change:?} {locale:?}");
                assert_eq!(check(&text), Ok(text.clone()), "{change:?} {locale:?}");
            }
        }
        assert!(default_text(Change::Shipped, Locale::En).contains("{tracking}"));
    }
}
