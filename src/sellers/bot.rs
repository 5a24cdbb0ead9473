//! Sellers in Telegram: `/sell` and the seller's commands, the buyer's side of a service's deep
//! link (`/start s_<code>`), Stars payments for plans, join tracking from `chat_member` and
//! `chat_join_request` updates, and the jobs that issue invite links, remind and remove.
//!
//! Buttons carry `sl:…` data naming a verb and an id; nothing in them is trusted: every press
//! is checked again against the presser (a seller only reaches their own services and plans;
//! a buyer only plans on sale).
use std::sync::{Arc, OnceLock};

use chrono::Duration;
use teloxide::{
    payloads::{AnswerPreCheckoutQuerySetters, SendPhotoSetters, UnbanChatMemberSetters},
    prelude::*,
    types::{
        ButtonRequest, ChatAdministratorRights, ChatJoinRequest, ChatMemberKind, ChatMemberUpdated,
        InlineKeyboardButton, InlineKeyboardMarkup, InputFile, KeyboardButton,
        KeyboardButtonRequestChat, KeyboardMarkup, KeyboardRemove, LabeledPrice, Me, MessageId,
        ReplyMarkup, RequestId, UntilDate, User as TgUser,
    },
};

use super::{
    access::{self, Joined, Paid, Removal, Trial},
    admission::{
        ChatCheck, check_chat, date, format_alert, locale_of, say, tell_seller_once, tg_retry, tr,
    },
    audit,
    catalog::{self, BadInput, Connected, NewPlan, NotForSale, Plan, Seller, Service},
    drafts::{self, Current, Step},
    promos, stats, sweep,
    team::{self, Action, Role},
    webhooks,
};
use crate::{
    accounts::users,
    bot::{BotError, HandlerResult},
    context::AppCtx,
    i18n::Locale,
    jobs::{Job, JobError},
    services::{
        ServiceError,
        events::{self, Claim, EventSource},
    },
    telegram::{Confirm, TgError},
};

const PREFIX: &str = "sl:";

/// What a seller or buyer button does; its data is `sl:<verb>[:<id>]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Press {
    /// Accept the seller terms.
    Accept,
    /// End the seller dialogue under way.
    Cancel,
    /// Check the bot's rights in a shared chat again.
    Check(i64),
    /// The seller's list of services.
    Services,
    /// A service's card for its seller.
    Service(i64),
    /// Add a plan to a service.
    NewPlan(i64),
    Pause(i64),
    Resume(i64),
    Archive(i64),
    /// Switch a service between single-use links and join requests.
    JoinRequests(i64),
    PlanPause(i64),
    PlanResume(i64),
    PlanArchive(i64),
    /// A service's card for a buyer.
    Show(i64),
    /// Pay for a plan in Stars.
    Buy(i64),
    /// Take a plan's trial.
    Trial(i64),
    /// Make an API key: 1 live, 0 test.
    KeyNew(i64),
    /// Revoke an API key.
    KeyRevoke(i64),
    /// The seller's webhooks screen.
    Webhooks,
    /// Send a test event to an endpoint.
    WebhookTest(i64),
    /// Turn a disabled endpoint back on.
    WebhookEnable(i64),
    /// Queue a dead-lettered delivery again.
    WebhookResend(i64),
    /// Pay for a plan by card (Stripe Checkout).
    BuyCard(i64),
    /// Who takes card payments: 0 the platform, 1 the seller's own key, 2 Stripe Connect.
    Payout(i64),
    /// Set or remove a plan's card price.
    PlanCardPrice(i64),
    /// The seller's extra invite links.
    Links,
    /// Make an extra invite link to a service's chat.
    LinkNew(i64),
    /// Revoke an extra invite link.
    LinkRevoke(i64),
    /// Set, change or turn off a channel service's Star subscription link.
    StarSub(i64),
    /// The seller's promo codes.
    Promos,
    /// Make a promo code.
    PromoNew,
    /// Deactivate a promo code.
    PromoOff(i64),
    /// A buyer enters a promo code for a service.
    PromoEnter(i64),
    /// Pay for a plan in Stars with a promo code: (plan, code).
    BuyPromo(i64, i64),
    /// Pay for a plan by card with a promo code: (plan, code).
    BuyCardPromo(i64, i64),
    /// Invite to the team: 1 an admin, 2 a developer.
    TeamInvite(i64),
    /// Switch a team member between admin and developer.
    TeamRole(i64),
    /// Remove a team member.
    TeamRemove(i64),
    /// The seller's analytics over 30 or 90 days.
    Analytics(i64),
    /// Turn a plan's renewal (a Stripe subscription) on or off.
    PlanRenew(i64),
    /// A buyer asks to cancel a subscription (the retention offer may come first).
    SubCancel(i64),
    /// A buyer cancels a subscription at the end of its period.
    SubCancelConfirm(i64),
    /// A buyer turns renewal back on.
    SubResume(i64),
    /// A buyer takes the retention offer.
    SubKeep(i64),
    /// The seller's branding screen.
    Branding,
    /// Set the brand name (asks for it).
    BrandName,
    /// Set the logo (asks for a photo).
    BrandLogo,
    /// Set the accent colour to one of the presets (its index).
    BrandColor(i64),
    /// Set the accent colour to any `#RRGGBB` (asks for it).
    BrandColorAsk,
    /// Back to the default branding.
    BrandReset,
}

impl Press {
    pub fn data(self) -> String {
        let (verb, id) = match self {
            Press::Accept => ("acc", None),
            Press::Cancel => ("cxl", None),
            Press::Services => ("svcs", None),
            Press::Check(c) => ("chk", Some(c)),
            Press::Service(s) => ("svc", Some(s)),
            Press::NewPlan(s) => ("np", Some(s)),
            Press::Pause(s) => ("ps", Some(s)),
            Press::Resume(s) => ("rs", Some(s)),
            Press::Archive(s) => ("ar", Some(s)),
            Press::JoinRequests(s) => ("jr", Some(s)),
            Press::PlanPause(p) => ("pp", Some(p)),
            Press::PlanResume(p) => ("pr", Some(p)),
            Press::PlanArchive(p) => ("pa", Some(p)),
            Press::Show(s) => ("sh", Some(s)),
            Press::Buy(p) => ("by", Some(p)),
            Press::Trial(p) => ("tr", Some(p)),
            Press::KeyNew(live) => ("kn", Some(live)),
            Press::KeyRevoke(k) => ("kr", Some(k)),
            Press::Webhooks => ("wh", None),
            Press::WebhookTest(e) => ("wht", Some(e)),
            Press::WebhookEnable(e) => ("whe", Some(e)),
            Press::WebhookResend(d) => ("whr", Some(d)),
            Press::BuyCard(p) => ("bc", Some(p)),
            Press::Payout(m) => ("po", Some(m)),
            Press::PlanCardPrice(p) => ("pc", Some(p)),
            Press::Links => ("lk", None),
            Press::LinkNew(s) => ("lkn", Some(s)),
            Press::LinkRevoke(l) => ("lkr", Some(l)),
            Press::StarSub(s) => ("ss", Some(s)),
            Press::Promos => ("pm", None),
            Press::PromoNew => ("pmn", None),
            Press::PromoOff(c) => ("pmx", Some(c)),
            Press::PromoEnter(s) => ("pme", Some(s)),
            Press::TeamInvite(r) => ("tmi", Some(r)),
            Press::TeamRole(u) => ("tmr", Some(u)),
            Press::TeamRemove(u) => ("tmx", Some(u)),
            Press::Analytics(d) => ("an", Some(d)),
            Press::PlanRenew(p) => ("rnw", Some(p)),
            Press::SubCancel(s) => ("sbc", Some(s)),
            Press::SubCancelConfirm(s) => ("sbx", Some(s)),
            Press::SubResume(s) => ("sbr", Some(s)),
            Press::SubKeep(s) => ("sbk", Some(s)),
            Press::Branding => ("br", None),
            Press::BrandName => ("brn", None),
            Press::BrandLogo => ("brl", None),
            Press::BrandColor(i) => ("brc", Some(i)),
            Press::BrandColorAsk => ("brc", None),
            Press::BrandReset => ("brx", None),
            Press::BuyPromo(p, c) => return format!("{PREFIX}byp:{p}:{c}"),
            Press::BuyCardPromo(p, c) => return format!("{PREFIX}bcp:{p}:{c}"),
        };
        match id {
            Some(id) => format!("{PREFIX}{verb}:{id}"),
            None => format!("{PREFIX}{verb}"),
        }
    }

    pub fn parse(data: &str) -> Option<Press> {
        let rest = data.strip_prefix(PREFIX)?;
        let number = |id: &str| {
            let ok = !id.is_empty()
                && id.len() <= 19
                && id
                    .bytes()
                    .enumerate()
                    .all(|(i, b)| b.is_ascii_digit() || (i == 0 && b == b'-'));
            if ok { id.parse::<i64>().ok() } else { None }
        };
        if let Some((verb, ids)) = rest.split_once(':')
            && matches!(verb, "byp" | "bcp")
        {
            let (plan, code) = ids.split_once(':')?;
            let (plan, code) = (number(plan)?, number(code)?);
            return Some(if verb == "byp" {
                Press::BuyPromo(plan, code)
            } else {
                Press::BuyCardPromo(plan, code)
            });
        }
        let (verb, id) = match rest.split_once(':') {
            Some((verb, id)) => (verb, Some(number(id)?)),
            None => (rest, None),
        };
        Some(match (verb, id) {
            ("acc", None) => Press::Accept,
            ("cxl", None) => Press::Cancel,
            ("svcs", None) => Press::Services,
            ("chk", Some(c)) => Press::Check(c),
            ("svc", Some(s)) => Press::Service(s),
            ("np", Some(s)) => Press::NewPlan(s),
            ("ps", Some(s)) => Press::Pause(s),
            ("rs", Some(s)) => Press::Resume(s),
            ("ar", Some(s)) => Press::Archive(s),
            ("jr", Some(s)) => Press::JoinRequests(s),
            ("pp", Some(p)) => Press::PlanPause(p),
            ("pr", Some(p)) => Press::PlanResume(p),
            ("pa", Some(p)) => Press::PlanArchive(p),
            ("sh", Some(s)) => Press::Show(s),
            ("by", Some(p)) => Press::Buy(p),
            ("tr", Some(p)) => Press::Trial(p),
            ("kn", Some(live @ 0..=1)) => Press::KeyNew(live),
            ("kr", Some(k)) => Press::KeyRevoke(k),
            ("wh", None) => Press::Webhooks,
            ("wht", Some(e)) => Press::WebhookTest(e),
            ("whe", Some(e)) => Press::WebhookEnable(e),
            ("whr", Some(d)) => Press::WebhookResend(d),
            ("bc", Some(p)) => Press::BuyCard(p),
            ("po", Some(m @ 0..=3)) => Press::Payout(m),
            ("pc", Some(p)) => Press::PlanCardPrice(p),
            ("lk", None) => Press::Links,
            ("lkn", Some(s)) => Press::LinkNew(s),
            ("lkr", Some(l)) => Press::LinkRevoke(l),
            ("ss", Some(s)) => Press::StarSub(s),
            ("pm", None) => Press::Promos,
            ("pmn", None) => Press::PromoNew,
            ("pmx", Some(c)) => Press::PromoOff(c),
            ("pme", Some(s)) => Press::PromoEnter(s),
            ("tmi", Some(r @ 1..=2)) => Press::TeamInvite(r),
            ("tmr", Some(u)) => Press::TeamRole(u),
            ("tmx", Some(u)) => Press::TeamRemove(u),
            ("an", Some(d @ (30 | 90))) => Press::Analytics(d),
            ("rnw", Some(p)) => Press::PlanRenew(p),
            ("sbc", Some(x)) => Press::SubCancel(x),
            ("sbx", Some(x)) => Press::SubCancelConfirm(x),
            ("sbr", Some(x)) => Press::SubResume(x),
            ("sbk", Some(x)) => Press::SubKeep(x),
            ("br", None) => Press::Branding,
            ("brn", None) => Press::BrandName,
            ("brl", None) => Press::BrandLogo,
            ("brc", Some(i @ 0..=5)) => Press::BrandColor(i),
            ("brc", None) => Press::BrandColorAsk,
            ("brx", None) => Press::BrandReset,
            _ => return None,
        })
    }
}

pub fn is_seller_data(data: &str) -> bool {
    data.starts_with(PREFIX)
}

pub(super) fn button(label: String, press: Press) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(label, press.data())
}

pub(super) fn keyboard(rows: Vec<Vec<InlineKeyboardButton>>) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(rows.into_iter().filter(|r| !r.is_empty()))
}

/// Tells `user` the text of `key` (a text without arguments).
pub(super) async fn tell(
    ctx: &AppCtx,
    user: i64,
    locale: Locale,
    key: &str,
) -> Result<(), BotError> {
    say(ctx, user, tr(locale, key, &[]), None).await?;
    Ok(())
}

/// Starts waiting for `user`'s answer to `step` (their next message is not relayed).
pub(super) async fn wait(ctx: &AppCtx, user: i64, step: &Step) -> Result<(), BotError> {
    drafts::set(&ctx.db, ctx.now(), user, step).await?;
    ctx.drafting.insert(user);
    Ok(())
}

/// Ends `user`'s seller dialogue.
/// The seller a dialogue step acts for, when it may still sell; otherwise the step ends (and a
/// suspended seller is told why).
async fn active_seller(
    ctx: &AppCtx,
    user: i64,
    locale: Locale,
    acting: Option<&Seller>,
) -> Result<Option<Seller>, BotError> {
    match acting {
        Some(seller) if seller.status == "active" => Ok(Some(seller.clone())),
        Some(_) => {
            done(ctx, user).await?;
            tell(ctx, user, locale, "sl-suspended").await?;
            Ok(None)
        }
        None => {
            done(ctx, user).await?;
            Ok(None)
        }
    }
}

pub(super) async fn done(ctx: &AppCtx, user: i64) -> Result<(), BotError> {
    drafts::clear(&ctx.db, user).await?;
    ctx.drafting.remove(user);
    Ok(())
}

fn deep_link(me: &Me, service: &Service) -> String {
    format!("https://t.me/{}?start=s_{}", me.username(), service.code)
}

