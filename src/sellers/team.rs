//! Seller teams: who works for a seller and what each may do.
//!
//! Every person who acts for a seller is a member with a role: the owner (who made the
//! seller), admins and developers. The owner invites people with a one-time deep link
//! (`/start team_<token>`; only the token's SHA-256 is kept); the first person who opens it and
//! works for no seller yet joins, once. [`acting`] is the one place that answers "which seller
//! is this user acting for, and as what", for every seller command in the bot; [`key_role`]
//! answers it for an API key (a key acts with its creating member's role). Removing a member
//! revokes the API keys they made, in the same transaction.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
    sea_query::{Expr, OnConflict},
};

use super::{
    api_keys::sha256_hex,
    audit,
    catalog::{self, Seller},
};
use crate::{
    services::ServiceResult,
    storage::{
        Db,
        entities::{api_keys, seller_invites, seller_members, sellers},
    },
};

pub type Member = seller_members::Model;

/// How long an invite link can be used.
pub const INVITE_DAYS: i64 = 7;
/// The deep-link payload prefix of an invite.
pub const INVITE_PREFIX: &str = "team_";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Owner,
    Admin,
    Developer,
}

/// What a member may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// See services, plans, members, payments, stats, the audit trail, keys and webhooks.
    Read,
    /// Payment mode, Stripe keys, Connect.
    Billing,
    /// Invite, change and remove members.
    Team,
    /// Services, plans, prices, extra links, promo codes, Star subscription links.
    Services,
    /// Grant, revoke and whitelist members of a service.
    Members,
    /// Post alerts to a service's chat.
    Alerts,
    /// Make and revoke API keys.
    ApiKeys,
    /// Webhook endpoints and deliveries.
    Webhooks,
    /// The seller's name, logo and accent colour on public pages.
    Branding,
    /// Contacts and one-time codes: an integration's work, open to every role.
    Messaging,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Developer => "developer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "owner" => Some(Role::Owner),
            "admin" => Some(Role::Admin),
            "developer" => Some(Role::Developer),
            _ => None,
        }
    }

    /// Whether this role may do `action`.
    pub fn can(self, action: Action) -> bool {
        match self {
            Role::Owner => true,
            Role::Admin => matches!(
                action,
                Action::Read
                    | Action::Services
                    | Action::Members
                    | Action::Alerts
                    | Action::Branding
                    | Action::Messaging
            ),
            Role::Developer => matches!(
                action,
                Action::Read | Action::ApiKeys | Action::Webhooks | Action::Messaging
            ),
        }
    }
}

/// A user acting for a seller.
#[derive(Debug, Clone)]
pub struct Acting {
    /// The seller, with `user_id` set to the acting member: replies go to them, and the audit
    /// trail, keys and links name them.
    pub seller: Seller,
    /// The seller's owner.
    pub owner: i64,
    pub role: Role,
}

/// Which seller `user` acts for, and as what (None: nobody's team).
pub async fn acting(db: &Db, user: i64) -> ServiceResult<Option<Acting>> {
    let member = seller_members::Entity::find()
        .filter(seller_members::Column::UserId.eq(user))
        .one(db)
        .await?;
    let (seller, role) = match member {
        Some(m) => {
            let Some(seller) = catalog::seller(db, m.seller_id).await? else {
                return Ok(None);
            };
            (seller, Role::parse(&m.role).unwrap_or(Role::Developer))
        }
        // A seller written without its owner's row (the row is written with the seller).
        None => match catalog::seller_of_user(db, user).await? {
            Some(seller) => (seller, Role::Owner),
            None => return Ok(None),
        },
    };
    let owner = seller.user_id;
    let mut seller = seller;
    seller.user_id = user;
    Ok(Some(Acting {
        seller,
        owner,
        role,
    }))
}

/// The role an API key acts with: its creating member's (None: no longer in the team).
pub async fn key_role(db: &Db, seller: &Seller, created_by: i64) -> ServiceResult<Option<Role>> {
    let member = seller_members::Entity::find()
        .filter(seller_members::Column::UserId.eq(created_by))
        .filter(seller_members::Column::SellerId.eq(seller.id))
        .one(db)
        .await?;
    Ok(match member {
        Some(m) => Role::parse(&m.role),
        None if created_by == seller.user_id => Some(Role::Owner),
        None => None,
    })
}

