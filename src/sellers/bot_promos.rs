//! Promo codes in Telegram. The seller's `/promos`: their codes with uses and expiry, a
//! button to make one (code, discount, uses, expiry in days, plans, once or forever: asked
//! step by step) and one to deactivate each active code. The buyer's side: "🎟 Enter a promo
//! code" on a service's card, or a code carried in the deep link (`s_<service>_<code>`); a
//! code that does not apply is named with the reason and changes nothing.
use chrono::Duration;
use teloxide::types::{InlineKeyboardButton, MessageId, ReplyMarkup};

use super::{
    admission::{date, say, tr},
    bot::{Press, button, done, keyboard, plan_label, show, tell, wait},
    catalog::{self, Seller, Service},
    drafts::{PromoDraft, Step},
    promos::{self, BadPromo, Invalid, NewPromo, NotCreated, PromoCode, Term},
    tenant::Tenant,
};
use crate::{bot::BotError, context::AppCtx, i18n::Locale};

/// How many codes the screen lists.
const SHOWN: u64 = 30;

fn live(seller: &Seller) -> Tenant {
    Tenant {
        seller_id: seller.id,
        livemode: true,
    }
}

fn uses(code: &PromoCode) -> String {
    match code.max_uses {
        Some(m) => format!("{}/{m}", code.used),
        None => format!("{}/∞", code.used),
    }
}