pub(crate) fn plan_label(locale: Locale, plan: &Plan) -> String {
    let mut label = tr(
        locale,
        "sl-plan-label",
        &[
            ("stars", plan.stars_price.unwrap_or_default().to_string()),
            ("days", plan.period_days.to_string()),
        ],
    );
    if let Some(card) = card_price(plan) {
        label.push_str(" · 💳 ");
        label.push_str(&card);
    }
    label
}

/// A plan's card price, formatted (None: Stars only).
fn card_price(plan: &Plan) -> Option<String> {
    match (plan.price_minor, &plan.currency) {
        (Some(minor), Some(currency)) => {
            Some(crate::billing::orders::format_price(minor, currency))
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Seller commands

/// The seller commands of the private chat, with their argument text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SellerCommand {
    Sell,
    Services,
    Members(String),
    Grant(String),
    Revoke(String),
    Whitelist(String),
    Dashboard,
    Alert(String),
    Audit(String),
    ApiKey(String),
    Webhooks,
    Payouts,
    Links,
    Promos,
    Team,
    /// `/retention [percent|off]`: the offer to a buyer who cancels a subscription.
    Retention(String),
    Branding,
    /// The seller's platform plan.
    Plan,
    Cancel,
    /// `/templates …`: the texts of customers' order messages.
    Templates(String),
    /// `/shops …`: Shopify and WooCommerce receivers.
    Shops(String),
}

impl SellerCommand {
    /// What the command does, for the role check.
    fn action(&self) -> Action {
        match self {
            SellerCommand::Sell => Action::Services,
            SellerCommand::Grant(_) | SellerCommand::Revoke(_) | SellerCommand::Whitelist(_) => {
                Action::Members
            }
            SellerCommand::Alert(_) => Action::Alerts,
            SellerCommand::ApiKey(args) if !args.trim().is_empty() => Action::ApiKeys,
            SellerCommand::Payouts => Action::Billing,
            SellerCommand::Retention(args) if !args.trim().is_empty() => Action::Billing,
            SellerCommand::Team => Action::Team,
            SellerCommand::Templates(args) if !args.trim().is_empty() => Action::Messaging,
            SellerCommand::Shops(args) if !args.trim().is_empty() => Action::Messaging,
            _ => Action::Read,
        }
    }
}

impl Press {
    /// What a seller's press does, for the role check.
    fn action(self) -> Action {
        match self {
            Press::KeyNew(_) | Press::KeyRevoke(_) => Action::ApiKeys,
            Press::Payout(_) => Action::Billing,
            Press::WebhookTest(_) | Press::WebhookEnable(_) | Press::WebhookResend(_) => {
                Action::Webhooks
            }
            Press::TeamInvite(_) | Press::TeamRole(_) | Press::TeamRemove(_) => Action::Team,
            Press::BrandName
            | Press::BrandLogo
            | Press::BrandColor(_)
            | Press::BrandColorAsk
            | Press::BrandReset => Action::Branding,
            Press::Services
            | Press::Branding
            | Press::Service(_)
            | Press::Webhooks
            | Press::Links
            | Press::Promos
            | Press::Analytics(_) => Action::Read,
            // A buyer's own subscription: handled before any team role is looked at.
            Press::SubCancel(_)
            | Press::SubCancelConfirm(_)
            | Press::SubResume(_)
            | Press::SubKeep(_) => Action::Read,
            _ => Action::Services,
        }
    }
}

/// What a seller dialogue step does, for the role check.
fn step_action(step: &Step) -> Action {
    match step {
        Step::StripeKey | Step::StripeWebhookSecret { .. } | Step::ConnectAccount => {
            Action::Billing
        }
        Step::ApiKey { .. } => Action::ApiKeys,
        Step::Alert { .. } => Action::Alerts,
        Step::BrandName | Step::BrandLogo | Step::BrandColor => Action::Branding,
        _ => Action::Services,
    }
}

/// Says the presser's role may not do this.
async fn refuse(ctx: &AppCtx, user: i64, locale: Locale, role: Role) -> HandlerResult {
    let role = super::bot_team::role_name(locale, role);
    say(
        ctx,
        user,
        tr(locale, "sl-team-forbidden", &[("role", role)]),
        None,
    )
    .await?;
    Ok(())
}

pub(crate) async fn command(
    ctx: &AppCtx,
    me: &Me,
    from: &TgUser,
    cmd: SellerCommand,
) -> HandlerResult {
    let user = from.id.0 as i64;
    let locale = locale_of(ctx, user).await?;
    if cmd == SellerCommand::Cancel {
        let had = drafts::current(&ctx.db, ctx.now(), user).await? != Current::None;
        done(ctx, user).await?;
        let key = if had {
            "sl-cancelled"
        } else {
            "sl-nothing-to-cancel"
        };
        let markup = ReplyMarkup::KeyboardRemove(KeyboardRemove::new());
        say(ctx, user, tr(locale, key, &[]), Some(markup)).await?;
        return Ok(());
    }
    let Some(acting) = team::acting(&ctx.db, user).await? else {
        if cmd == SellerCommand::Sell {
            return terms(ctx, user, locale).await;
        }
        tell(ctx, user, locale, "sl-not-a-seller").await?;
        return Ok(());
    };
    let seller = acting.seller;
    if seller.status != "active" && cmd != SellerCommand::Services {
        tell(ctx, user, locale, "sl-suspended").await?;
        return Ok(());
    }
    if !acting.role.can(cmd.action()) {
        return refuse(ctx, user, locale, acting.role).await;
    }
    match cmd {
        SellerCommand::Sell => {
            ask_for_chat(ctx, user, locale).await?;
        }
        SellerCommand::Services => services_list(ctx, me, &seller, locale, None).await?,
        SellerCommand::Members(args) => members(ctx, &seller, locale, args.trim()).await?,
        SellerCommand::Grant(args) => grant(ctx, &seller, locale, args.trim()).await?,
        SellerCommand::Revoke(args) => revoke(ctx, &seller, locale, args.trim()).await?,
        SellerCommand::Whitelist(args) => whitelist(ctx, &seller, locale, args.trim()).await?,
        SellerCommand::Dashboard => dashboard(ctx, &seller, locale).await?,
        SellerCommand::Alert(args) => alert(ctx, &seller, locale, args.trim()).await?,
        SellerCommand::Audit(args) => audit_trail(ctx, &seller, locale, args.trim()).await?,
        SellerCommand::Payouts => super::bot_payouts::screen(ctx, &seller, locale).await?,
        SellerCommand::ApiKey(args) => {
            super::bot_keys::command(ctx, &seller, locale, args.trim()).await?
        }
        SellerCommand::Webhooks => webhooks_screen(ctx, &seller, locale, None).await?,
        SellerCommand::Links => super::bot_links::screen(ctx, &seller, locale, None).await?,
        SellerCommand::Promos => super::bot_promos::screen(ctx, &seller, locale, None).await?,
        SellerCommand::Team => super::bot_team::screen(ctx, &seller, locale, None).await?,
        SellerCommand::Retention(args) => {
            super::bot_recurring::retention(ctx, &seller, locale, &args).await?
        }
        SellerCommand::Branding => super::bot_branding::screen(ctx, &seller, locale, None).await?,
        SellerCommand::Plan => super::bot_platform::screen(ctx, &seller, locale, None).await?,
        SellerCommand::Cancel => {}
        SellerCommand::Templates(args) => {
            crate::messaging::bot_orders::templates(ctx, &seller, user, locale, &args).await?
        }
        SellerCommand::Shops(args) => {
            crate::messaging::bot_orders::shops(ctx, &seller, user, locale, &args).await?
        }
    }
    Ok(())
}

async fn terms(ctx: &AppCtx, user: i64, locale: Locale) -> HandlerResult {
    let fee = super::platform::starting_fee(&ctx.db).await?;
    wait(ctx, user, &Step::Terms).await?;
    let kb = keyboard(vec![vec![
        button(tr(locale, "sl-accept-button", &[]), Press::Accept),
        button(tr(locale, "sl-cancel-button", &[]), Press::Cancel),
    ]]);
    say(
        ctx,
        user,
        tr(locale, "sl-terms", &[("fee", fee.to_string())]),
        Some(ReplyMarkup::InlineKeyboard(kb)),
    )
    .await?;
    Ok(())
}

const REQUEST_CHANNEL: i32 = 1;
const REQUEST_GROUP: i32 = 2;

fn bot_rights(channel: bool) -> ChatAdministratorRights {
    ChatAdministratorRights {
        is_anonymous: false,
        can_manage_chat: false,
        can_delete_messages: false,
        can_manage_video_chats: false,
        can_restrict_members: true,
        can_promote_members: false,
        can_change_info: false,
        can_invite_users: true,
        can_post_messages: channel.then_some(true),
        can_edit_messages: None,
        can_pin_messages: None,
        can_post_stories: None,
        can_edit_stories: None,
        can_delete_stories: None,
        can_manage_topics: None,
    }
}

/// The `request_chat` keyboard: share a channel or a group, the bot joining as an admin with
/// the rights it needs.
async fn ask_for_chat(ctx: &AppCtx, user: i64, locale: Locale) -> HandlerResult {
    wait(ctx, user, &Step::Chat).await?;
    let request = |id: i32, channel: bool| {
        let mut r = KeyboardButtonRequestChat::new(RequestId(id), channel)
            .bot_administrator_rights(bot_rights(channel))
            .user_administrator_rights(bot_rights(channel))
            .request_title();
        r.bot_is_member = false;
        ButtonRequest::RequestChat(r)
    };
    let kb = KeyboardMarkup::new(vec![vec![
        KeyboardButton::new(tr(locale, "sl-share-channel", &[]))
            .request(request(REQUEST_CHANNEL, true)),
        KeyboardButton::new(tr(locale, "sl-share-group", &[]))
            .request(request(REQUEST_GROUP, false)),
    ]])
    .resize_keyboard()
    .one_time_keyboard();
    say(
        ctx,
        user,
        tr(locale, "sl-ask-chat", &[]),
        Some(ReplyMarkup::Keyboard(kb)),
    )
    .await?;
    Ok(())
}

/// A chat was shared (or "check again" pressed): verify the rights, then connect it.
async fn connect(
    ctx: &AppCtx,
    me: &Me,
    seller: &Seller,
    chat_id: i64,
    locale: Locale,
) -> HandlerResult {
    let user = seller.user_id;
    let again = || {
        Some(ReplyMarkup::InlineKeyboard(keyboard(vec![vec![button(
            tr(locale, "sl-check-again", &[]),
            Press::Check(chat_id),
        )]])))
    };
    match check_chat(ctx, me, user, chat_id).await? {
        ChatCheck::BotNotAdmin => {
            say(ctx, user, tr(locale, "sl-bot-not-admin", &[]), again()).await?;
        }
        ChatCheck::UserNotAdmin => {
            tell(ctx, user, locale, "sl-user-not-admin").await?;
        }
        ChatCheck::Missing(rights) => {
            let names: Vec<String> = rights.iter().map(|k| tr(locale, k, &[])).collect();
            let text = tr(locale, "sl-missing-rights", &[("rights", names.join(", "))]);
            say(ctx, user, text, again()).await?;
        }
        ChatCheck::Ready { kind, title } => {
            let remove = Some(ReplyMarkup::KeyboardRemove(KeyboardRemove::new()));
            match catalog::connect_chat(&ctx.db, ctx.now(), seller, chat_id, kind, &title, true)
                .await?
            {
                Connected::Taken => {
                    done(ctx, user).await?;
                    say(ctx, user, tr(locale, "sl-chat-taken", &[]), remove).await?;
                }
                Connected::Limit(reached) => {
                    done(ctx, user).await?;
                    say(ctx, user, tr(locale, "sl-chat-not-added", &[]), remove).await?;
                    super::bot_platform::tell_limit(ctx, user, locale, &reached).await?;
                }
                Connected::Again(service) => {
                    done(ctx, user).await?;
                    let text = tr(locale, "sl-chat-again", &[("title", service.title.clone())]);
                    say(ctx, user, text, remove).await?;
                    service_card(ctx, me, seller, &service, locale, None).await?;
                }
                Connected::New(service) => {
                    audit::record(
                        &ctx.db,
                        ctx.now(),
                        seller.id,
                        user,
                        "service_connected",
                        None,
                        format!("{} ({})", service.title, kind.as_str()),
                    )
                    .await?;
                    let text = tr(locale, "sl-connected", &[("title", service.title.clone())]);
                    say(ctx, user, text, remove).await?;
                    wait(
                        ctx,
                        user,
                        &Step::PlanStars {
                            service: service.id,
                        },
                    )
                    .await?;
                    tell(ctx, user, locale, "sl-ask-stars").await?;
                }
            }
        }
    }
    Ok(())
}

/// Whether a private message is an answer to a seller dialogue (or a shared chat).
pub(crate) fn is_input(msg: &Message, ctx: &AppCtx) -> bool {
    let Some(from) = msg.from.as_ref() else {
        return false;
    };
    msg.shared_chat().is_some()
        || (ctx.drafting.contains(from.id.0 as i64)
            && !msg.text().is_some_and(|t| t.starts_with('/')))
}

/// An answer to a seller dialogue step.
pub(crate) async fn input(msg: Message, ctx: AppCtx, me: Me, confirm: Confirm) -> HandlerResult {
    let Some(from) = msg.from.as_ref() else {
        return Ok(());
    };
    let user = from.id.0 as i64;
    let locale = locale_of(&ctx, user).await?;
    if let Some(shared) = msg.shared_chat() {
        let Some(acting) = team::acting(&ctx.db, user).await? else {
            tell(&ctx, user, locale, "sl-not-a-seller").await?;
            return Ok(());
        };
        let seller = acting.seller;
        if seller.status != "active" {
            tell(&ctx, user, locale, "sl-suspended").await?;
            return Ok(());
        }
        if !acting.role.can(Action::Services) {
            return refuse(&ctx, user, locale, acting.role).await;
        }
        return connect(&ctx, &me, &seller, shared.chat_id.0, locale).await;
    }
    let step = match drafts::current(&ctx.db, ctx.now(), user).await? {
        Current::Waiting(step) => step,
        Current::Expired => {
            ctx.drafting.remove(user);
            tell(&ctx, user, locale, "sl-step-expired").await?;
            return Ok(());
        }
        Current::None => {
            // Nothing waits after all (another replica ended it): the message is the user's.
            ctx.drafting.remove(user);
            return crate::relay::bot::user_message(msg, ctx, confirm).await;
        }
    };
    if step == Step::BrandLogo {
        // The one step answered with something other than text: a photo.
        match team::acting(&ctx.db, user).await? {
            Some(acting) if !acting.role.can(step_action(&step)) => {
                done(&ctx, user).await?;
                return refuse(&ctx, user, locale, acting.role).await;
            }
            acting => {
                let acting = acting.map(|a| a.seller);
                if let Some(seller) = active_seller(&ctx, user, locale, acting.as_ref()).await? {
                    super::bot_branding::logo_sent(&ctx, &seller, locale, &msg).await?;
                }
            }
        }
        return Ok(());
    }
    let Some(text) = msg.text().map(str::to_owned) else {
        tell(&ctx, user, locale, "sl-text-please").await?;
        return Ok(());
    };
    // A step for a seller is checked against the member's role now (it may have changed since
    // the step began); the onboarding and buyer steps belong to no seller yet.
    let acting = match step {
        Step::Terms | Step::Name | Step::Email { .. } | Step::Chat | Step::PromoEnter { .. } => {
            None
        }
        _ => match team::acting(&ctx.db, user).await? {
            Some(acting) if !acting.role.can(step_action(&step)) => {
                done(&ctx, user).await?;
                return refuse(&ctx, user, locale, acting.role).await;
            }
            acting => acting,
        },
    };
    let acting_seller = acting.map(|a| a.seller);
    let bad = |e: BadInput| {
        let ctx = ctx.clone();
        async move {
            let key = match e {
                BadInput::Name => "sl-bad-name",
                BadInput::Email => "sl-bad-email",
                BadInput::Stars => "sl-bad-stars",
                BadInput::Period => "sl-bad-period",
                BadInput::Trial => "sl-bad-trial",
                BadInput::Alert => "sl-bad-alert",
                BadInput::KeyName => "sl-bad-key-name",
                BadInput::LinkName => "sl-bad-link-name",
                BadInput::SubscriptionPrice => "sl-bad-star-sub-price",
            };
            say(&ctx, user, tr(locale, key, &[]), None).await?;
            Ok::<(), BotError>(())
        }
    };
    match step {
        Step::Terms => {
            tell(&ctx, user, locale, "sl-accept-first").await?;
        }
        Step::Name => match catalog::parse_name(&text) {
            Ok(name) => {
                wait(&ctx, user, &Step::Email { name }).await?;
                tell(&ctx, user, locale, "sl-ask-email").await?;
            }
            Err(e) => bad(e).await?,
        },
        Step::Email { name } => match catalog::parse_email(&text) {
            Ok(email) => {
                let seller = catalog::register(&ctx.db, ctx.now(), user, &name, &email).await?;
                audit::record(
                    &ctx.db,
                    ctx.now(),
                    seller.id,
                    user,
                    "onboarded",
                    None,
                    format!("{name} <{email}>"),
                )
                .await?;
                say(
                    &ctx,
                    user,
                    tr(locale, "sl-welcome", &[("name", name)]),
                    None,
                )
                .await?;
                ask_for_chat(&ctx, user, locale).await?;
            }
            Err(e) => bad(e).await?,
        },
        Step::Chat => {
            ask_for_chat(&ctx, user, locale).await?;
        }
        Step::PlanStars { service } => match catalog::parse_stars(&text) {
            Ok(stars) => {
                wait(&ctx, user, &Step::PlanPeriod { service, stars }).await?;
                tell(&ctx, user, locale, "sl-ask-period").await?;
            }
            Err(e) => bad(e).await?,
        },
        Step::PlanPeriod { service, stars } => match catalog::parse_period(&text) {
            Ok(period) => {
                let next = Step::PlanTrial {
                    service,
                    stars,
                    period,
                };
                wait(&ctx, user, &next).await?;
                tell(&ctx, user, locale, "sl-ask-trial").await?;
            }
            Err(e) => bad(e).await?,
        },
        Step::PlanTrial {
            service,
            stars,
            period,
        } => match catalog::parse_trial(&text) {
            Ok(trial) => {
                done(&ctx, user).await?;
                let Some(seller) = acting_seller.clone() else {
                    return Ok(());
                };
                let Some(service) = catalog::own_service(&ctx.db, seller.id, service).await? else {
                    tell(&ctx, user, locale, "sl-not-yours").await?;
                    return Ok(());
                };
                let plan = catalog::add_plan(
                    &ctx.db,
                    ctx.now(),
                    &service,
                    NewPlan {
                        stars_price: Some(stars),
                        card: None,
                        period_days: period,
                        trial_days: trial,
                    },
                )
                .await?;
                audit::record(
                    &ctx.db,
                    ctx.now(),
                    seller.id,
                    user,
                    "plan_added",
                    None,
                    format!(
                        "{}: {stars} XTR / {period} days, trial {trial} days",
                        service.title
                    ),
                )
                .await?;
                plan_done(&ctx, &me, &service, &plan, locale).await?;
            }
            Err(e) => bad(e).await?,
        },
        Step::StripeKey
        | Step::StripeWebhookSecret { .. }
        | Step::ConnectAccount
        | Step::PlanCardPrice { .. } => {
            let Some(seller) = acting_seller.clone() else {
                done(&ctx, user).await?;
                return Ok(());
            };
            super::bot_payouts::answer(&ctx, &seller, locale, step, &text, msg.id).await?;
        }
        Step::ApiKey { live } => {
            let Some(seller) = acting_seller.clone() else {
                done(&ctx, user).await?;
                return Ok(());
            };
            super::bot_keys::answer(&ctx, &seller, locale, live, &text).await?;
        }
        Step::LinkName { service } => {
            if let Some(seller) = active_seller(&ctx, user, locale, acting_seller.as_ref()).await? {
                super::bot_links::answer(&ctx, &seller, locale, service, &text).await?;
            }
        }
        Step::StarSubPrice { service } => {
            if let Some(seller) = active_seller(&ctx, user, locale, acting_seller.as_ref()).await? {
                super::bot_subscriptions::answer(&ctx, &seller, locale, service, &text).await?;
            }
        }
        Step::PromoNew(draft) => {
            if let Some(seller) = active_seller(&ctx, user, locale, acting_seller.as_ref()).await? {
                super::bot_promos::answer(&ctx, &seller, locale, draft, &text).await?;
            }
        }
        Step::BrandName | Step::BrandColor | Step::BrandLogo => {
            if let Some(seller) = active_seller(&ctx, user, locale, acting_seller.as_ref()).await? {
                super::bot_branding::answer(&ctx, &seller, locale, &step, &text).await?;
            }
        }
        Step::PromoEnter { service } => {
            done(&ctx, user).await?;
            let Some(service) = catalog::service(&ctx.db, service).await? else {
                return Ok(());
            };
            promo_entered(&ctx, user, &service, text.trim(), locale).await?;
        }
        Step::Alert { service } => match catalog::parse_alert(&text) {
            Ok(text) => {
                done(&ctx, user).await?;
                let Some(seller) = acting_seller.clone() else {
                    return Ok(());
                };
                post_alert(&ctx, &seller, service, &text, locale).await?;
            }
            Err(e) => bad(e).await?,
        },
    }
    Ok(())
}

/// The plan is on sale: the deep link and a card to share.
async fn plan_done(
    ctx: &AppCtx,
    me: &Me,
    service: &Service,
    plan: &Plan,
    locale: Locale,
) -> HandlerResult {
    let link = deep_link(me, service);
    let text = tr(
        locale,
        "sl-plan-added",
        &[
            ("title", service.title.clone()),
            ("plan", plan_label(locale, plan)),
            ("trial", plan.trial_days.to_string()),
            ("link", link.clone()),
        ],
    );
    let kb = keyboard(vec![
        vec![button(
            tr(locale, "sl-add-plan", &[]),
            Press::NewPlan(service.id),
        )],
        vec![button(tr(locale, "sl-my-services", &[]), Press::Services)],
    ]);
    say(
        ctx,
        service_owner(ctx, service).await?,
        text,
        Some(ReplyMarkup::InlineKeyboard(kb)),
    )
    .await?;
    // The share card: a message to forward into other chats.
    let card = tr(
        locale,
        "sl-share-card",
        &[
            ("title", service.title.clone()),
            ("plan", plan_label(locale, plan)),
        ],
    );
    let url = url::Url::parse(&link).map_err(|e| {
        BotError::Service(ServiceError::Storage(
            crate::storage::StorageError::Corrupt(format!("deep link {link}: {e}")),
        ))
    })?;
    let kb = InlineKeyboardMarkup::new(vec![vec![InlineKeyboardButton::url(
        tr(
            locale,
            "sl-join-button",
            &[("title", service.title.clone())],
        ),
        url,
    )]]);
    let owner = service_owner(ctx, service).await?;
    let brand = match catalog::seller(&ctx.db, service.seller_id).await? {
        Some(seller) => Some(super::branding::brand(&ctx.db, &seller).await?),
        None => None,
    };
    let card = brand.as_ref().map_or(card.clone(), |b| b.post(&card));
    // With a logo the card is the logo with the text as its caption.
    if let Some(logo) = brand.and_then(|b| b.logo) {
        let chat = ChatId(owner);
        let req = ctx
            .tg
            .bot()
            .send_photo(chat, InputFile::file_id(logo.into()))
            .caption(card.clone())
            .reply_markup(kb.clone());
        match ctx.tg.send(chat, req).await {
            Ok(_) => return Ok(()),
            // A logo Telegram no longer has: the card goes as text.
            Err(e) if !e.is_transient() => {
                tracing::warn!(error = %e, "could not send a seller's logo on a share card");
            }
            Err(e) => return Err(e.into()),
        }
    }
    say(ctx, owner, card, Some(ReplyMarkup::InlineKeyboard(kb))).await?;
    Ok(())
}

async fn service_owner(ctx: &AppCtx, service: &Service) -> Result<i64, BotError> {
    Ok(catalog::seller(&ctx.db, service.seller_id)
        .await?
        .map_or(0, |s| s.user_id))
}

async fn services_list(
    ctx: &AppCtx,
    me: &Me,
    seller: &Seller,
    locale: Locale,
    edit: Option<MessageId>,
) -> HandlerResult {
    let services = catalog::services_of(&ctx.db, seller.id).await?;
    let mut text = tr(
        locale,
        "sl-services-title",
        &[("name", seller.display_name.clone())],
    );
    if seller.status != "active" {
        text.push('\n');
        text.push_str(&tr(locale, "sl-suspended", &[]));
    }
    let mut rows = Vec::new();
    if services.is_empty() {
        text.push_str("\n\n");
        text.push_str(&tr(locale, "sl-no-services", &[]));
    }
    for s in &services {
        text.push_str(&format!(
            "\n• {} ({}) · {} · {}",
            s.title,
            s.chat_kind,
            s.status,
            deep_link(me, s)
        ));
        rows.push(vec![button(s.title.clone(), Press::Service(s.id))]);
    }
    rows.push(vec![button(
        tr(locale, "sl-brand-open", &[]),
        Press::Branding,
    )]);
    show(ctx, seller.user_id, text, keyboard(rows), edit).await
}

/// Sends a screen, or edits the message it replaces.
pub(super) async fn show(
    ctx: &AppCtx,
    user: i64,
    text: String,
    kb: InlineKeyboardMarkup,
    edit: Option<MessageId>,
) -> HandlerResult {
    let chat = ChatId(user);
    match edit {
        Some(message) => {
            let req = ctx
                .tg
                .bot()
                .edit_message_text(chat, message, text)
                .reply_markup(kb);
            match ctx.tg.send(chat, req).await {
                Ok(_) => {}
                // Pressing a button that leaves the screen as it was.
                Err(TgError::Rejected(e)) if e.to_string().contains("not modified") => {}
                Err(e) => return Err(e.into()),
            }
        }
        None => {
            say(ctx, user, text, Some(ReplyMarkup::InlineKeyboard(kb))).await?;
        }
    }
    Ok(())
}

async fn service_card(
    ctx: &AppCtx,
    me: &Me,
    seller: &Seller,
    service: &Service,
    locale: Locale,
    edit: Option<MessageId>,
) -> HandlerResult {
    let plans = catalog::plans_of(&ctx.db, service.id, false).await?;
    let admission = if service.admission == "join_request" {
        tr(locale, "sl-admission-requests", &[])
    } else {
        tr(locale, "sl-admission-links", &[])
    };
    let mut text = tr(
        locale,
        "sl-service-card",
        &[
            ("title", service.title.clone()),
            ("kind", service.chat_kind.clone()),
            ("status", service.status.clone()),
            ("admission", admission),
            ("link", deep_link(me, service)),
        ],
    );
    let mut rows = Vec::new();
    if plans.is_empty() {
        text.push('\n');
        text.push_str(&tr(locale, "sl-no-plans", &[]));
    }
    let subscription = super::bot_subscriptions::card_line(locale, service);
    for p in &plans {
        let label = plan_label(locale, p);
        text.push_str(&format!(
            "\n• {label} · {} · {}",
            tr(
                locale,
                "sl-trial-days",
                &[("days", p.trial_days.to_string())]
            ),
            p.status
        ));
        let toggle = if p.status == "active" {
            button(format!("⏸ {label}"), Press::PlanPause(p.id))
        } else {
            button(format!("▶️ {label}"), Press::PlanResume(p.id))
        };
        let renew = if p.renewing { "🔁✅" } else { "🔁" };
        rows.push(vec![
            toggle,
            button("💳".into(), Press::PlanCardPrice(p.id)),
            button(renew.into(), Press::PlanRenew(p.id)),
            button("🗑".into(), Press::PlanArchive(p.id)),
        ]);
    }
    if let Some(line) = subscription {
        text.push('\n');
        text.push_str(&line);
    }
    rows.push(vec![button(
        tr(locale, "sl-add-plan", &[]),
        Press::NewPlan(service.id),
    )]);
    rows.push(vec![button(
        tr(locale, "sl-star-sub-button", &[]),
        Press::StarSub(service.id),
    )]);
    let status = if service.status == "active" {
        button(tr(locale, "sl-pause", &[]), Press::Pause(service.id))
    } else {
        button(tr(locale, "sl-resume", &[]), Press::Resume(service.id))
    };
    rows.push(vec![
        status,
        button(
            tr(locale, "sl-toggle-admission", &[]),
            Press::JoinRequests(service.id),
        ),
    ]);
    rows.push(vec![
        button(tr(locale, "sl-archive", &[]), Press::Archive(service.id)),
        button(tr(locale, "sl-my-services", &[]), Press::Services),
    ]);
    show(ctx, seller.user_id, text, keyboard(rows), edit).await
}

/// `/members [active|expired|revoked]`.
async fn members(ctx: &AppCtx, seller: &Seller, locale: Locale, args: &str) -> HandlerResult {
    let filter = match args {
        "" => access::MemberFilter::All,
        s @ ("active" | "expired" | "revoked") => access::MemberFilter::Status(s),
        s if s.chars().count() <= 64 && !s.contains(char::is_whitespace) => {
            access::MemberFilter::Search(s)
        }
        _ => {
            tell(ctx, seller.user_id, locale, "sl-members-usage").await?;
            return Ok(());
        }
    };
    let (rows, more) = access::members(&ctx.db, seller.id, filter, 0, 30).await?;
    let services = catalog::services_of(&ctx.db, seller.id).await?;
    let title = |id: i64| {
        services
            .iter()
            .find(|s| s.id == id)
            .map_or_else(|| format!("#{id}"), |s| s.title.clone())
    };
    let mut text = tr(
        locale,
        "sl-members-title",
        &[("count", rows.len().to_string())],
    );
    if rows.is_empty() {
        text.push('\n');
        text.push_str(&tr(locale, "sl-members-none", &[]));
    }
    for m in &rows {
        let name = users::find(&ctx.db, m.user_id)
            .await?
            .map_or_else(|| m.user_id.to_string(), |u| u.first_name);
        let joined = if m.joined_at.is_some() && m.left_at.is_none() {
            "✅"
        } else {
            "·"
        };
        let white = if m.whitelisted { " ⭐" } else { "" };
        text.push_str(&format!(
            "\n{joined} {name} ({}) · {} · {} · {}{white}",
            m.user_id,
            title(m.service_id),
            m.status,
            date(m.ends_at)
        ));
        if access::is_telegram_managed(m) {
            text.push_str(" · ");
            text.push_str(&tr(locale, "sl-source-star-subscription", &[]));
        }
    }
    if more {
        text.push_str("\n…");
    }
    say(ctx, seller.user_id, text, None).await?;
    Ok(())
}

/// The service a command names by code, or the seller's only service.
async fn pick_service(
    ctx: &AppCtx,
    seller: &Seller,
    code: Option<&str>,
) -> Result<Option<Service>, BotError> {
    let services = catalog::services_of(&ctx.db, seller.id).await?;
    Ok(match code {
        Some(code) => services.into_iter().find(|s| s.code == code),
        None if services.len() == 1 => services.into_iter().next(),
        None => None,
    })
}

/// The member a command names (`user`, an id) and the service (`code`, or the seller's only
/// one); None after telling the seller what was wrong (`usage` for a bad id).
async fn member_and_service(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    user: &str,
    code: Option<&str>,
    usage: &str,
) -> Result<Option<(i64, Service)>, BotError> {
    let Ok(target) = user.parse::<i64>() else {
        tell(ctx, seller.user_id, locale, usage).await?;
        return Ok(None);
    };
    let Some(service) = pick_service(ctx, seller, code).await? else {
        tell(ctx, seller.user_id, locale, "sl-which-service").await?;
        return Ok(None);
    };
    Ok(Some((target, service)))
}

/// Tells the seller `key` about `target` in `service`.
async fn tell_about(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    key: &str,
    target: i64,
    service: &Service,
) -> HandlerResult {
    let text = tr(
        locale,
        key,
        &[
            ("user", target.to_string()),
            ("title", service.title.clone()),
        ],
    );
    say(ctx, seller.user_id, text, None).await?;
    Ok(())
}

/// `/grant <user id> <days> [service code]`.
async fn grant(ctx: &AppCtx, seller: &Seller, locale: Locale, args: &str) -> HandlerResult {
    let w: Vec<&str> = args.split_whitespace().collect();
    let parsed = match w.as_slice() {
        [user, days] => Some((*user, *days, None)),
        [user, days, code] => Some((*user, *days, Some(*code))),
        _ => None,
    };
    let Some((user, days, code)) = parsed else {
        tell(ctx, seller.user_id, locale, "sl-grant-usage").await?;
        return Ok(());
    };
    let Ok(days) = catalog::parse_period(days) else {
        tell(ctx, seller.user_id, locale, "sl-grant-usage").await?;
        return Ok(());
    };
    let usage = "sl-grant-usage";
    let Some((target, service)) =
        member_and_service(ctx, seller, locale, user, code, usage).await?
    else {
        return Ok(());
    };
    let m = access::grant(&ctx.db, ctx.now(), &service, target, days, seller.user_id).await?;
    ctx.jobs.notify();
    let text = tr(
        locale,
        "sl-granted",
        &[
            ("user", target.to_string()),
            ("title", service.title.clone()),
            ("until", date(m.ends_at)),
        ],
    );
    say(ctx, seller.user_id, text, None).await?;
    Ok(())
}

/// `/revoke <user id> [service code]`.
async fn revoke(ctx: &AppCtx, seller: &Seller, locale: Locale, args: &str) -> HandlerResult {
    let w: Vec<&str> = args.split_whitespace().collect();
    let (user, code) = match w.as_slice() {
        [user] => (*user, None),
        [user, code] => (*user, Some(*code)),
        _ => {
            tell(ctx, seller.user_id, locale, "sl-revoke-usage").await?;
            return Ok(());
        }
    };
    let usage = "sl-revoke-usage";
    let Some((target, service)) =
        member_and_service(ctx, seller, locale, user, code, usage).await?
    else {
        return Ok(());
    };
    let key = match access::revoke(&ctx.db, ctx.now(), &service, target, seller.user_id).await? {
        Some(_) => {
            ctx.jobs.notify();
            "sl-revoked"
        }
        None => "sl-no-member",
    };
    tell_about(ctx, seller, locale, key, target, &service).await
}

/// `/whitelist <user id> [on|off] [service code]`.
async fn whitelist(ctx: &AppCtx, seller: &Seller, locale: Locale, args: &str) -> HandlerResult {
    let w: Vec<&str> = args.split_whitespace().collect();
    let (user, on, code) = match w.as_slice() {
        [user] => (*user, true, None),
        [user, "on"] => (*user, true, None),
        [user, "off"] => (*user, false, None),
        [user, "on", code] => (*user, true, Some(*code)),
        [user, "off", code] => (*user, false, Some(*code)),
        _ => {
            tell(ctx, seller.user_id, locale, "sl-whitelist-usage").await?;
            return Ok(());
        }
    };
    let usage = "sl-whitelist-usage";
    let Some((target, service)) =
        member_and_service(ctx, seller, locale, user, code, usage).await?
    else {
        return Ok(());
    };
    let changed =
        access::set_whitelisted(&ctx.db, ctx.now(), &service, target, on, seller.user_id).await?;
    let key = match (changed, on) {
        (false, _) => "sl-no-member",
        (true, true) => "sl-whitelisted",
        (true, false) => "sl-unwhitelisted",
    };
    tell_about(ctx, seller, locale, key, target, &service).await
}

/// The days `/dashboard` looks back over (its revenue and its chart).
const DASHBOARD_DAYS: i64 = 30;

async fn dashboard(ctx: &AppCtx, seller: &Seller, locale: Locale) -> HandlerResult {
    let since = ctx.now() - Duration::days(DASHBOARD_DAYS);
    let d = access::dashboard(&ctx.db, seller.id, since).await?;
    let mut text = tr(
        locale,
        "sl-dashboard",
        &[
            ("services", d.services.to_string()),
            ("active", d.active.to_string()),
            ("subscribers", d.subscribers.to_string()),
            ("all", d.all_time.to_string()),
        ],
    );
    if d.revenue.is_empty() {
        text.push('\n');
        text.push_str(&tr(locale, "sl-no-revenue", &[]));
    }
    for r in &d.revenue {
        text.push('\n');
        text.push_str(&tr(
            locale,
            "sl-revenue-line",
            &[
                (
                    "gross",
                    crate::billing::orders::format_price(r.gross, &r.currency),
                ),
                (
                    "fee",
                    crate::billing::orders::format_price(r.fee, &r.currency),
                ),
                (
                    "net",
                    crate::billing::orders::format_price(r.net, &r.currency),
                ),
                ("payments", r.payments.to_string()),
            ],
        ));
    }
    say(ctx, seller.user_id, text, None).await?;
    super::bot_analytics::show(ctx, seller, locale, DASHBOARD_DAYS, false).await?;
    dashboard_chart(ctx, seller, locale, DASHBOARD_DAYS).await
}

/// Under the dashboard: a chart of the revenue (in the main currency) and the new members per
/// day over the last `days`; nothing without sales in the window (the text says so).
pub(super) async fn dashboard_chart(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    days: i64,
) -> HandlerResult {
    use crate::admin::charts::{self, Series};
    let now = ctx.now();
    let Some(daily) = stats::daily(&ctx.db, seller.id, now, days).await? else {
        return Ok(());
    };
    // Stars are whole; other currencies count in cents.
    let scale = if daily.currency == "XTR" { 1.0 } else { 100.0 };
    let series = vec![
        Series {
            label: tr(
                locale,
                "sl-chart-revenue",
                &[("currency", daily.currency.clone())],
            ),
            points: daily
                .days
                .iter()
                .map(|d| (d.day, d.gross as f64 / scale))
                .collect(),
        },
        Series {
            label: tr(locale, "sl-chart-members", &[]),
            points: daily
                .days
                .iter()
                .map(|d| (d.day, d.new_members as f64))
                .collect(),
        },
    ];
    let title = tr(locale, "sl-chart-title", &[("days", days.to_string())]);
    let caption = title.clone();
    let png = match tokio::task::spawn_blocking(move || charts::lines(&title, &series)).await {
        Ok(Ok(png)) => png,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "could not draw a seller's dashboard chart");
            return Ok(());
        }
        Err(e) => {
            tracing::warn!(error = %e, "drawing a seller's dashboard chart failed");
            return Ok(());
        }
    };
    let chat = ChatId(seller.user_id);
    let file =
        InputFile::memory(png).file_name(format!("dashboard-{}.png", now.format("%Y-%m-%d")));
    let req = ctx.tg.bot().send_photo(chat, file).caption(caption);
    ctx.tg.send(chat, req).await?;
    Ok(())
}

