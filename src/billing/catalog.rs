//! The catalog as the operator keeps it: every product (sold or not), new products, prices,
//! titles, order, and whether a product is sold. Stripe prices follow on the next checkout
//! (a changed amount gets a new Stripe price; see `checkout`).
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};

use crate::{
    billing::{orders::Product, passes::PassKind},
    services::ServiceResult,
    storage::{Db, entities::products},
};

/// What a product gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Gives {
    Credits(i64),
    Pass(PassKindName),
}

/// A pass kind by name (serialisable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PassKindName {
    Day,
    Week,
    Month,
}

impl PassKindName {
    pub fn kind(self) -> PassKind {
        match self {
            Self::Day => PassKind::Day,
            Self::Week => PassKind::Week,
            Self::Month => PassKind::Month,
        }
    }
}

/// A product to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProduct {
    pub title: String,
    pub gives: Gives,
    pub price_minor: i64,
    pub currency: String,
    pub stars_price: Option<i64>,
}

/// Why a value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadProduct {
    #[error("a title is 1 to 64 characters")]
    Title,
    #[error("a pack gives 1 to 1,000,000 credits")]
    Credits,
    #[error("a price is an amount above 0 and a currency, for example 4.99 USD")]
    Price,
    #[error("a price in Stars is a whole number from 1 to 100,000, or - for none")]
    Stars,
}

pub fn parse_title(s: &str) -> Result<String, BadProduct> {
    let t = s.trim();
    if t.is_empty() || t.chars().count() > 64 {
        return Err(BadProduct::Title);
    }
    Ok(t.to_owned())
}

pub fn parse_credits(s: &str) -> Result<i64, BadProduct> {
    s.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (1..=1_000_000).contains(n))
        .ok_or(BadProduct::Credits)
}

/// `4.99 USD` / `5 eur` → (499, "usd"). Two decimals at most; above 0; at most 1,000,000.
pub fn parse_price(s: &str) -> Result<(i64, String), BadProduct> {
    let mut words = s.split_whitespace();
    let (Some(amount), Some(currency), None) = (words.next(), words.next(), words.next()) else {
        return Err(BadProduct::Price);
    };
    let currency = currency.to_ascii_lowercase();
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_lowercase()) || currency == "xtr"
    {
        return Err(BadProduct::Price);
    }
    let (whole, cents) = match amount.split_once(['.', ',']) {
        Some((w, c)) if (1..=2).contains(&c.len()) => (w, format!("{c:0<2}")),
        Some(_) => return Err(BadProduct::Price),
        None => (amount, "00".to_owned()),
    };
    let digits = |s: &str| !s.is_empty() && s.len() <= 7 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(&cents) {
        return Err(BadProduct::Price);
    }
    let minor = whole.parse::<i64>().map_err(|_| BadProduct::Price)? * 100
        + cents.parse::<i64>().map_err(|_| BadProduct::Price)?;
    if minor <= 0 || minor > 100_000_000 {
        return Err(BadProduct::Price);
    }
    Ok((minor, currency))
}

/// A price in Stars, or `-` for none.
pub fn parse_stars(s: &str) -> Result<Option<i64>, BadProduct> {
    let s = s.trim();
    if s == "-" {
        return Ok(None);
    }
    s.parse::<i64>()
        .ok()
        .filter(|n| (1..=100_000).contains(n))
        .map(Some)
        .ok_or(BadProduct::Stars)
}

/// Every product, in catalog order.
pub async fn all(db: &Db) -> ServiceResult<Vec<Product>> {
    Ok(products::Entity::find()
        .order_by_asc(products::Column::SortOrder)
        .order_by_asc(products::Column::Id)
        .all(db)
        .await?)
}