fn line(locale: Locale, code: &PromoCode, now: chrono::DateTime<chrono::Utc>) -> String {
    let state = if !code.active {
        tr(locale, "sl-promos-off", &[])
    } else if code.expires_at.is_some_and(|e| e <= now) {
        tr(locale, "sl-promos-expired", &[])
    } else if code.max_uses.is_some_and(|m| code.used >= m) {
        tr(locale, "sl-promos-used-up", &[])
    } else {
        tr(locale, "sl-promos-active", &[])
    };
    let plans = promos::plan_ids(code);
    let plans = if plans.is_empty() {
        tr(locale, "sl-promos-all-plans", &[])
    } else {
        plans
            .iter()
            .map(|p| format!("#{p}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    tr(
        locale,
        "sl-promos-line",
        &[
            ("code", code.code.clone()),
            ("off", promos::discount_label(code)),
            ("uses", uses(code)),
            (
                "until",
                code.expires_at
                    .map_or_else(|| "∞".to_owned(), |e| date(Some(e))),
            ),
            ("plans", plans),
            ("duration", code.duration.clone()),
            ("state", state),
        ],
    )
}

/// The seller's codes (live mode), newest first, with "new" and "deactivate" buttons; sent,
/// or edited into `edit`.
pub async fn screen(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    edit: Option<MessageId>,
) -> Result<(), BotError> {
    let page = promos::list(&ctx.db, live(seller), None, SHOWN).await?;
    let now = ctx.now();
    let mut text = tr(locale, "sl-promos-title", &[]);
    text.push('\n');
    text.push_str(&tr(locale, "sl-promos-help", &[]));
    text.push_str("\n\n");
    if page.rows.is_empty() {
        text.push_str(&tr(locale, "sl-promos-none", &[]));
    }
    for code in &page.rows {
        text.push('\n');
        text.push_str(&line(locale, code, now));
    }
    let mut rows: Vec<Vec<InlineKeyboardButton>> = vec![vec![button(
        tr(locale, "sl-promos-new", &[]),
        Press::PromoNew,
    )]];
    for code in page.rows.iter().filter(|c| c.active) {
        rows.push(vec![button(
            tr(
                locale,
                "sl-promos-deactivate",
                &[("code", code.code.clone())],
            ),
            Press::PromoOff(code.id),
        )]);
    }
    show(ctx, seller.user_id, text, keyboard(rows), edit).await
}

/// "➕ New code": asks for the code's text.
pub async fn ask(ctx: &AppCtx, seller: &Seller, locale: Locale) -> Result<(), BotError> {
    wait(ctx, seller.user_id, &Step::PromoNew(PromoDraft::default())).await?;
    let kb = keyboard(vec![vec![button(
        tr(locale, "sl-cancel-button", &[]),
        Press::Cancel,
    )]]);
    say(
        ctx,
        seller.user_id,
        tr(locale, "sl-promo-ask-code", &[]),
        Some(ReplyMarkup::InlineKeyboard(kb)),
    )
    .await?;
    Ok(())
}

fn bad_key(e: BadPromo) -> &'static str {
    match e {
        BadPromo::Code => "sl-bad-promo-code",
        BadPromo::Discount => "sl-bad-promo-discount",
        BadPromo::Uses => "sl-bad-promo-uses",
        BadPromo::Expiry => "sl-bad-promo-expiry",
        BadPromo::Plans => "sl-bad-promo-plans",
        BadPromo::Term => "sl-bad-promo-duration",
    }
}

/// The seller's plans, one line each, for the "which plans" step.
async fn plans_list(ctx: &AppCtx, seller: &Seller, locale: Locale) -> Result<String, BotError> {
    let plans = promos::live_plans(&ctx.db, seller.id).await?;
    Ok(plans
        .iter()
        .map(|(p, title)| format!("#{} · {title} · {}", p.id, plan_label(locale, p)))
        .collect::<Vec<_>>()
        .join("\n"))
}

/// An answer to a step of the new-code dialogue: a bad one is refused and asked for again; a
/// good one moves to the next step, and the last one makes the code.
pub async fn answer(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    mut draft: PromoDraft,
    text: &str,
) -> Result<(), BotError> {
    let user = seller.user_id;
    let step: Result<&'static str, BadPromo> = if draft.code.is_none() {
        promos::parse_code(text).map(|c| {
            draft.code = Some(c);
            "sl-promo-ask-discount"
        })
    } else if draft.kind.is_none() {
        promos::parse_discount(text).map(|(kind, value, currency)| {
            draft.kind = Some(kind.as_str().to_owned());
            draft.value = value;
            draft.currency = currency;
            "sl-promo-ask-uses"
        })
    } else if draft.uses.is_none() {
        promos::parse_uses(text).map(|n| {
            draft.uses = Some(n);
            "sl-promo-ask-expiry"
        })
    } else if draft.expiry_days.is_none() {
        promos::parse_expiry_days(text).map(|d| {
            draft.expiry_days = Some(d);
            "sl-promo-ask-plans"
        })
    } else if draft.plans.is_none() {
        promos::parse_plans(text).map(|p| {
            draft.plans = Some(p);
            "sl-promo-ask-duration"
        })
    } else {
        Term::parse(text).ok_or(BadPromo::Term).map(|_| "")
    };
    let next = match step {
        Ok(next) => next,
        Err(e) => {
            tell(ctx, user, locale, bad_key(e)).await?;
            return Ok(());
        }
    };
    if !next.is_empty() {
        wait(ctx, user, &Step::PromoNew(draft)).await?;
        let mut prompt = tr(locale, next, &[]);
        if next == "sl-promo-ask-plans" {
            let list = plans_list(ctx, seller, locale).await?;
            if !list.is_empty() {
                prompt.push_str("\n\n");
                prompt.push_str(&list);
            }
        }
        say(ctx, user, prompt, None).await?;
        return Ok(());
    }
    done(ctx, user).await?;
    let term = Term::parse(text).unwrap_or(Term::Once);
    let (Some(code), Some(kind), Some(uses), Some(expiry), Some(plans)) = (
        draft.code,
        draft.kind.as_deref().and_then(promos::Kind::parse),
        draft.uses,
        draft.expiry_days,
        draft.plans,
    ) else {
        return Ok(());
    };
    let now = ctx.now();
    let new = NewPromo {
        code,
        kind,
        value: draft.value,
        currency: draft.currency,
        max_uses: uses,
        expires_at: expiry.map(|d| now + Duration::days(d)),
        plan_ids: plans,
        term,
    };
    match promos::create(&ctx.db, now, live(seller), user, new).await? {
        Ok(code) => {
            let text = tr(
                locale,
                "sl-promo-created",
                &[("line", line(locale, &code, now))],
            );
            let kb = keyboard(vec![vec![button(
                tr(locale, "sl-promos-open", &[]),
                Press::Promos,
            )]]);
            say(ctx, user, text, Some(ReplyMarkup::InlineKeyboard(kb))).await?;
        }
        Err(NotCreated::Taken) => tell(ctx, user, locale, "sl-promo-taken").await?,
        Err(NotCreated::UnknownPlan(id)) => {
            let text = tr(locale, "sl-promo-unknown-plan", &[("plan", id.to_string())]);
            say(ctx, user, text, None).await?;
        }
    }
    Ok(())
}

