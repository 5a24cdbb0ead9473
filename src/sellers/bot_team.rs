//! `/team` in the owner's private chat: the team with each member's role, buttons to invite an
//! admin or a developer (a one-time deep link, shown once), to switch a member's role and to
//! remove them (their API keys are revoked). `/start team_<token>` takes an invite. Every
//! press is checked again against the presser's team and role.
use teloxide::types::{Me, MessageId};

use super::{
    admission::{say, tr},
    bot::{Press, button, keyboard, show, tell},
    catalog::Seller,
    team::{self, Accepted, Role},
};
use crate::{accounts::users, bot::BotError, context::AppCtx, i18n::Locale};

/// A role's name in `locale`.
pub fn role_name(locale: Locale, role: Role) -> String {
    tr(locale, &format!("sl-role-{}", role.as_str()), &[])
}

async fn name_of(ctx: &AppCtx, user: i64) -> Result<String, BotError> {
    Ok(users::find(&ctx.db, user)
        .await?
        .map_or_else(|| user.to_string(), |u| u.first_name))
}

/// The team, with the owner's buttons; sent, or edited into `edit`.
pub async fn screen(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    edit: Option<MessageId>,
) -> Result<(), BotError> {
    let members = team::list(&ctx.db, seller.id).await?;
    let mut text = tr(locale, "sl-team-title", &[]);
    let mut rows = Vec::new();
    for m in &members {
        let role = Role::parse(&m.role).unwrap_or(Role::Developer);
        let name = name_of(ctx, m.user_id).await?;
        text.push('\n');
        text.push_str(&tr(
            locale,
            "sl-team-line",
            &[
                ("name", name.clone()),
                ("id", m.user_id.to_string()),
                ("role", role_name(locale, role)),
            ],
        ));
        if role != Role::Owner {
            let other = if role == Role::Admin {
                Role::Developer
            } else {
                Role::Admin
            };
            rows.push(vec![
                button(
                    tr(
                        locale,
                        "sl-team-make",
                        &[("name", name.clone()), ("role", role_name(locale, other))],
                    ),
                    Press::TeamRole(m.user_id),
                ),
                button(
                    tr(locale, "sl-team-remove", &[("name", name)]),
                    Press::TeamRemove(m.user_id),
                ),
            ]);
        }
    }
    rows.push(vec![
        button(
            tr(locale, "sl-team-invite-admin", &[]),
            Press::TeamInvite(INVITE_ADMIN),
        ),
        button(
            tr(locale, "sl-team-invite-developer", &[]),
            Press::TeamInvite(INVITE_DEVELOPER),
        ),
    ]);
    show(ctx, seller.user_id, text, keyboard(rows), edit).await
}

/// `TeamInvite`'s number for an admin invite.
pub const INVITE_ADMIN: i64 = 1;
/// `TeamInvite`'s number for a developer invite.
pub const INVITE_DEVELOPER: i64 = 2;

/// Makes an invite and shows its link once.
pub async fn invite(
    ctx: &AppCtx,
    me: &Me,
    seller: &Seller,
    locale: Locale,
    which: i64,
) -> Result<bool, BotError> {
    let role = match which {
        INVITE_ADMIN => Role::Admin,
        INVITE_DEVELOPER => Role::Developer,
        _ => return Ok(false),
    };
    let Some(token) = team::invite(&ctx.db, ctx.now(), seller.id, seller.user_id, role).await?
    else {
        return Ok(false);
    };
    let link = format!(
        "https://t.me/{}?start={}{token}",
        me.username(),
        team::INVITE_PREFIX
    );
    let text = tr(
        locale,
        "sl-team-invite-link",
        &[
            ("role", role_name(locale, role)),
            ("link", link),
            ("days", team::INVITE_DAYS.to_string()),
        ],
    );
    say(ctx, seller.user_id, text, None).await?;
    Ok(true)
}

/// Switches a member between admin and developer.
pub async fn switch_role(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    member: i64,
    message: Option<MessageId>,
) -> Result<bool, BotError> {
    let members = team::list(&ctx.db, seller.id).await?;
    let Some(m) = members.iter().find(|m| m.user_id == member) else {
        return Ok(false);
    };
    let to = match Role::parse(&m.role) {
        Some(Role::Admin) => Role::Developer,
        Some(Role::Developer) => Role::Admin,
        _ => return Ok(false),
    };
    if !team::set_role(&ctx.db, ctx.now(), seller.id, seller.user_id, member, to).await? {
        return Ok(false);
    }
    screen(ctx, seller, locale, message).await?;
    Ok(true)
}

/// Removes a member; their API keys are revoked.
pub async fn remove(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    member: i64,
    message: Option<MessageId>,
) -> Result<bool, BotError> {
    let Some(keys) = team::remove(&ctx.db, ctx.now(), seller.id, seller.user_id, member).await?
    else {
        return Ok(false);
    };
    let name = name_of(ctx, member).await?;
    let text = tr(
        locale,
        "sl-team-removed",
        &[("name", name), ("keys", keys.to_string())],
    );
    say(ctx, seller.user_id, text, None).await?;
    screen(ctx, seller, locale, message).await?;
    Ok(true)
}

/// `/start team_<token>`: joins the team once, or says why not.
pub async fn opened(ctx: &AppCtx, user: i64, locale: Locale, token: &str) -> Result<(), BotError> {
    match team::accept(&ctx.db, ctx.now(), token, user).await? {
        Accepted::Joined {
            seller_id,
            owner,
            role,
        } => {
            let seller = team::seller_name(&ctx.db, seller_id)
                .await?
                .unwrap_or_default();
            let text = tr(
                locale,
                "sl-team-joined",
                &[("seller", seller), ("role", role_name(locale, role))],
            );
            say(ctx, user, text, None).await?;
            let owner_locale = super::admission::locale_of(ctx, owner).await?;
            let text = tr(
                owner_locale,
                "sl-team-member-joined",
                &[
                    ("name", name_of(ctx, user).await?),
                    ("id", user.to_string()),
                    ("role", role_name(owner_locale, role)),
                ],
            );
            if let Err(e) = say(ctx, owner, text, None).await {
                tracing::warn!(error = %e, "could not tell the owner about a new team member");
            }
        }
        Accepted::Unknown => tell(ctx, user, locale, "sl-team-invite-unknown").await?,
        Accepted::Used => tell(ctx, user, locale, "sl-team-invite-used").await?,
        Accepted::AlreadyInATeam => tell(ctx, user, locale, "sl-team-invite-in-a-team").await?,
    }
    Ok(())
}