/// Adds a product at the end of the catalog, sold at once.
pub async fn create(db: &Db, now: DateTime<Utc>, p: NewProduct) -> ServiceResult<Product> {
    let last = all(db)
        .await?
        .iter()
        .map(|p| p.sort_order)
        .max()
        .unwrap_or(0);
    let code = format!("p_{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    let (kind, credits, pass_kind) = match p.gives {
        Gives::Credits(n) => ("credits", Some(n), None),
        Gives::Pass(k) => ("pass", None, Some(k.kind().as_str().to_owned())),
    };
    Ok(products::ActiveModel {
        code: Set(code),
        kind: Set(kind.into()),
        credits: Set(credits),
        pass_kind: Set(pass_kind),
        title: Set(p.title),
        price_minor: Set(p.price_minor),
        currency: Set(p.currency),
        stars_price: Set(p.stars_price),
        active: Set(true),
        sort_order: Set(last + 1),
        stripe_product_id: Set(None),
        stripe_price_id: Set(None),
        stripe_price_amount: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// A change to a product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Active(bool),
    Title(String),
    Price { minor: i64, currency: String },
    Stars(Option<i64>),
}

/// Applies a change; the product after it, or None when it does not exist.
pub async fn change(db: &Db, id: i64, change: Change) -> ServiceResult<Option<Product>> {
    let Some(p) = products::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let mut row: products::ActiveModel = p.into();
    match change {
        Change::Active(on) => row.active = Set(on),
        Change::Title(t) => row.title = Set(t),
        Change::Price { minor, currency } => {
            row.price_minor = Set(minor);
            row.currency = Set(currency);
        }
        Change::Stars(s) => row.stars_price = Set(s),
    }
    Ok(Some(row.update(db).await?))
}

/// Moves a product one place up (towards the top of the catalog) or down.
pub async fn shift(db: &Db, id: i64, up: bool) -> ServiceResult<()> {
    let list = all(db).await?;
    let Some(at) = list.iter().position(|p| p.id == id) else {
        return Ok(());
    };
    let other = if up { at.checked_sub(1) } else { Some(at + 1) };
    let Some(other) = other.filter(|&o| o < list.len()) else {
        return Ok(());
    };
    // Renumber the whole catalog in its new order, in one transaction.
    let mut order: Vec<i64> = list.iter().map(|p| p.id).collect();
    order.swap(at, other);
    let txn = db.begin().await?;
    for (n, id) in order.into_iter().enumerate() {
        products::Entity::update_many()
            .col_expr(
                products::Column::SortOrder,
                sea_orm::sea_query::Expr::value(n as i32 + 1),
            )
            .filter(products::Column::Id.eq(id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_are_an_amount_above_zero_and_a_currency() {
        assert_eq!(parse_price("4.99 USD"), Ok((499, "usd".into())));
        assert_eq!(parse_price("5 eur"), Ok((500, "eur".into())));
        assert_eq!(parse_price("0.5 gbp"), Ok((50, "gbp".into())));
        assert_eq!(parse_price("12,30 EUR"), Ok((1230, "eur".into())));
        for bad in [
            "",
            "5",
            "0 usd",
            "-1 usd",
            "4.999 usd",
            "4.99 dollars",
            "abc usd",
            "1 xtr",
            "4.99 usd extra",
            "99999999 usd",
        ] {
            assert_eq!(parse_price(bad), Err(BadProduct::Price), "{bad}");
        }
    }

    #[test]
    fn titles_credits_and_stars_have_ranges() {
        assert_eq!(parse_title("  Big pack "), Ok("Big pack".into()));
        assert_eq!(parse_title(""), Err(BadProduct::Title));
        assert_eq!(parse_title(&"x".repeat(65)), Err(BadProduct::Title));
        assert_eq!(parse_credits("40"), Ok(40));
        assert_eq!(parse_credits("0"), Err(BadProduct::Credits));
        assert_eq!(parse_credits("-3"), Err(BadProduct::Credits));
        assert_eq!(parse_stars("-"), Ok(None));
        assert_eq!(parse_stars("250"), Ok(Some(250)));
        assert_eq!(parse_stars("0"), Err(BadProduct::Stars));
        assert_eq!(parse_stars("many"), Err(BadProduct::Stars));
    }
}