/// `/audit [user id]`: the newest entries of the seller's trail.
async fn audit_trail(ctx: &AppCtx, seller: &Seller, locale: Locale, args: &str) -> HandlerResult {
    let user = match args {
        "" => None,
        s => match s.parse::<i64>() {
            Ok(u) => Some(u),
            Err(_) => {
                tell(ctx, seller.user_id, locale, "sl-audit-usage").await?;
                return Ok(());
            }
        },
    };
    let (rows, _) = audit::page(&ctx.db, seller.id, user, 0, 25).await?;
    let mut text = tr(locale, "sl-audit-title", &[]);
    if rows.is_empty() {
        text.push('\n');
        text.push_str(&tr(locale, "sl-audit-empty", &[]));
    }
    for e in rows {
        text.push_str(&format!(
            "\n{} · {} · {}{}{}",
            e.created_at.format("%m-%d %H:%M"),
            e.action,
            if e.actor == audit::SYSTEM {
                "Tollgate".to_owned()
            } else {
                e.actor.to_string()
            },
            e.target_user.map(|u| format!(" → {u}")).unwrap_or_default(),
            e.detail.map(|d| format!(" · {d}")).unwrap_or_default(),
        ));
    }
    say(ctx, seller.user_id, text, None).await?;
    Ok(())
}

