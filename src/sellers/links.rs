//! Sellers' extra invite links: named links to a service's chat for a promotion or a partner,
//! beside the buyers' single-use ones. A link only lets people reach the chat; access is still
//! what a membership gives. Join tracking counts who came in through each link
//! ([`access::joined`](super::access::joined) decides what happens to them). Every lookup goes
//! through the seller's id, so one seller never reads or changes another's links.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait, sea_query::Expr,
};

use super::{
    audit,
    catalog::{BadInput, Service},
};
use crate::{
    services::ServiceResult,
    storage::{Db, entities::seller_links},
};

pub type Link = seller_links::Model;

/// Telegram's limit on an invite link's name, in characters.
pub const NAME_MAX: usize = 32;

/// Working (not revoked) extra links a seller may hold at once, over all their services.
pub const MAX_LINKS: u64 = 20;

/// A link's name: 1 to [`NAME_MAX`] characters, no control characters.
pub fn parse_name(s: &str) -> Result<String, BadInput> {
    let t = s.trim();
    let n = t.chars().count();
    if !(1..=NAME_MAX).contains(&n) || t.chars().any(char::is_control) {
        return Err(BadInput::LinkName);
    }
    Ok(t.to_owned())
}

/// A seller's links, working ones first, then the revoked ones, newest first in each; at most
/// `limit`.
pub async fn list(db: &Db, seller_id: i64, limit: u64) -> ServiceResult<Vec<Link>> {
    let mut working = seller_links::Entity::find()
        .filter(seller_links::Column::SellerId.eq(seller_id))
        .filter(seller_links::Column::RevokedAt.is_null())
        .order_by_desc(seller_links::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let left = limit.saturating_sub(working.len() as u64);
    if left > 0 {
        working.extend(
            seller_links::Entity::find()
                .filter(seller_links::Column::SellerId.eq(seller_id))
                .filter(seller_links::Column::RevokedAt.is_not_null())
                .order_by_desc(seller_links::Column::Id)
                .limit(left)
                .all(db)
                .await?,
        );
    }
    Ok(working)
}

/// One of the seller's links (another seller's id: None).
pub async fn own(db: &Db, seller_id: i64, id: i64) -> ServiceResult<Option<Link>> {
    Ok(seller_links::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|l| l.seller_id == seller_id))
}

/// How many working links the seller holds.
pub async fn working(db: &Db, seller_id: i64) -> ServiceResult<u64> {
    Ok(seller_links::Entity::find()
        .filter(seller_links::Column::SellerId.eq(seller_id))
        .filter(seller_links::Column::RevokedAt.is_null())
        .count(db)
        .await?)
}

/// The extra link of `service` that `invite_link` is, if it is one.
pub async fn by_invite_link(
    db: &impl ConnectionTrait,
    service_id: i64,
    invite_link: &str,
) -> ServiceResult<Option<Link>> {
    Ok(seller_links::Entity::find()
        .filter(seller_links::Column::ServiceId.eq(service_id))
        .filter(seller_links::Column::InviteLink.eq(invite_link))
        .one(db)
        .await?)
}

/// What the seller asks for when making a link, and what Telegram made of it.
pub struct NewLink<'a> {
    pub name: &'a str,
    pub invite_link: &'a str,
    pub creates_join_request: bool,
}

/// Records a link Telegram made for `service`, audited in the same transaction.
pub async fn create(
    db: &Db,
    now: DateTime<Utc>,
    service: &Service,
    actor: i64,
    new: NewLink<'_>,
) -> ServiceResult<Link> {
    let txn = db.begin().await?;
    let res = seller_links::Entity::insert(seller_links::ActiveModel {
        seller_id: Set(service.seller_id),
        service_id: Set(service.id),
        name: Set(new.name.to_owned()),
        invite_link: Set(new.invite_link.to_owned()),
        creates_join_request: Set(new.creates_join_request),
        joins: Set(0),
        created_by: Set(actor),
        created_at: Set(now),
        revoked_at: Set(None),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        service.seller_id,
        actor,
        "link_created",
        None,
        format!(
            "#{} {} · {}: {}",
            res.last_insert_id, new.name, service.title, new.invite_link
        ),
    )
    .await?;
    let link = seller_links::Entity::find_by_id(res.last_insert_id)
        .one(&txn)
        .await?
        .expect("the link was just written");
    txn.commit().await?;
    Ok(link)
}

/// Marks one of the seller's links revoked, audited in the same transaction; None when it is
/// none of theirs or was revoked already (nothing changes then).
pub async fn revoke(
    db: &Db,
    now: DateTime<Utc>,
    seller_id: i64,
    id: i64,
    actor: i64,
) -> ServiceResult<Option<Link>> {
    let txn = db.begin().await?;
    let n = seller_links::Entity::update_many()
        .col_expr(seller_links::Column::RevokedAt, Expr::value(now))
        .filter(seller_links::Column::Id.eq(id))
        .filter(seller_links::Column::SellerId.eq(seller_id))
        .filter(seller_links::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected;
    if n == 0 {
        txn.rollback().await?;
        return Ok(None);
    }
    let link = seller_links::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .expect("the link exists");
    audit::record(
        &txn,
        now,
        seller_id,
        actor,
        "link_revoked",
        None,
        format!("#{} {}: {}", link.id, link.name, link.invite_link),
    )
    .await?;
    txn.commit().await?;
    Ok(Some(link))
}

/// Someone came in through `link`: one more join on it.
pub(super) async fn count_join(db: &impl ConnectionTrait, link: &Link) -> ServiceResult<()> {
    use sea_orm::sea_query::ExprTrait as _;
    seller_links::Entity::update_many()
        .col_expr(
            seller_links::Column::Joins,
            Expr::col(seller_links::Column::Joins).add(1),
        )
        .filter(seller_links::Column::Id.eq(link.id))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_one_to_thirty_two_characters() {
        assert_eq!(parse_name("  partner anna "), Ok("partner anna".into()));
        assert_eq!(parse_name(&"я".repeat(32)), Ok("я".repeat(32)));
        for bad in ["", "   ", &"x".repeat(33), "two\nlines"] {
            assert_eq!(parse_name(bad), Err(BadInput::LinkName), "{bad:?}");
        }
    }
}