/// Writes the owner's row for a new seller (nothing when it is there).
pub async fn add_owner(db: &Db, now: DateTime<Utc>, seller: &Seller) -> ServiceResult<()> {
    seller_members::Entity::insert(seller_members::ActiveModel {
        seller_id: Set(seller.id),
        user_id: Set(seller.user_id),
        role: Set(Role::Owner.as_str().to_owned()),
        invited_by: Set(seller.user_id),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(seller_members::Column::UserId)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The seller's team, the owner first.
pub async fn list(db: &Db, seller_id: i64) -> ServiceResult<Vec<Member>> {
    let mut rows = seller_members::Entity::find()
        .filter(seller_members::Column::SellerId.eq(seller_id))
        .order_by_asc(seller_members::Column::Id)
        .all(db)
        .await?;
    rows.sort_by_key(|m| m.role != Role::Owner.as_str());
    Ok(rows)
}

/// Makes a one-time invite giving `role` (never owner); the token, shown this once.
pub async fn invite(
    db: &Db,
    now: DateTime<Utc>,
    seller_id: i64,
    by: i64,
    role: Role,
) -> ServiceResult<Option<String>> {
    if role == Role::Owner {
        return Ok(None);
    }
    let token = uuid::Uuid::new_v4().simple().to_string();
    seller_invites::Entity::insert(seller_invites::ActiveModel {
        seller_id: Set(seller_id),
        token_hash: Set(sha256_hex(token.as_bytes())),
        role: Set(role.as_str().to_owned()),
        created_by: Set(by),
        created_at: Set(now),
        expires_at: Set(now + Duration::days(INVITE_DAYS)),
        used_by: Set(None),
        used_at: Set(None),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    audit::record(
        db,
        now,
        seller_id,
        by,
        "team_invited",
        None,
        role.as_str().to_owned(),
    )
    .await?;
    Ok(Some(token))
}

/// What opening an invite link came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accepted {
    /// The user is in the team now.
    Joined {
        seller_id: i64,
        owner: i64,
        role: Role,
    },
    /// No such invite, or it expired.
    Unknown,
    /// Someone has used it already.
    Used,
    /// The user works for a seller already (this one or another, as owner or member).
    AlreadyInATeam,
}

/// Takes the invite `token` for `user`, once.
pub async fn accept(
    db: &Db,
    now: DateTime<Utc>,
    token: &str,
    user: i64,
) -> ServiceResult<Accepted> {
    let hash = sha256_hex(token.as_bytes());
    // Reads before the transaction: SQLite has one writer, and the transaction holds it.
    let Some(invite) = seller_invites::Entity::find()
        .filter(seller_invites::Column::TokenHash.eq(hash))
        .one(db)
        .await?
    else {
        return Ok(Accepted::Unknown);
    };
    if invite.used_at.is_some() {
        return Ok(Accepted::Used);
    }
    if invite.expires_at <= now {
        return Ok(Accepted::Unknown);
    }
    if acting(db, user).await?.is_some() {
        return Ok(Accepted::AlreadyInATeam);
    }
    let Some(seller) = catalog::seller(db, invite.seller_id).await? else {
        return Ok(Accepted::Unknown);
    };
    let role = Role::parse(&invite.role).unwrap_or(Role::Developer);
    let txn = db.begin().await?;
    let taken = seller_invites::Entity::update_many()
        .col_expr(seller_invites::Column::UsedBy, Expr::value(user))
        .col_expr(seller_invites::Column::UsedAt, Expr::value(now))
        .filter(seller_invites::Column::Id.eq(invite.id))
        .filter(seller_invites::Column::UsedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected;
    if taken != 1 {
        txn.rollback().await?;
        return Ok(Accepted::Used);
    }
    let inserted = seller_members::Entity::insert(seller_members::ActiveModel {
        seller_id: Set(invite.seller_id),
        user_id: Set(user),
        role: Set(invite.role.clone()),
        invited_by: Set(invite.created_by),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(seller_members::Column::UserId)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if inserted != 1 {
        txn.rollback().await?;
        return Ok(Accepted::AlreadyInATeam);
    }
    audit::record(
        &txn,
        now,
        invite.seller_id,
        user,
        "team_joined",
        Some(user),
        role.as_str().to_owned(),
    )
    .await?;
    txn.commit().await?;
    Ok(Accepted::Joined {
        seller_id: invite.seller_id,
        owner: seller.user_id,
        role,
    })
}

/// Gives team member `member` (not the owner) `role` (not owner); false when there is no
/// such member.
pub async fn set_role(
    db: &Db,
    now: DateTime<Utc>,
    seller_id: i64,
    by: i64,
    member: i64,
    role: Role,
) -> ServiceResult<bool> {
    if role == Role::Owner {
        return Ok(false);
    }
    let n = seller_members::Entity::update_many()
        .col_expr(seller_members::Column::Role, Expr::value(role.as_str()))
        .filter(seller_members::Column::SellerId.eq(seller_id))
        .filter(seller_members::Column::UserId.eq(member))
        .filter(seller_members::Column::Role.ne(Role::Owner.as_str()))
        .exec(db)
        .await?
        .rows_affected;
    if n == 1 {
        audit::record(
            db,
            now,
            seller_id,
            by,
            "team_role",
            Some(member),
            role.as_str().to_owned(),
        )
        .await?;
    }
    Ok(n == 1)
}

/// Removes team member `member` (not the owner) and revokes the API keys they made, in one
/// transaction; the number of keys revoked, None when there is no such member.
pub async fn remove(
    db: &Db,
    now: DateTime<Utc>,
    seller_id: i64,
    by: i64,
    member: i64,
) -> ServiceResult<Option<u64>> {
    let txn = db.begin().await?;
    let gone = seller_members::Entity::delete_many()
        .filter(seller_members::Column::SellerId.eq(seller_id))
        .filter(seller_members::Column::UserId.eq(member))
        .filter(seller_members::Column::Role.ne(Role::Owner.as_str()))
        .exec(&txn)
        .await?
        .rows_affected;
    if gone != 1 {
        txn.rollback().await?;
        return Ok(None);
    }
    let keys = api_keys::Entity::update_many()
        .col_expr(api_keys::Column::RevokedAt, Expr::value(now))
        .filter(api_keys::Column::SellerId.eq(seller_id))
        .filter(api_keys::Column::CreatedBy.eq(member))
        .filter(api_keys::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected;
    audit::record(
        &txn,
        now,
        seller_id,
        by,
        "team_removed",
        Some(member),
        format!("{keys} API keys revoked"),
    )
    .await?;
    txn.commit().await?;
    Ok(Some(keys))
}

/// The seller row for `seller_id` (used by the invite screen to name the seller).
pub async fn seller_name(db: &Db, seller_id: i64) -> ServiceResult<Option<String>> {
    Ok(sellers::Entity::find_by_id(seller_id)
        .one(db)
        .await?
        .map(|s| s.display_name))
}

#[cfg(test)]
mod tests {
    use super::{Action::*, Role};

    #[test]
    fn each_role_may_do_its_part_and_no_more() {
        let all = [
            Read, Billing, Team, Services, Members, Alerts, ApiKeys, Webhooks, Branding,
        ];
        assert!(all.iter().all(|&a| Role::Owner.can(a)));
        let admin: Vec<_> = all
            .iter()
            .copied()
            .filter(|&a| Role::Admin.can(a))
            .collect();
        assert_eq!(admin, [Read, Services, Members, Alerts, Branding]);
        let dev: Vec<_> = all
            .iter()
            .copied()
            .filter(|&a| Role::Developer.can(a))
            .collect();
        assert_eq!(dev, [Read, ApiKeys, Webhooks]);
    }

    #[test]
    fn roles_round_trip_and_unknown_ones_do_not_parse() {
        for r in [Role::Owner, Role::Admin, Role::Developer] {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