/// The mode of one of the seller's endpoints (an id of another seller's: None).
async fn endpoint_mode(ctx: &AppCtx, seller: &Seller, id: i64) -> Result<Option<bool>, BotError> {
    for livemode in [true, false] {
        if webhooks::endpoint(&ctx.db, seller.id, livemode, id)
            .await?
            .is_some()
        {
            return Ok(Some(livemode));
        }
    }
    Ok(None)
}

/// `/webhooks`: the seller's endpoints (both modes) with a test button each, and the newest
/// deliveries with a resend button for the dead-lettered ones.
async fn webhooks_screen(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    edit: Option<MessageId>,
) -> HandlerResult {
    let mut endpoints = webhooks::endpoints(&ctx.db, seller.id, true).await?;
    endpoints.extend(webhooks::endpoints(&ctx.db, seller.id, false).await?);
    let mut text = tr(locale, "sl-webhooks-title", &[]);
    let mut rows = Vec::new();
    if endpoints.is_empty() {
        text.push('\n');
        text.push_str(&tr(locale, "sl-webhooks-none", &[]));
    }
    for e in &endpoints {
        let mode = if e.livemode { "live" } else { "test" };
        text.push('\n');
        text.push_str(&tr(
            locale,
            "sl-webhooks-endpoint",
            &[
                ("id", e.id.to_string()),
                ("url", e.url.clone()),
                ("mode", mode.to_owned()),
                ("status", e.status.clone()),
                ("failures", e.consecutive_failures.to_string()),
            ],
        ));
        let mut row = vec![button(
            tr(locale, "sl-webhooks-test", &[("id", e.id.to_string())]),
            Press::WebhookTest(e.id),
        )];
        if e.status == "disabled" {
            row.push(button(
                tr(locale, "sl-webhooks-enable", &[("id", e.id.to_string())]),
                Press::WebhookEnable(e.id),
            ));
        }
        rows.push(row);
    }
    let recent = webhooks::recent_deliveries(&ctx.db, seller.id, 10).await?;
    if !recent.is_empty() {
        text.push_str("\n\n");
        text.push_str(&tr(locale, "sl-webhooks-recent", &[]));
    }
    let mut resend = Vec::new();
    for r in &recent {
        let d = &r.delivery;
        text.push('\n');
        text.push_str(&tr(
            locale,
            "sl-webhooks-delivery",
            &[
                ("id", d.id.to_string()),
                ("endpoint", d.endpoint_id.to_string()),
                ("type", r.event_type.clone()),
                ("outcome", d.status.clone()),
                ("attempts", d.attempts.to_string()),
                ("when", d.updated_at.format("%m-%d %H:%M").to_string()),
            ],
        ));
        if d.status == "dead" && resend.len() < 5 {
            resend.push(button(
                tr(locale, "sl-webhooks-resend", &[("id", d.id.to_string())]),
                Press::WebhookResend(d.id),
            ));
        }
    }
    rows.extend(resend.into_iter().map(|b| vec![b]));
    rows.push(vec![button(
        tr(locale, "sl-webhooks-refresh", &[]),
        Press::Webhooks,
    )]);
    show(ctx, seller.user_id, text, keyboard(rows), edit).await
}