/// "⛔ Deactivate" on one of the seller's codes; false when it is none of theirs.
pub async fn deactivate(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    id: i64,
    edit: Option<MessageId>,
) -> Result<bool, BotError> {
    let Some(code) =
        promos::deactivate(&ctx.db, ctx.now(), live(seller), id, seller.user_id).await?
    else {
        return Ok(false);
    };
    let text = tr(
        locale,
        "sl-promo-deactivated",
        &[("code", code.code.clone()), ("uses", uses(&code))],
    );
    say(ctx, seller.user_id, text, None).await?;
    screen(ctx, seller, locale, edit).await?;
    Ok(true)
}

// ---------------------------------------------------------------------------------------------
// Buyers

/// The message naming why a code does not apply.
pub fn invalid_text(locale: Locale, why: Invalid, code: &str) -> String {
    let key = match why {
        Invalid::Unknown => "sl-promo-unknown",
        Invalid::Inactive => "sl-promo-inactive",
        Invalid::Expired => "sl-promo-expired",
        Invalid::UsedUp => "sl-promo-used-up",
        Invalid::WrongPlan => "sl-promo-wrong-plan",
        Invalid::WrongCurrency => "sl-promo-wrong-currency",
        Invalid::AlreadyUsed => "sl-promo-already-used",
        Invalid::Pending => "sl-promo-pending",
    };
    tr(locale, key, &[("code", code.to_owned())])
}

/// "🎟 Enter a promo code" on `service`'s card: asks for it.
pub async fn ask_code(
    ctx: &AppCtx,
    user: i64,
    locale: Locale,
    service: i64,
) -> Result<bool, BotError> {
    if catalog::service(&ctx.db, service).await?.is_none() {
        return Ok(false);
    }
    wait(ctx, user, &Step::PromoEnter { service }).await?;
    let kb = keyboard(vec![vec![button(
        tr(locale, "sl-cancel-button", &[]),
        Press::Cancel,
    )]]);
    say(
        ctx,
        user,
        tr(locale, "sl-promo-ask-buyer", &[]),
        Some(ReplyMarkup::InlineKeyboard(kb)),
    )
    .await?;
    Ok(true)
}

/// The code `text` for `service`, checked against its plans for `user`: the code when it
/// takes something off at least one plan on sale, else why not.
pub async fn check(
    ctx: &AppCtx,
    user: i64,
    service: &Service,
    text: &str,
) -> Result<Result<PromoCode, Invalid>, BotError> {
    let Some(code) = promos::find(&ctx.db, service.seller_id, service.livemode, text).await? else {
        return Ok(Err(Invalid::Unknown));
    };
    let plans = catalog::plans_of(&ctx.db, service.id, true).await?;
    let mut why = Invalid::WrongPlan;
    for plan in &plans {
        match promos::quote_code(&ctx.db, plan, code.clone(), user, ctx.now()).await? {
            Ok(_) => return Ok(Ok(code)),
            // The most telling reason: anything beats "another plan".
            Err(w) if why == Invalid::WrongPlan => why = w,
            Err(_) => {}
        }
    }
    Ok(Err(why))
}