/// `/alert [code] SYMBOL ACTION ENTRY TARGET STOP [note]`, `/alert test`, or `/alert` alone
/// to be asked for it.
async fn alert(ctx: &AppCtx, seller: &Seller, locale: Locale, args: &str) -> HandlerResult {
    let services = catalog::services_of(&ctx.db, seller.id).await?;
    let (service, rest) = match args.split_once(char::is_whitespace) {
        Some((code, rest)) if services.iter().any(|s| s.code == code) => (
            services.iter().find(|s| s.code == code).cloned(),
            rest.trim(),
        ),
        _ if services.len() == 1 => (services.first().cloned(), args),
        _ => (None, args),
    };
    let Some(service) = service else {
        tell(ctx, seller.user_id, locale, "sl-which-service").await?;
        return Ok(());
    };
    if rest.is_empty() {
        wait(
            ctx,
            seller.user_id,
            &Step::Alert {
                service: service.id,
            },
        )
        .await?;
        tell(ctx, seller.user_id, locale, "sl-ask-alert").await?;
        return Ok(());
    }
    post_alert(ctx, seller, service.id, rest, locale).await
}

async fn post_alert(
    ctx: &AppCtx,
    seller: &Seller,
    service: i64,
    line: &str,
    locale: Locale,
) -> HandlerResult {
    let Some(service) = catalog::own_service(&ctx.db, seller.id, service).await? else {
        tell(ctx, seller.user_id, locale, "sl-not-yours").await?;
        return Ok(());
    };
    let post = if line.eq_ignore_ascii_case("test") {
        tr(locale, "sl-alert-test", &[("title", service.title.clone())])
    } else {
        match format_alert(locale, line) {
            Some(post) => post,
            None => {
                tell(ctx, seller.user_id, locale, "sl-alert-usage").await?;
                return Ok(());
            }
        }
    };
    let post = super::branding::brand(&ctx.db, seller).await?.post(&post);
    let chat = ChatId(service.chat_id);
    match ctx
        .tg
        .send(chat, ctx.tg.bot().send_message(chat, post.clone()))
        .await
    {
        Ok(_) => {
            catalog::alert_posted(&ctx.db, ctx.now(), &service, seller.user_id, line, &post)
                .await?;
            let text = tr(
                locale,
                "sl-alert-posted",
                &[("title", service.title.clone())],
            );
            say(ctx, seller.user_id, text, None).await?;
        }
        Err(e) if !e.is_transient() => {
            let text = tr(
                locale,
                "sl-alert-failed",
                &[("title", service.title.clone()), ("error", e.to_string())],
            );
            say(ctx, seller.user_id, text, None).await?;
        }
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Buttons

pub(crate) async fn pressed(q: CallbackQuery, ctx: AppCtx, me: Me) -> HandlerResult {
    let user = q.from.id.0 as i64;
    let locale = locale_of(&ctx, user).await?;
    let message = q.regular_message().map(|m| m.id);
    let press = q.data.as_deref().and_then(Press::parse);
    let answered = match press {
        Some(press) => act(&ctx, &me, user, locale, message, press).await?,
        None => false,
    };
    let mut answer = ctx.tg.bot().answer_callback_query(q.id.clone());
    if !answered {
        answer = teloxide::payloads::AnswerCallbackQuerySetters::text(
            answer,
            tr(locale, "sl-button-expired", &[]),
        );
    }
    ctx.tg.call(answer).await?;
    Ok(())
}

/// Carries out a press; false when it names nothing the presser may touch.
async fn act(
    ctx: &AppCtx,
    me: &Me,
    user: i64,
    locale: Locale,
    message: Option<MessageId>,
    press: Press,
) -> Result<bool, BotError> {
    // Buyer presses first: anyone may make them.
    match press {
        Press::Show(service) => {
            let Some(service) = catalog::service(&ctx.db, service).await? else {
                return Ok(false);
            };
            buyer_card(ctx, user, &service, locale, None).await?;
            return Ok(true);
        }
        Press::Buy(plan) => {
            buy(ctx, user, plan, None, locale).await?;
            return Ok(true);
        }
        Press::BuyPromo(plan, code) => {
            buy(ctx, user, plan, Some(code), locale).await?;
            return Ok(true);
        }
        Press::BuyCardPromo(plan, code) => {
            buy_card(ctx, user, plan, Some(code), locale).await?;
            return Ok(true);
        }
        Press::PromoEnter(service) => {
            return super::bot_promos::ask_code(ctx, user, locale, service).await;
        }
        Press::Trial(plan) => {
            trial(ctx, user, plan, locale).await?;
            return Ok(true);
        }
        Press::BuyCard(plan) => {
            buy_card(ctx, user, plan, None, locale).await?;
            return Ok(true);
        }
        Press::SubCancel(_)
        | Press::SubCancelConfirm(_)
        | Press::SubResume(_)
        | Press::SubKeep(_) => {
            return super::bot_recurring::press(ctx, user, locale, press, message).await;
        }
        Press::Accept => {
            if drafts::current(&ctx.db, ctx.now(), user).await? != Current::Waiting(Step::Terms) {
                return Ok(false);
            }
            wait(ctx, user, &Step::Name).await?;
            tell(ctx, user, locale, "sl-ask-name").await?;
            return Ok(true);
        }
        Press::Cancel => {
            done(ctx, user).await?;
            let markup = ReplyMarkup::KeyboardRemove(KeyboardRemove::new());
            say(ctx, user, tr(locale, "sl-cancelled", &[]), Some(markup)).await?;
            return Ok(true);
        }
        _ => {}
    }
    let Some(acting) = team::acting(&ctx.db, user).await? else {
        return Ok(false);
    };
    let seller = acting.seller;
    if seller.status != "active" {
        tell(ctx, user, locale, "sl-suspended").await?;
        return Ok(true);
    }
    if !acting.role.can(press.action()) {
        refuse(ctx, user, locale, acting.role).await?;
        return Ok(true);
    }
    let now = ctx.now();
    let own = |id: i64| catalog::own_service(&ctx.db, seller.id, id);
    match press {
        Press::KeyNew(live) => super::bot_keys::ask(ctx, &seller, locale, live == 1).await?,
        Press::TeamInvite(which) => {
            if !super::bot_team::invite(ctx, me, &seller, locale, which).await? {
                return Ok(false);
            }
        }
        Press::TeamRole(member) => {
            if !super::bot_team::switch_role(ctx, &seller, locale, member, message).await? {
                return Ok(false);
            }
        }
        Press::TeamRemove(member) => {
            if !super::bot_team::remove(ctx, &seller, locale, member, message).await? {
                return Ok(false);
            }
        }
        Press::Payout(which) => super::bot_payouts::choose(ctx, &seller, locale, which).await?,
        Press::PlanCardPrice(id) => {
            if !super::bot_payouts::ask_card_price(ctx, &seller, locale, id).await? {
                return Ok(false);
            }
        }
        Press::PlanRenew(id) => {
            if !super::bot_recurring::toggle(ctx, &seller, locale, id).await? {
                return Ok(false);
            }
        }
        Press::KeyRevoke(id) => {
            if !super::bot_keys::revoke(ctx, &seller, locale, id).await? {
                return Ok(false);
            }
        }
        Press::Services => services_list(ctx, me, &seller, locale, message).await?,
        Press::Check(chat) => connect(ctx, me, &seller, chat, locale).await?,
        Press::Service(id) => {
            let Some(service) = own(id).await? else {
                return Ok(false);
            };
            service_card(ctx, me, &seller, &service, locale, message).await?;
        }
        Press::NewPlan(id) => {
            let Some(service) = own(id).await? else {
                return Ok(false);
            };
            wait(
                ctx,
                user,
                &Step::PlanStars {
                    service: service.id,
                },
            )
            .await?;
            tell(ctx, user, locale, "sl-ask-stars").await?;
        }
        Press::Pause(id) | Press::Resume(id) | Press::Archive(id) => {
            let status = match press {
                Press::Pause(_) => "paused",
                Press::Resume(_) => "active",
                _ => "archived",
            };
            if !catalog::set_service_status(&ctx.db, now, seller.id, id, status).await? {
                return Ok(false);
            }
            audit::record(
                &ctx.db,
                now,
                seller.id,
                user,
                "service_status",
                None,
                format!("{id}: {status}"),
            )
            .await?;
            match own(id).await?.filter(|s| s.status != "archived") {
                Some(service) => service_card(ctx, me, &seller, &service, locale, message).await?,
                None => services_list(ctx, me, &seller, locale, message).await?,
            }
        }
        Press::JoinRequests(id) => {
            let Some(service) = own(id).await? else {
                return Ok(false);
            };
            let on = service.admission != "join_request";
            catalog::set_admission(&ctx.db, now, seller.id, id, on).await?;
            audit::record(
                &ctx.db,
                now,
                seller.id,
                user,
                "admission",
                None,
                format!("{id}: join requests {on}"),
            )
            .await?;
            let service = own(id).await?.expect("the service exists");
            service_card(ctx, me, &seller, &service, locale, message).await?;
        }
        Press::Webhooks => webhooks_screen(ctx, &seller, locale, message).await?,
        Press::Links => super::bot_links::screen(ctx, &seller, locale, message).await?,
        Press::Promos => super::bot_promos::screen(ctx, &seller, locale, message).await?,
        Press::Analytics(days) => {
            super::bot_analytics::show(ctx, &seller, locale, days, true).await?
        }
        Press::PromoNew => super::bot_promos::ask(ctx, &seller, locale).await?,
        Press::Branding => super::bot_branding::screen(ctx, &seller, locale, message).await?,
        Press::BrandName => super::bot_branding::ask(ctx, &seller, locale, Step::BrandName).await?,
        Press::BrandLogo => super::bot_branding::ask(ctx, &seller, locale, Step::BrandLogo).await?,
        Press::BrandColorAsk => {
            super::bot_branding::ask(ctx, &seller, locale, Step::BrandColor).await?
        }
        Press::BrandColor(i) => {
            if !super::bot_branding::preset(ctx, &seller, locale, i, message).await? {
                return Ok(false);
            }
        }
        Press::BrandReset => super::bot_branding::reset(ctx, &seller, locale).await?,
        Press::PromoOff(id) => {
            if !super::bot_promos::deactivate(ctx, &seller, locale, id, message).await? {
                return Ok(false);
            }
        }
        Press::LinkNew(id) => {
            if !super::bot_links::ask(ctx, &seller, locale, id).await? {
                return Ok(false);
            }
        }
        Press::LinkRevoke(id) => {
            if !super::bot_links::revoke(ctx, &seller, locale, id, message).await? {
                return Ok(false);
            }
        }
        Press::StarSub(id) => {
            if !super::bot_subscriptions::ask(ctx, &seller, locale, id).await? {
                return Ok(false);
            }
        }
        Press::WebhookTest(id) => {
            let Some(livemode) = endpoint_mode(ctx, &seller, id).await? else {
                return Ok(false);
            };
            let Some(event) = webhooks::send_test(&ctx.db, now, seller.id, livemode, id).await?
            else {
                return Ok(false);
            };
            let text = tr(locale, "sl-webhooks-test-queued", &[("event", event)]);
            say(ctx, user, text, None).await?;
            webhooks_screen(ctx, &seller, locale, message).await?;
        }
        Press::WebhookEnable(id) => {
            let Some(livemode) = endpoint_mode(ctx, &seller, id).await? else {
                return Ok(false);
            };
            if !webhooks::enable_endpoint(&ctx.db, now, seller.id, livemode, id).await? {
                return Ok(false);
            }
            webhooks_screen(ctx, &seller, locale, message).await?;
        }
        Press::WebhookResend(id) => {
            let mut queued = false;
            for livemode in [true, false] {
                queued = queued || webhooks::resend(&ctx.db, now, seller.id, livemode, id).await?;
            }
            if !queued {
                return Ok(false);
            }
            let text = tr(locale, "sl-webhooks-resent", &[("id", id.to_string())]);
            say(ctx, user, text, None).await?;
            webhooks_screen(ctx, &seller, locale, message).await?;
        }
        Press::PlanPause(id) | Press::PlanResume(id) | Press::PlanArchive(id) => {
            let status = match press {
                Press::PlanPause(_) => "paused",
                Press::PlanResume(_) => "active",
                _ => "archived",
            };
            if !catalog::set_plan_status(&ctx.db, seller.id, id, status).await? {
                return Ok(false);
            }
            audit::record(
                &ctx.db,
                now,
                seller.id,
                user,
                "plan_status",
                None,
                format!("{id}: {status}"),
            )
            .await?;
            let plan = catalog::plan(&ctx.db, id).await?.expect("the plan exists");
            let Some(service) = own(plan.service_id).await? else {
                return Ok(false);
            };
            service_card(ctx, me, &seller, &service, locale, message).await?;
        }
        _ => return Ok(false),
    }
    Ok(true)
}

// ---------------------------------------------------------------------------------------------
// Buyers

/// `/start s_<code>` (or `s_<code>_<promo>`): the service and its plans, priced with the
/// promo code when it applies.
pub(crate) async fn deep_link_opened(ctx: &AppCtx, user: i64, payload: &str) -> HandlerResult {
    let locale = locale_of(ctx, user).await?;
    // A link opened while the bot waited for a promo code ends that wait: the buyer's next
    // message is theirs again.
    if ctx.drafting.contains(user)
        && matches!(
            drafts::current(&ctx.db, ctx.now(), user).await?,
            Current::Waiting(Step::PromoEnter { .. })
        )
    {
        done(ctx, user).await?;
    }
    let (code, promo) = match payload.split_once('_') {
        Some((code, promo)) => (code, Some(promo)),
        None => (payload, None),
    };
    let found = catalog::service_by_code(&ctx.db, code).await?;
    if let Some(service) = &found {
        let now = ctx.now();
        let view = super::analytics::NewEvent {
            source: Some(super::analytics::source_of_link(promo)),
            ..super::analytics::NewEvent::new(
                service.seller_id,
                service.livemode,
                service.id,
                user,
                super::analytics::Kind::View,
                super::analytics::view_key(service.id, user, now),
            )
        };
        super::analytics::record(&ctx.db, now, &view).await?;
        // The buyer is the seller's contact from now on (once).
        let tenant = super::tenant::Tenant {
            seller_id: service.seller_id,
            livemode: service.livemode,
        };
        crate::messaging::contacts::record(
            &ctx.db,
            now,
            tenant,
            user,
            crate::messaging::contacts::Source::Link,
        )
        .await?;
    }
    match found {
        Some(service) => match promo {
            Some(promo) => promo_entered(ctx, user, &service, promo, locale).await,
            None => buyer_card(ctx, user, &service, locale, None).await,
        },
        None => {
            tell(ctx, user, locale, "sl-service-unknown").await?;
            Ok(())
        }
    }
}

/// A buyer gave a promo code for `service`: its card priced with the code, or a message
/// naming why the code does not apply and the card as it was.
async fn promo_entered(
    ctx: &AppCtx,
    user: i64,
    service: &Service,
    text: &str,
    locale: Locale,
) -> HandlerResult {
    users::find(&ctx.db, user).await?;
    match super::bot_promos::check(ctx, user, service, text).await? {
        Ok(code) => buyer_card(ctx, user, service, locale, Some(&code)).await,
        Err(why) => {
            let shown: String = text.chars().take(promos::CODE_MAX).collect();
            let text = super::bot_promos::invalid_text(locale, why, &shown);
            say(ctx, user, text, None).await?;
            buyer_card(ctx, user, service, locale, None).await
        }
    }
}

async fn buyer_card(
    ctx: &AppCtx,
    user: i64,
    service: &Service,
    locale: Locale,
    promo: Option<&promos::PromoCode>,
) -> HandlerResult {
    let seller = catalog::seller(&ctx.db, service.seller_id).await?;
    let seller_row = seller.clone();
    let selling =
        service.status == "active" && seller.as_ref().is_some_and(|s| s.status == "active");
    if !selling {
        say(
            ctx,
            user,
            tr(
                locale,
                "sl-not-selling",
                &[("title", service.title.clone())],
            ),
            None,
        )
        .await?;
        return Ok(());
    }
    let plans = catalog::plans_of(&ctx.db, service.id, true).await?;
    let membership = access::membership(&ctx.db, service.id, user).await?;
    // Buyers see the seller's brand name (their display name until they set one).
    let seller_name = match &seller {
        Some(s) => super::branding::brand(&ctx.db, s).await?.name,
        None => String::new(),
    };
    let mut text = tr(
        locale,
        "sl-buyer-card",
        &[("title", service.title.clone()), ("seller", seller_name)],
    );
    if let Some(m) = membership
        .as_ref()
        .filter(|m| access::is_current(m, ctx.now()))
    {
        text.push('\n');
        text.push_str(&tr(
            locale,
            "sl-you-have-access",
            &[("until", date(m.ends_at))],
        ));
    }
    let subscription = super::bot_subscriptions::buyer_button(locale, service);
    if plans.is_empty() && subscription.is_none() {
        text.push('\n');
        text.push_str(&tr(locale, "sl-no-plans-buyer", &[]));
    }
    if subscription.is_some() {
        text.push('\n');
        text.push_str(&tr(locale, "sl-star-sub-offer", &[]));
    }
    let trial_used = membership.as_ref().is_some_and(|m| m.trial_used);
    let by_card = match &seller_row {
        Some(s) => super::card::card_available(ctx, s),
        None => false,
    };
    if let Some(code) = promo {
        text.push('\n');
        text.push_str(&tr(
            locale,
            "sl-promo-applied",
            &[
                ("code", code.code.clone()),
                ("off", promos::discount_label(code)),
            ],
        ));
    }
    let mut rows = Vec::new();
    for p in &plans {
        // The code's prices for this plan, when it applies to it.
        let quote = match promo {
            Some(code) => promos::quote_code(&ctx.db, p, code.clone(), user, ctx.now())
                .await?
                .ok(),
            None => None,
        };
        let days = p.period_days.to_string();
        if let Some(stars) = p.stars_price {
            let (label, press) = match quote
                .as_ref()
                .and_then(|q| q.stars.as_ref().map(|s| (q, s)))
            {
                Some((q, price)) => (
                    tr(
                        locale,
                        "sl-buy-stars-promo",
                        &[
                            ("stars", price.amount.to_string()),
                            ("list", price.list.to_string()),
                            ("days", days.clone()),
                        ],
                    ),
                    Press::BuyPromo(p.id, q.code.id),
                ),
                None if super::bot_recurring::stars_renew(p) => (
                    tr(
                        locale,
                        "sl-rec-buy-stars",
                        &[("stars", stars.to_string()), ("days", days.clone())],
                    ),
                    Press::Buy(p.id),
                ),
                None => (
                    tr(
                        locale,
                        "sl-buy-stars",
                        &[("stars", stars.to_string()), ("days", days.clone())],
                    ),
                    Press::Buy(p.id),
                ),
            };
            rows.push(vec![button(label, press)]);
        }
        if let Some(price) = card_price(p).filter(|_| by_card) {
            let (label, press) = match quote.as_ref().and_then(|q| q.card.as_ref().map(|c| (q, c)))
            {
                Some((q, c)) => (
                    tr(
                        locale,
                        "sl-buy-card-promo",
                        &[
                            (
                                "price",
                                crate::billing::orders::format_price(c.amount, &c.currency),
                            ),
                            ("list", price),
                            ("days", days.clone()),
                        ],
                    ),
                    Press::BuyCardPromo(p.id, q.code.id),
                ),
                None if p.renewing => (
                    tr(
                        locale,
                        "sl-rec-buy-button",
                        &[("price", price), ("days", days.clone())],
                    ),
                    Press::BuyCard(p.id),
                ),
                None => (
                    tr(
                        locale,
                        "sl-buy-card",
                        &[("price", price), ("days", days.clone())],
                    ),
                    Press::BuyCard(p.id),
                ),
            };
            rows.push(vec![button(label, press)]);
        }
        if p.trial_days > 0 && !trial_used {
            rows.push(vec![button(
                tr(
                    locale,
                    "sl-trial-button",
                    &[("days", p.trial_days.to_string())],
                ),
                Press::Trial(p.id),
            )]);
        }
    }
    if !plans.is_empty() && promo.is_none() {
        rows.push(vec![button(
            tr(locale, "sl-promo-enter-button", &[]),
            Press::PromoEnter(service.id),
        )]);
    }
    if let Some(subscribe) = subscription {
        rows.push(vec![subscribe]);
    }
    say(
        ctx,
        user,
        text,
        Some(ReplyMarkup::InlineKeyboard(keyboard(rows))),
    )
    .await?;
    Ok(())
}

/// The quote of promo code `code` (by id) for `plan` and `user`: None without a code; the
/// reason, told to the buyer, when it no longer applies.
async fn requote(
    ctx: &AppCtx,
    user: i64,
    plan: &Plan,
    code: Option<i64>,
    locale: Locale,
) -> Result<Result<Option<promos::Quote>, ()>, BotError> {
    let Some(id) = code else {
        return Ok(Ok(None));
    };
    let found = promos::by_id(&ctx.db, id)
        .await?
        .filter(|c| c.seller_id == plan.seller_id);
    let Some(code) = found else {
        let text = super::bot_promos::invalid_text(locale, promos::Invalid::Unknown, "");
        say(ctx, user, text, None).await?;
        return Ok(Err(()));
    };
    let name = code.code.clone();
    match promos::quote_code(&ctx.db, plan, code, user, ctx.now()).await? {
        Ok(q) => Ok(Ok(Some(q))),
        Err(why) => {
            let text = super::bot_promos::invalid_text(locale, why, &name);
            say(ctx, user, text, None).await?;
            Ok(Err(()))
        }
    }
}

fn not_for_sale_key(why: NotForSale) -> &'static str {
    match why {
        NotForSale::Plan => "sl-plan-unavailable",
        NotForSale::Service | NotForSale::Seller => "sl-service-unavailable",
        NotForSale::TestMode => "sl-test-mode",
    }
}

async fn buy(
    ctx: &AppCtx,
    user: i64,
    plan: i64,
    code: Option<i64>,
    locale: Locale,
) -> HandlerResult {
    let (plan, service, _seller) = match catalog::on_sale(&ctx.db, plan).await? {
        Ok(found) => found,
        Err(why) => {
            say(ctx, user, tr(locale, not_for_sale_key(why), &[]), None).await?;
            return Ok(());
        }
    };
    users::find(&ctx.db, user).await?;
    if code.is_none() && super::bot_recurring::stars_renew(&plan) {
        return super::bot_recurring::subscribe_stars(ctx, user, locale, &service, &plan).await;
    }
    let Ok(quote) = requote(ctx, user, &plan, code, locale).await? else {
        return Ok(());
    };
    let order = match access::create_order_with(
        &ctx.db,
        ctx.now(),
        user,
        &plan,
        access::PayBy::Stars,
        quote.as_ref(),
    )
    .await?
    {
        access::Ordered::Order(order) => *order,
        access::Ordered::NoPrice => {
            tell(ctx, user, locale, "sl-plan-unavailable").await?;
            return Ok(());
        }
        access::Ordered::Promo(why) => {
            let name = quote.map(|q| q.code.code).unwrap_or_default();
            let text = super::bot_promos::invalid_text(locale, why, &name);
            say(ctx, user, text, None).await?;
            return Ok(());
        }
        access::Ordered::Limit(reached) => {
            super::bot_platform::turned_away(ctx, user, locale, plan.seller_id, &reached).await?;
            return Ok(());
        }
    };
    if order.amount_minor == 0 {
        return admit_free(ctx, user, &order).await;
    }
    let title: String = service.title.chars().take(32).collect();
    let mut description = tr(
        locale,
        "sl-invoice-description",
        &[
            ("title", service.title.clone()),
            ("days", plan.period_days.to_string()),
        ],
    );
    if let Some(q) = &quote {
        description.push(' ');
        description.push_str(&tr(
            locale,
            "sl-invoice-promo",
            &[
                ("code", q.code.code.clone()),
                (
                    "list",
                    (order.amount_minor + order.discount_minor).to_string(),
                ),
            ],
        ));
    }
    let chat = ChatId(user);
    let req = ctx.tg.bot().send_invoice(
        chat,
        title.clone(),
        description,
        access::invoice_payload(order.id),
        "XTR",
        vec![LabeledPrice::new(title, order.amount_minor as u32)],
    );
    ctx.tg.send(chat, req).await?;
    Ok(())
}

/// A promo code took the whole price: the order is paid as it stands, and the buyer admitted.
async fn admit_free(ctx: &AppCtx, user: i64, order: &access::AccessOrder) -> HandlerResult {
    let paid = access::pay(&ctx.db, ctx.now(), order, access::ChargeRef::Free, 0).await?;
    announce_free(ctx, user, paid).await
}

async fn announce_free(ctx: &AppCtx, user: i64, paid: Paid) -> HandlerResult {
    if let Paid::Admitted { membership, order } = paid {
        ctx.jobs.notify();
        let name = users::find(&ctx.db, user)
            .await?
            .map(|u| u.first_name)
            .unwrap_or_default();
        announce_sale(ctx, &order, &membership, &name).await?;
    }
    Ok(())
}

/// "💳 Pay by card": a Checkout Session on the account the seller's payout mode names, as a
/// button to the payment page. The membership follows from Stripe's event, not from this.
async fn buy_card(
    ctx: &AppCtx,
    user: i64,
    plan: i64,
    code: Option<i64>,
    locale: Locale,
) -> HandlerResult {
    let (plan, service, seller) = match catalog::on_sale(&ctx.db, plan).await? {
        Ok(found) => found,
        Err(why) => {
            say(ctx, user, tr(locale, not_for_sale_key(why), &[]), None).await?;
            return Ok(());
        }
    };
    users::find(&ctx.db, user).await?;
    if !super::card::card_available(ctx, &seller) {
        tell(ctx, user, locale, "sl-card-unavailable").await?;
        return Ok(());
    }
    if plan.renewing && code.is_none() {
        return super::bot_recurring::subscribe(ctx, user, locale, &seller, &service, &plan).await;
    }
    let Ok(quote) = requote(ctx, user, &plan, code, locale).await? else {
        return Ok(());
    };
    let checkout = super::card::checkout(ctx, &seller, &service, &plan, user, quote.as_ref()).await;
    let url = match checkout {
        Ok(super::card::Checkout::Page(url)) => url,
        Ok(super::card::Checkout::Free(paid)) => return announce_free(ctx, user, paid).await,
        Err(super::card::CardError::NoCardPrice) => {
            tell(ctx, user, locale, "sl-plan-unavailable").await?;
            return Ok(());
        }
        Err(super::card::CardError::Promo(why)) => {
            let name = quote.map(|q| q.code.code).unwrap_or_default();
            let text = super::bot_promos::invalid_text(locale, why, &name);
            say(ctx, user, text, None).await?;
            return Ok(());
        }
        Err(super::card::CardError::Limit(reached)) => {
            super::bot_platform::turned_away(ctx, user, locale, seller.id, &reached).await?;
            return Ok(());
        }
        Err(super::card::CardError::Service(e)) => return Err(e.into()),
        Err(e) => {
            tracing::warn!(error = %e, plan = plan.id, "a card checkout for a plan failed");
            tell(ctx, user, locale, "sl-card-unavailable").await?;
            return Ok(());
        }
    };
    let Ok(url) = url::Url::parse(&url) else {
        tell(ctx, user, locale, "sl-card-unavailable").await?;
        return Ok(());
    };
    let price = match quote.as_ref().and_then(|q| q.card.as_ref()) {
        Some(c) => crate::billing::orders::format_price(c.amount, &c.currency),
        None => card_price(&plan).unwrap_or_default(),
    };
    let kb = InlineKeyboardMarkup::new(vec![vec![InlineKeyboardButton::url(
        tr(locale, "sl-card-pay-button", &[("price", price.clone())]),
        url,
    )]]);
    let text = tr(
        locale,
        "sl-card-checkout",
        &[
            ("title", service.title.clone()),
            ("price", price),
            ("days", plan.period_days.to_string()),
        ],
    );
    say(ctx, user, text, Some(ReplyMarkup::InlineKeyboard(kb))).await?;
    Ok(())
}

async fn trial(ctx: &AppCtx, user: i64, plan: i64, locale: Locale) -> HandlerResult {
    let (plan, service, _) = match catalog::on_sale(&ctx.db, plan).await? {
        Ok(found) if found.0.trial_days > 0 => found,
        Ok(_) => {
            tell(ctx, user, locale, "sl-plan-unavailable").await?;
            return Ok(());
        }
        Err(why) => {
            say(ctx, user, tr(locale, not_for_sale_key(why), &[]), None).await?;
            return Ok(());
        }
    };
    match access::start_trial(&ctx.db, ctx.now(), &service, &plan, user).await? {
        Trial::Started(m) => {
            ctx.jobs.notify();
            let text = tr(
                locale,
                "sl-trial-started",
                &[("title", service.title.clone()), ("until", date(m.ends_at))],
            );
            say(ctx, user, text, None).await?;
        }
        Trial::AlreadyUsed => {
            tell(ctx, user, locale, "sl-trial-used").await?;
        }
        Trial::Limit(reached) => {
            super::bot_platform::turned_away(ctx, user, locale, service.seller_id, &reached)
                .await?;
        }
    }
    Ok(())
}

/// Telegram asks whether to take a payment for an access order.
pub(crate) async fn pre_checkout(q: PreCheckoutQuery, ctx: AppCtx) -> HandlerResult {
    let payer = q.from.id.0 as i64;
    let verdict = access::check_checkout(
        &ctx.db,
        &q.invoice_payload,
        payer,
        i64::from(q.total_amount),
        &q.currency,
    )
    .await;
    let refusal = match verdict {
        Ok(Ok(_)) => None,
        Ok(Err(r)) => Some(r),
        Err(e) => {
            tracing::warn!(error = %e, "access pre-checkout could not be checked");
            Some(access::Refusal::NotForSale)
        }
    };
    let mut answer = ctx
        .tg
        .bot()
        .answer_pre_checkout_query(q.id.clone(), refusal.is_none());
    if let Some(r) = refusal {
        tracing::info!(payload = %q.invoice_payload, ?r, "access pre-checkout refused");
        let locale = locale_of(&ctx, payer).await?;
        let key = match r {
            access::Refusal::AlreadyUsed => "sl-refused-used",
            access::Refusal::NotForSale => "sl-refused-not-for-sale",
            _ => "sl-refused-unknown",
        };
        answer = answer.error_message(tr(locale, key, &[]));
    }
    ctx.tg.call(answer).await?;
    Ok(())
}

/// The Stars arrived for an access order: admit the buyer once per charge.
pub(crate) async fn successful_payment(msg: Message, ctx: AppCtx) -> HandlerResult {
    let (Some(payment), Some(from)) = (msg.successful_payment(), msg.from.as_ref()) else {
        return Ok(());
    };
    let payer = from.id.0 as i64;
    let charge = payment.telegram_payment_charge_id.0.as_str();
    let Some(order) = match access::order_of_payload(&payment.invoice_payload) {
        Some(id) => access::order(&ctx.db, id).await?,
        None => None,
    }
    .filter(|o| o.user_id == payer) else {
        tracing::error!(payload = %payment.invoice_payload, charge, "payment for no known access order");
        return Ok(());
    };
    if events::claim(
        &ctx.db,
        ctx.now(),
        EventSource::TelegramPayment,
        charge,
        "successful_payment",
        "done",
    )
    .await?
        == Claim::Duplicate
    {
        return Ok(());
    }
    let fee = super::platform::fee_percent(&ctx.db, order.seller_id).await?;
    let until = payment.subscription_expiration_date;
    if payment.is_recurring && !payment.is_first_recurring {
        // Telegram charged the next period of a Star subscription this order started.
        let Some(until) = until else {
            tracing::error!(charge, "a recurring payment without its expiration date");
            return Ok(());
        };
        let renewed = super::recurring::star_renewed(
            &ctx.db,
            ctx.now(),
            &order,
            charge,
            i64::from(payment.total_amount),
            until,
            fee,
        )
        .await?;
        if let Some(super::recurring::InvoicePaid::Applied(paid)) = renewed
            && let Some(membership) =
                access::membership(&ctx.db, paid.service_id, paid.user_id).await?
        {
            ctx.jobs.notify();
            announce_sale(&ctx, &paid, &membership, &from.first_name).await?;
        }
        return Ok(());
    }
    let paid = access::pay(
        &ctx.db,
        ctx.now(),
        &order,
        access::ChargeRef::Telegram(charge),
        fee,
    )
    .await?;
    if payment.is_first_recurring
        && let Some(until) = until
    {
        super::recurring::star_started(&ctx.db, ctx.now(), &order, charge, until).await?;
    }
    match paid {
        Paid::Duplicate => Ok(()),
        Paid::Admitted { membership, order } => {
            ctx.jobs.notify();
            announce_sale(&ctx, &order, &membership, &from.first_name).await
        }
    }
}

/// Tells the buyer their payment is in (and what comes next) and the seller about the sale.
async fn announce_sale(
    ctx: &AppCtx,
    order: &access::AccessOrder,
    membership: &access::Membership,
    buyer_name: &str,
) -> HandlerResult {
    let payer = order.user_id;
    let locale = locale_of(ctx, payer).await?;
    let Some(service) = catalog::service(&ctx.db, order.service_id).await? else {
        return Ok(());
    };
    let inside = membership.joined_at.is_some() && membership.left_at.is_none();
    let text = tr(
        locale,
        if inside {
            "sl-paid-extended"
        } else {
            "sl-paid"
        },
        &[
            ("title", service.title.clone()),
            ("until", date(membership.ends_at)),
        ],
    );
    say(ctx, payer, text, None).await?;
    if let Some(seller) = catalog::seller(&ctx.db, order.seller_id).await? {
        let seller_locale = locale_of(ctx, seller.user_id).await?;
        let text = tr(
            seller_locale,
            "sl-new-sale",
            &[
                ("buyer", buyer_name.to_owned()),
                ("user", payer.to_string()),
                ("title", service.title.clone()),
                (
                    "gross",
                    crate::billing::orders::format_price(order.amount_minor, &order.currency),
                ),
                (
                    "net",
                    crate::billing::orders::format_price(order.net_minor, &order.currency),
                ),
            ],
        );
        if let Err(e) = say(ctx, seller.user_id, text, None).await {
            tracing::warn!(error = %e, "could not tell the seller about a sale");
        }
    }
    Ok(())
}

/// A card payment's or refund's notice (the job [`card::NOTICE_JOB`](super::card::NOTICE_JOB)).
async fn payment_notice(ctx: &AppCtx, order_id: i64, kind: &str, amount: i64) -> HandlerResult {
    let Some(order) = access::order(&ctx.db, order_id).await? else {
        return Ok(());
    };
    if kind == "refund" {
        let (Some(seller), Some(service)) = (
            catalog::seller(&ctx.db, order.seller_id).await?,
            catalog::service(&ctx.db, order.service_id).await?,
        ) else {
            return Ok(());
        };
        let locale = locale_of(ctx, seller.user_id).await?;
        let text = tr(
            locale,
            "sl-refunded",
            &[
                (
                    "amount",
                    crate::billing::orders::format_price(amount, &order.currency),
                ),
                ("user", order.user_id.to_string()),
                ("title", service.title.clone()),
                ("order", order.id.to_string()),
            ],
        );
        say(ctx, seller.user_id, text, None).await?;
        return Ok(());
    }
    let Some(membership) = access::membership(&ctx.db, order.service_id, order.user_id).await?
    else {
        return Ok(());
    };
    let name = users::find(&ctx.db, order.user_id)
        .await?
        .map(|u| u.first_name)
        .unwrap_or_default();
    announce_sale(ctx, &order, &membership, &name).await
}

// ---------------------------------------------------------------------------------------------
// Join tracking

/// Someone joined or left a chat the bot administers.
pub(crate) async fn chat_member(upd: ChatMemberUpdated, ctx: AppCtx) -> HandlerResult {
    let Some(service) = catalog::service_by_chat(&ctx.db, upd.chat.id.0).await? else {
        return Ok(());
    };
    let person = &upd.new_chat_member.user;
    if person.is_bot {
        return Ok(());
    }
    let user = person.id.0 as i64;
    let was = upd.old_chat_member.kind.is_present();
    let is = upd.new_chat_member.kind.is_present();
    let now = ctx.now();
    // A Star subscriber's membership says until when Telegram has been paid.
    let until = match upd.new_chat_member.kind.until_date() {
        Some(UntilDate::Date(d)) => Some(d),
        _ => None,
    }
    .filter(|_| matches!(upd.new_chat_member.kind, ChatMemberKind::Member(_)));
    if !was && is {
        let link = upd.invite_link.as_ref().map(|l| l.invite_link.as_str());
        match access::joined(&ctx.db, now, &service, user, link, until).await? {
            Joined::Member(_) | Joined::Other => {}
            Joined::Subscriber(m) => {
                subscriber_joined(&ctx, &service, person, &m).await;
            }
            // Removed by a job, which then shows them the plans.
            Joined::Unpaid { .. } => ctx.jobs.notify(),
            Joined::Stranger { owner } => {
                ctx.jobs.notify();
                if let Some(link) = owner.invite_link.as_deref() {
                    let req = ctx
                        .tg
                        .bot()
                        .revoke_chat_invite_link(ChatId(service.chat_id), link.to_owned());
                    if let Err(e) = ctx.tg.call(req).await {
                        tracing::warn!(error = %e, "could not revoke a misused invite link");
                    }
                }
                if let Some(seller) = catalog::seller(&ctx.db, service.seller_id).await? {
                    let locale = locale_of(&ctx, seller.user_id).await?;
                    let text = tr(
                        locale,
                        "sl-stranger",
                        &[
                            ("name", person.first_name.clone()),
                            ("user", user.to_string()),
                            ("owner", owner.user_id.to_string()),
                            ("title", service.title.clone()),
                        ],
                    );
                    if let Err(e) = say(&ctx, seller.user_id, text, None).await {
                        tracing::warn!(error = %e, "could not tell the seller about a stranger");
                    }
                }
            }
        }
    } else if was && !is {
        access::left(&ctx.db, now, &service, user).await?;
    } else if was
        && is
        && let Some(until) = until
    {
        // Telegram charged a subscriber for another period.
        access::subscription_renewed(&ctx.db, now, &service, user, until).await?;
    }
    Ok(())
}

/// Tells the seller that someone subscribed through the channel's Star subscription link.
async fn subscriber_joined(
    ctx: &AppCtx,
    service: &Service,
    person: &TgUser,
    m: &access::Membership,
) {
    let Ok(Some(seller)) = catalog::seller(&ctx.db, service.seller_id).await else {
        return;
    };
    let Ok(locale) = locale_of(ctx, seller.user_id).await else {
        return;
    };
    let text = tr(
        locale,
        "sl-star-sub-joined",
        &[
            ("name", person.first_name.clone()),
            ("user", m.user_id.to_string()),
            ("title", service.title.clone()),
            (
                "stars",
                service.star_sub_price.unwrap_or_default().to_string(),
            ),
            ("until", date(m.ends_at)),
        ],
    );
    if let Err(e) = say(ctx, seller.user_id, text, None).await {
        tracing::warn!(error = %e, "could not tell the seller about a subscriber");
    }
}

/// A join request to a service's chat: approved while paid, declined with a way to pay.
pub(crate) async fn join_request(req: ChatJoinRequest, ctx: AppCtx) -> HandlerResult {
    let Some(service) = catalog::service_by_chat(&ctx.db, req.chat.id.0).await? else {
        return Ok(());
    };
    let user = req.from.id.0 as i64;
    let chat = ChatId(service.chat_id);
    let paid = access::membership(&ctx.db, service.id, user)
        .await?
        .is_some_and(|m| access::is_current(&m, ctx.now()));
    if paid {
        ctx.tg
            .call(ctx.tg.bot().approve_chat_join_request(chat, req.from.id))
            .await?;
        audit::record(
            &ctx.db,
            ctx.now(),
            service.seller_id,
            audit::SYSTEM,
            "approved",
            Some(user),
            None,
        )
        .await?;
        return Ok(());
    }
    ctx.tg
        .call(ctx.tg.bot().decline_chat_join_request(chat, req.from.id))
        .await?;
    audit::record(
        &ctx.db,
        ctx.now(),
        service.seller_id,
        audit::SYSTEM,
        "declined",
        Some(user),
        None,
    )
    .await?;
    let locale = Locale::resolve(
        None,
        req.from.language_code.as_deref(),
        ctx.config.default_locale,
    );
    let text = tr(
        locale,
        "sl-request-declined",
        &[("title", service.title.clone())],
    );
    let kb = keyboard(vec![vec![button(
        tr(locale, "sl-see-plans", &[]),
        Press::Show(service.id),
    )]]);
    if let Err(e) = say(
        &ctx,
        req.user_chat_id.0,
        text,
        Some(ReplyMarkup::InlineKeyboard(kb)),
    )
    .await
    {
        tracing::info!(error = %e, "could not offer plans to a declined requester");
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Jobs

/// Runs the sellers' jobs: links, reminders, removals and the sweep.
pub async fn run_job(app: Arc<OnceLock<AppCtx>>, job: Job) -> Result<(), JobError> {
    let ctx = app
        .get()
        .ok_or_else(|| JobError::Retry("the app is starting".into()))?;
    let payload: serde_json::Value =
        serde_json::from_str(&job.payload).map_err(|e| JobError::Permanent(e.to_string()))?;
    let retry = |e: BotError| JobError::Retry(e.to_string());
    let membership = payload.get("membership").and_then(|v| v.as_i64());
    match job.kind.as_str() {
        access::ISSUE_LINK_JOB => {
            let id = membership.ok_or_else(|| JobError::Permanent("no membership".into()))?;
            super::admission::issue_link(ctx, id, job.attempts)
                .await
                .map(|_| ())
        }
        access::REMOVE_JOB => {
            let removal: Removal =
                serde_json::from_value(payload).map_err(|e| JobError::Permanent(e.to_string()))?;
            remove(ctx, &removal, job.attempts).await
        }
        access::REMIND_JOB => {
            let id = membership.ok_or_else(|| JobError::Permanent("no membership".into()))?;
            let days = payload.get("days").and_then(|v| v.as_i64()).unwrap_or(1);
            remind(ctx, id, days).await.map_err(retry)
        }
        super::recurring::DUNNING_JOB => super::bot_recurring::dunning(ctx, &payload).await,
        super::platform_card::NOTICE_JOB => super::bot_platform::notice_job(ctx, &payload).await,
        super::card::NOTICE_JOB => {
            let order = payload
                .get("order")
                .and_then(|v| v.as_i64())
                .ok_or_else(|| JobError::Permanent("no order".into()))?;
            let kind = payload
                .get("kind")
                .and_then(|v| v.as_str())
                .unwrap_or("sale");
            let amount = payload.get("amount").and_then(|v| v.as_i64()).unwrap_or(0);
            payment_notice(ctx, order, kind, amount)
                .await
                .map_err(retry)
        }
        webhooks::DISABLED_JOB => {
            let id = payload
                .get("endpoint")
                .and_then(|v| v.as_i64())
                .ok_or_else(|| JobError::Permanent("no endpoint".into()))?;
            webhook_disabled(ctx, id).await.map_err(retry)
        }
        super::connect::NOTICE_JOB => {
            let id = payload
                .get("seller")
                .and_then(|v| v.as_i64())
                .ok_or_else(|| JobError::Permanent("no seller".into()))?;
            let news = payload
                .get("news")
                .and_then(|v| v.as_str())
                .unwrap_or("due")
                .to_owned();
            let due: Vec<String> = payload
                .get("due")
                .and_then(|v| serde_json::from_value(v.clone()).ok())
                .unwrap_or_default();
            let db_retry = |e: ServiceError| JobError::Retry(e.to_string());
            let Some(seller) = catalog::seller(&ctx.db, id).await.map_err(db_retry)? else {
                return Ok(());
            };
            let locale = super::admission::locale_of(ctx, seller.user_id)
                .await
                .map_err(db_retry)?;
            super::bot_payouts::connect_notice(ctx, &seller, locale, &news, due)
                .await
                .map_err(retry)
        }
        other => Err(JobError::Permanent(format!("not a seller job: {other}"))),
    }
}

/// Sweeps memberships every minute: reminders due, removals due; and sellers' invoices past
/// due turn overdue. The claims are safe to run
/// on several replicas at once (each row is claimed by one statement), so no job guards it.
pub async fn run_sweeper(ctx: AppCtx, shutdown: crate::shutdown::Shutdown) {
    loop {
        match sweep::sweep(&ctx.db, ctx.now()).await {
            Ok(swept) if swept != sweep::Swept::default() => {
                tracing::info!(
                    reminders = swept.reminders,
                    removals = swept.removals,
                    "seller sweep"
                );
                ctx.jobs.notify();
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "seller sweep failed"),
        }
        match crate::messaging::invoices::sweep_overdue(&ctx.db, ctx.now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(invoices = n, "invoices overdue"),
            Err(e) => tracing::warn!(error = %e, "invoice overdue sweep failed"),
        }
        tokio::select! {
            _ = shutdown.wait() => return,
            _ = tokio::time::sleep(std::time::Duration::from_secs(60)) => {}
        }
    }
}

async fn remove(ctx: &AppCtx, r: &Removal, attempts: i32) -> Result<(), JobError> {
    let db_retry = |e: ServiceError| JobError::Retry(e.to_string());
    let now = ctx.now();
    if let Some(id) = r.membership {
        let m = access::membership_by_id(&ctx.db, id)
            .await
            .map_err(db_retry)?;
        if m.as_ref().is_some_and(|m| access::is_current(m, now)) {
            return Ok(()); // renewed meanwhile
        }
    }
    let Some(service) = catalog::service(&ctx.db, r.service)
        .await
        .map_err(db_retry)?
    else {
        return Ok(());
    };
    let chat = ChatId(service.chat_id);
    let user = UserId(r.user as u64);
    let service = &service;
    let failed = |e: TgError| async move {
        if !e.is_transient() {
            tell_seller_once(
                ctx,
                service,
                attempts,
                "sl-removal-failed",
                &[
                    ("user", r.user.to_string()),
                    ("title", service.title.clone()),
                    ("error", e.to_string()),
                ],
            )
            .await;
        }
        tg_retry(e)
    };
    if let Err(e) = ctx.tg.call(ctx.tg.bot().ban_chat_member(chat, user)).await {
        return Err(failed(e).await);
    }
    let unban = ctx
        .tg
        .bot()
        .unban_chat_member(chat, user)
        .only_if_banned(true);
    if let Err(e) = ctx.tg.call(unban).await {
        return Err(failed(e).await);
    }
    access::removed(&ctx.db, now, service, r)
        .await
        .map_err(db_retry)?;
    if r.reason == "stranger" {
        return Ok(());
    }
    if r.reason == "unpaid" {
        unpaid_removed(ctx, service, r.user).await;
        return Ok(());
    }
    let locale = locale_of(ctx, r.user)
        .await
        .unwrap_or(ctx.config.default_locale);
    let text = tr(
        locale,
        "sl-access-ended",
        &[("title", service.title.clone())],
    );
    let kb = keyboard(vec![vec![button(
        tr(locale, "sl-renew", &[]),
        Press::Show(service.id),
    )]]);
    if let Err(e) = say(ctx, r.user, text, Some(ReplyMarkup::InlineKeyboard(kb))).await {
        tracing::info!(error = %e, "could not tell a removed member");
    }
    Ok(())
}

/// Someone who came in through an extra link without paying was let out: what happened, and
/// the plans.
async fn unpaid_removed(ctx: &AppCtx, service: &Service, user: i64) {
    let locale = locale_of(ctx, user)
        .await
        .unwrap_or(ctx.config.default_locale);
    let text = tr(
        locale,
        "sl-unpaid-joined",
        &[("title", service.title.clone())],
    );
    let told = match say(ctx, user, text, None).await {
        Ok(_) => buyer_card(ctx, user, service, locale, None).await,
        Err(e) => Err(e.into()),
    };
    if let Err(e) = told {
        tracing::info!(error = %e, "could not show the plans to an unpaid joiner");
    }
}

/// Tells a seller their endpoint was disabled (unless it was turned on again meanwhile).
async fn webhook_disabled(ctx: &AppCtx, id: i64) -> Result<(), BotError> {
    let Some((seller_id, endpoint)) = webhooks::endpoint_by_id(&ctx.db, id).await? else {
        return Ok(());
    };
    if endpoint.status != "disabled" {
        return Ok(());
    }
    let Some(seller) = catalog::seller(&ctx.db, seller_id).await? else {
        return Ok(());
    };
    let locale = locale_of(ctx, seller.user_id).await?;
    let text = tr(
        locale,
        "sl-webhook-disabled",
        &[
            ("url", endpoint.url.clone()),
            ("failures", endpoint.consecutive_failures.to_string()),
        ],
    );
    let kb = keyboard(vec![vec![button(
        tr(locale, "sl-webhooks-open", &[]),
        Press::Webhooks,
    )]]);
    match say(
        ctx,
        seller.user_id,
        text,
        Some(ReplyMarkup::InlineKeyboard(kb)),
    )
    .await
    {
        Ok(_) => Ok(()),
        Err(e) if e.is_transient() => Err(e.into()),
        Err(e) => {
            tracing::info!(error = %e, "could not tell a seller about a disabled endpoint");
            Ok(())
        }
    }
}

async fn remind(ctx: &AppCtx, id: i64, days: i64) -> Result<(), BotError> {
    let Some(m) = access::membership_by_id(&ctx.db, id).await? else {
        return Ok(());
    };
    if !access::is_current(&m, ctx.now()) || m.whitelisted {
        return Ok(());
    }
    let Some(service) = catalog::service(&ctx.db, m.service_id).await? else {
        return Ok(());
    };
    // A subscription that renews by itself needs no "renew now".
    if let Some(sub) = super::recurring::live_of(&ctx.db, ctx.now(), &service, m.user_id).await?
        && sub.status == "active"
        && !sub.cancel_at_period_end
    {
        return Ok(());
    }
    let locale = locale_of(ctx, m.user_id).await?;
    let text = tr(
        locale,
        "sl-reminder",
        &[
            ("title", service.title.clone()),
            ("days", days.to_string()),
            ("until", date(m.ends_at)),
        ],
    );
    let kb = keyboard(vec![vec![button(
        tr(locale, "sl-renew", &[]),
        Press::Show(service.id),
    )]]);
    match say(ctx, m.user_id, text, Some(ReplyMarkup::InlineKeyboard(kb))).await {
        Ok(_) => Ok(()),
        Err(e) if e.is_transient() => Err(e.into()),
        Err(e) => {
            tracing::info!(error = %e, "could not remind a member");
            Ok(())
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The operator's view

/// `/sellers`: every seller with services, active members, revenue and fees (30 days).
pub(crate) async fn operator_list(ctx: &AppCtx) -> Result<String, BotError> {
    let locale = ctx.config.default_locale;
    let sellers = catalog::all_sellers(&ctx.db).await?;
    let since = ctx.now() - Duration::days(30);
    let mut text = tr(
        locale,
        "sl-op-title",
        &[("count", sellers.len().to_string())],
    );
    for s in sellers {
        let d = access::dashboard(&ctx.db, s.id, since).await?;
        let money: Vec<String> = d
            .revenue
            .iter()
            .map(|r| {
                format!(
                    "{} (fee {})",
                    crate::billing::orders::format_price(r.gross, &r.currency),
                    crate::billing::orders::format_price(r.fee, &r.currency)
                )
            })
            .collect();
        text.push_str(&format!(
            "\n#{} {} ({}) · {} · services {} · active {} · all {} · {}",
            s.id,
            s.display_name,
            s.user_id,
            s.status,
            d.services,
            d.active,
            d.all_time,
            if money.is_empty() {
                "-".to_owned()
            } else {
                money.join(", ")
            }
        ));
    }
    Ok(text)
}

/// `/suspend <seller id>` / `/unsuspend <seller id>`.
pub(crate) async fn operator_suspend(
    ctx: &AppCtx,
    admin: i64,
    args: &str,
    suspended: bool,
) -> Result<String, BotError> {
    let locale = ctx.config.default_locale;
    let Ok(id) = args.trim().parse::<i64>() else {
        return Ok(tr(locale, "sl-op-suspend-usage", &[]));
    };
    if !catalog::set_seller_status(&ctx.db, ctx.now(), id, suspended).await? {
        return Ok(tr(locale, "sl-op-no-seller", &[("id", id.to_string())]));
    }
    let action = if suspended {
        "suspended"
    } else {
        "unsuspended"
    };
    audit::record(&ctx.db, ctx.now(), id, admin, action, None, None).await?;
    crate::admin::audit::record(
        &ctx.db,
        ctx.now(),
        crate::admin::audit::Action {
            admin_id: admin,
            what: action,
            target_user: None,
            before: None,
            after: Some(format!("seller {id}")),
        },
    )
    .await?;
    Ok(tr(
        locale,
        if suspended {
            "sl-op-suspended"
        } else {
            "sl-op-unsuspended"
        },
        &[("id", id.to_string())],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn button_data_round_trips_and_forgeries_do_not_parse() {
        for p in [
            Press::Accept,
            Press::Cancel,
            Press::Services,
            Press::Check(-1001234567890),
            Press::Service(7),
            Press::Buy(i64::MAX),
            Press::PlanArchive(3),
            Press::Webhooks,
            Press::WebhookTest(5),
            Press::WebhookEnable(6),
            Press::WebhookResend(i64::MAX),
            Press::Links,
            Press::LinkNew(4),
            Press::LinkRevoke(i64::MAX),
            Press::Analytics(30),
            Press::Analytics(90),
            Press::Branding,
            Press::BrandName,
            Press::BrandLogo,
            Press::BrandColor(0),
            Press::BrandColor(5),
            Press::BrandColorAsk,
            Press::BrandReset,
        ] {
            let d = p.data();
            assert!(d.len() <= 64, "{d}");
            assert_eq!(Press::parse(&d), Some(p));
        }
        for bad in [
            "",
            "sl:",
            "sl:by",
            "sl:by:",
            "sl:by:x",
            "sl:zz:1",
            "sl:acc:1",
            "sl:lk:1",
            "sl:lkn",
            "sl:lkr:x",
            "sl:by:1:2",
            "sl:by:--1",
            "sl:an:7",
            "sl:an",
            "sl:brc:6",
            "sl:brc:-1",
            "sl:br:1",
            "xx:by:1",
        ] {
            assert_eq!(Press::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn alerts_are_formatted_and_bad_ones_refused() {
        let post =
            format_alert(Locale::En, "btcusdt buy 64000 68000 62000 breakout retest").unwrap();
        assert!(post.contains("BTCUSDT"), "{post}");
        assert!(post.contains("68000"), "{post}");
        assert!(post.contains("breakout retest"), "{post}");
        assert!(format_alert(Locale::En, "btc buy 1 2").is_none());
        assert!(format_alert(Locale::En, "btc hold 1 2 3").is_none());
        assert!(format_alert(Locale::En, "btc buy x 2 3").is_none());
        assert!(format_alert(Locale::En, "btc buy -1 2 3").is_none());
    }
}
