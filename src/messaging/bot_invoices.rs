//! Invoices in the bot.
//!
//! The seller (any team member who may message contacts):
//! ```text
//! /invoice                                   the latest invoices and how to make one
//! /invoice 123456789 15.50 EUR 14 Logo design | Thank you!
//!          └ user id or ct_…  └ amount  └ currency  └ days until due (or 2026-12-31)
//!                                                      └ the line, then an optional note
//! /invoice ct_4 EUR 14                       several lines: who, currency and due first,
//! 15.50 Logo design                          then a line each ([quantity x] amount text),
//! 2 x 4.00 Business cards                    then an optional note after `|`
//! | Thank you!
//! /invoice void inv_7                        voids an unpaid invoice
//! /invoice reminders                         the reminder schedule
//! /invoice reminders -3 0 1 7                days before (−), on (0) and after the due date
//! ```
//! The customer gets the invoice with a pay button (Stars for `XTR`, else a Stripe Checkout
//! page) and the stop button; after paying, a receipt; the seller's owner is told.
use chrono::{DateTime, Duration, NaiveDate, Utc};
use teloxide::{
    payloads::{AnswerCallbackQuerySetters, SendMessageSetters},
    prelude::*,
    types::{InlineKeyboardButton, InlineKeyboardMarkup, PreCheckoutQuery},
};

use super::{
    contacts::{self, Source},
    invoice_notify::{self, PayError, Press, day, price},
    invoices::{self, BadInvoice, Created, Line, Status, Voided},
    notify::tr,
};
use crate::{
    accounts::users::{self, User},
    bot::{HandlerResult, handlers::locale_of_user},
    context::AppCtx,
    i18n::Locale,
    sellers::{
        card,
        catalog::Seller,
        team::{self, Action},
        tenant::Tenant,
    },
};

/// Invoices the bot lists.
const LISTED: u64 = 10;

async fn say(ctx: &AppCtx, user: i64, text: String) -> HandlerResult {
    let chat = ChatId(user);
    ctx.tg
        .send(chat, ctx.tg.bot().send_message(chat, text))
        .await?;
    Ok(())
}

fn status_name(locale: Locale, s: Status) -> String {
    tr(locale, &format!("inv-status-{}", s.as_str()), &[])
}

/// The bot's message for input it cannot take.
pub fn bad_text(locale: Locale, bad: &BadInvoice) -> String {
    let key = match bad {
        BadInvoice::Contact => "inv-bad-contact",
        BadInvoice::NotStarted => "inv-bad-not-started",
        BadInvoice::Currency => "inv-bad-currency",
        BadInvoice::CardUnavailable => "inv-bad-card",
        BadInvoice::Lines => "inv-bad-lines",
        BadInvoice::Description => "inv-bad-description",
        BadInvoice::Quantity => "inv-bad-quantity",
        BadInvoice::Amount => "inv-bad-amount",
        BadInvoice::Total => "inv-bad-total",
        BadInvoice::DueDate => "inv-bad-due",
        BadInvoice::Note => "inv-bad-note",
    };
    tr(locale, key, &[])
}

/// `/invoice …` from a seller's team member.
pub(crate) async fn command(ctx: &AppCtx, user: &User, args: &str) -> HandlerResult {
    let locale = locale_of_user(ctx, user);
    let Some(acting) = team::acting(&ctx.db, user.id).await? else {
        return say(ctx, user.id, tr(locale, "sl-not-a-seller", &[])).await;
    };
    if acting.seller.status != "active" {
        return say(ctx, user.id, tr(locale, "sl-suspended", &[])).await;
    }
    if !acting.role.can(Action::Messaging) {
        return say(ctx, user.id, tr(locale, "inv-forbidden", &[])).await;
    }
    let seller = acting.seller;
    let t = Tenant {
        seller_id: seller.id,
        livemode: true,
    };
    let (verb, rest) = match args.split_once(char::is_whitespace) {
        Some((v, r)) => (v, r.trim()),
        None => (args, ""),
    };
    match verb {
        "" | "list" => list(ctx, &seller, t, locale).await,
        "void" => void(ctx, &seller, t, locale, rest).await,
        "reminders" => reminders(ctx, &seller, locale, rest).await,
        _ => create(ctx, &seller, t, locale, args).await,
    }
}

async fn list(ctx: &AppCtx, seller: &Seller, t: Tenant, locale: Locale) -> HandlerResult {
    let rows = invoices::latest(&ctx.db, t, LISTED).await?;
    let body = if rows.is_empty() {
        tr(locale, "inv-list-empty", &[])
    } else {
        rows.iter()
            .map(|i| {
                tr(
                    locale,
                    "inv-list-row",
                    &[
                        ("id", invoices::public_id(i.id)),
                        ("user", i.user_id.to_string()),
                        ("total", price(i.total_minor, &i.currency)),
                        ("due", day(i.due_at)),
                        ("status", status_name(locale, invoices::status_of(i))),
                    ],
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let text = tr(locale, "inv-list", &[("invoices", body)]);
    say(ctx, seller.user_id, text).await
}

async fn void(
    ctx: &AppCtx,
    seller: &Seller,
    t: Tenant,
    locale: Locale,
    arg: &str,
) -> HandlerResult {
    let found = match invoices::parse_id(arg) {
        Some(id) => invoices::void(&ctx.db, ctx.now(), t, id).await?,
        None => None,
    };
    let text = match found {
        None => tr(locale, "inv-not-found", &[("id", arg.to_owned())]),
        Some(Voided::Voided(inv)) => tr(
            locale,
            "inv-void-done",
            &[("id", invoices::public_id(inv.id))],
        ),
        Some(Voided::Final(st)) => tr(
            locale,
            "inv-void-final",
            &[("id", arg.to_owned()), ("status", status_name(locale, st))],
        ),
    };
    say(ctx, seller.user_id, text).await
}

fn offsets_text(offsets: &[i64]) -> String {
    if offsets.is_empty() {
        return "—".into();
    }
    offsets
        .iter()
        .map(|d| format!("{d:+}").replace("+0", "0"))
        .collect::<Vec<_>>()
        .join(" ")
}

async fn reminders(ctx: &AppCtx, seller: &Seller, locale: Locale, arg: &str) -> HandlerResult {
    if arg.is_empty() {
        let offsets = invoices::schedule(&ctx.db, seller.id).await?;
        let text = tr(locale, "inv-schedule", &[("days", offsets_text(&offsets))]);
        return say(ctx, seller.user_id, text).await;
    }
    let text = match invoices::parse_offsets(arg) {
        Ok(offsets) => {
            invoices::set_schedule(&ctx.db, ctx.now(), seller.id, &offsets).await?;
            tr(
                locale,
                "inv-schedule-set",
                &[("days", offsets_text(&offsets))],
            )
        }
        Err(_) => tr(locale, "inv-schedule-bad", &[]),
    };
    say(ctx, seller.user_id, text).await
}

/// An amount as a seller types it (`15`, `15.5`, `15.50`, `15,50`) in minor units; whole
/// Stars for `XTR`. None: not an amount.
pub fn parse_amount(s: &str, currency: &str) -> Option<i64> {
    let s = s.replace(',', ".");
    if currency == invoices::STARS {
        return s.parse::<i64>().ok();
    }
    let (major, minor) = match s.split_once('.') {
        Some((a, b)) if (1..=2).contains(&b.len()) && b.chars().all(|c| c.is_ascii_digit()) => {
            let cents: i64 = b.parse().ok()?;
            (a, if b.len() == 1 { cents * 10 } else { cents })
        }
        Some(_) => return None,
        None => (s.as_str(), 0),
    };
    let sign = if major.starts_with('-') { -1 } else { 1 };
    let major: i64 = major.parse().ok()?;
    major.checked_mul(100)?.checked_add(sign * minor)
}

/// A due date as a seller types it: days from now (`14`), or a date (`2026-12-31`, due at the
/// end of that UTC day).
pub fn parse_due(s: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if let Ok(days) = s.trim_end_matches('d').parse::<i64>() {
        return now.checked_add_signed(Duration::days(days));
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some(d.and_hms_opt(23, 59, 59)?.and_utc())
}

/// The parts of an `/invoice` that makes one.
struct Form<'a> {
    who: &'a str,
    currency: &'a str,
    due: &'a str,
    lines: Vec<FormLine<'a>>,
    note: Option<&'a str>,
}

/// One line as typed: `[quantity x] amount description`.
#[derive(Debug, PartialEq)]
struct FormLine<'a> {
    quantity: i64,
    amount: &'a str,
    description: &'a str,
}

/// Why an `/invoice` could not be read.
#[derive(Debug, PartialEq)]
enum FormError {
    /// Not an invoice at all: the bot shows how to make one.
    Shape,
    /// Line `n` (1-based, counting the lines after the first) is not `[quantity x] amount text`.
    Line(usize),
}

/// `/invoice <who> <amount> <currency> <due> <description> [| note]`, or, over several lines,
/// `<who> <currency> <due>` then one line per item (`[quantity x] amount description`) and an
/// optional `| note` (which may run over the remaining lines).
fn form(args: &str) -> Result<Form<'_>, FormError> {
    let (args, note) = match args.split_once('|') {
        Some((a, n)) => (a.trim(), Some(n.trim())),
        None => (args.trim(), None),
    };
    let (first, rest) = args.split_once('\n').unwrap_or((args, ""));
    let head: Vec<&str> = first.split_whitespace().collect();
    if let [who, currency, due] = head[..] {
        let lines = rest
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .enumerate()
            .map(|(i, l)| form_line(l).ok_or(FormError::Line(i + 1)))
            .collect::<Result<Vec<_>, _>>()?;
        if lines.is_empty() {
            return Err(FormError::Shape);
        }
        return Ok(Form {
            who,
            currency,
            due,
            lines,
            note,
        });
    }
    let mut parts = args.splitn(5, char::is_whitespace);
    let mut next = || parts.next().ok_or(FormError::Shape);
    let (who, amount, currency, due) = (next()?, next()?, next()?, next()?);
    let description = next()?.trim();
    Ok(Form {
        who,
        currency,
        due,
        lines: vec![FormLine {
            quantity: 1,
            amount,
            description,
        }],
        note,
    })
}

/// `15.50 Logo design`, `2 x 4.00 Cards`, `2x 4.00 Cards`, `3× 1 Pin`.
fn form_line(line: &str) -> Option<FormLine<'_>> {
    fn word(s: &str) -> Option<(&str, &str)> {
        s.trim_start()
            .split_once(char::is_whitespace)
            .map(|(w, rest)| (w, rest.trim_start()))
    }
    const TIMES: [char; 3] = ['x', 'X', '×'];
    let (first, rest) = word(line)?;
    let (quantity, rest) = match first.strip_suffix(TIMES).map(str::parse::<i64>) {
        Some(q) => (q.ok()?, rest),
        None => match word(rest) {
            Some(("x" | "X" | "×", after)) => (first.parse().ok()?, after),
            _ => (1, line),
        },
    };
    let (amount, description) = word(rest)?;
    Some(FormLine {
        quantity,
        amount,
        description: description.trim(),
    })
}

async fn create(
    ctx: &AppCtx,
    seller: &Seller,
    t: Tenant,
    locale: Locale,
    args: &str,
) -> HandlerResult {
    let f = match form(args) {
        Ok(f) => f,
        Err(FormError::Shape) => {
            return say(ctx, seller.user_id, tr(locale, "inv-help", &[])).await;
        }
        Err(FormError::Line(n)) => {
            let text = tr(locale, "inv-bad-line", &[("n", n.to_string())]);
            return say(ctx, seller.user_id, text).await;
        }
    };
    let now = ctx.now();
    let bad = |b: BadInvoice| bad_text(locale, &b);
    let currency = match invoices::parse_currency(f.currency) {
        Ok(c) => c,
        Err(b) => return say(ctx, seller.user_id, bad(b)).await,
    };
    let mut lines = Vec::with_capacity(f.lines.len());
    for l in &f.lines {
        let Some(amount) = parse_amount(l.amount, &currency) else {
            return say(ctx, seller.user_id, bad(BadInvoice::Amount)).await;
        };
        lines.push(Line {
            description: l.description.to_owned(),
            quantity: l.quantity,
            unit_amount: amount,
        });
    }
    let Some(due) = parse_due(f.due, now) else {
        return say(ctx, seller.user_id, bad(BadInvoice::DueDate)).await;
    };
    let checked = match invoices::check(now, &currency, lines, due, f.note.map(str::to_owned)) {
        Ok(c) => c,
        Err(b) => return say(ctx, seller.user_id, bad(b)).await,
    };
    if currency != invoices::STARS && !card::card_available(ctx, seller) {
        return say(ctx, seller.user_id, bad(BadInvoice::CardUnavailable)).await;
    }
    // The customer: a contact by id, or a Telegram user who started the bot.
    let contact = if f.who.starts_with(contacts::ID_PREFIX) {
        match contacts::parse_id(f.who) {
            Some(id) => contacts::get(&ctx.db, t, id).await?,
            None => None,
        }
    } else {
        match f.who.parse::<i64>().ok().filter(|n| *n > 0) {
            Some(u) => match contacts::by_user(&ctx.db, t, u).await? {
                Some(c) => Some(c),
                None if users::find(&ctx.db, u).await?.is_none() => {
                    return say(ctx, seller.user_id, bad(BadInvoice::NotStarted)).await;
                }
                None if !contacts::may_message(&ctx.db, seller.id, u).await? => {
                    return say(ctx, seller.user_id, tr(locale, "inv-stopped", &[])).await;
                }
                None => Some(contacts::record(&ctx.db, now, t, u, Source::Api).await?.0),
            },
            None => None,
        }
    };
    let Some(contact) = contact else {
        return say(ctx, seller.user_id, bad(BadInvoice::Contact)).await;
    };
    let text = match invoices::create(&ctx.db, now, t, &contact, checked, true).await? {
        Created::Invoice(inv) => {
            ctx.jobs.notify();
            tr(
                locale,
                "inv-created",
                &[
                    ("id", invoices::public_id(inv.id)),
                    ("total", price(inv.total_minor, &inv.currency)),
                    ("user", inv.user_id.to_string()),
                    ("due", day(inv.due_at)),
                ],
            )
        }
        Created::Stopped => tr(locale, "inv-stopped", &[]),
        Created::Bad(b) => bad(b),
    };
    say(ctx, seller.user_id, text).await
}

/// A customer's press on an invoice's pay button.
pub(crate) async fn pressed(q: CallbackQuery, ctx: AppCtx) -> HandlerResult {
    let user_id = q.from.id.0 as i64;
    let locale = match users::find(&ctx.db, user_id).await? {
        Some(u) => locale_of_user(&ctx, &u),
        None => ctx.config.default_locale,
    };
    let press = q.data.as_deref().and_then(Press::parse);
    let outcome = match press {
        Some(Press::Stars(id)) => invoice_notify::send_stars(&ctx, user_id, id)
            .await
            .map(|_| None)
            .map_err(|e| (id, e)),
        Some(Press::Card(id)) => invoice_notify::checkout(&ctx, user_id, id)
            .await
            .map(Some)
            .map_err(|e| (id, e)),
        None => Err((0, PayError::NotPayable)),
    };
    let mut answer = ctx.tg.bot().answer_callback_query(q.id.clone());
    match outcome {
        Ok(None) => {}
        Ok(Some(url)) => match url::Url::parse(&url) {
            Ok(url) => {
                let kb = InlineKeyboardMarkup::new([[InlineKeyboardButton::url(
                    tr(locale, "inv-card-button", &[]),
                    url,
                )]]);
                let chat = ChatId(user_id);
                let req = ctx
                    .tg
                    .bot()
                    .send_message(chat, tr(locale, "inv-card-page", &[]))
                    .reply_markup(kb);
                ctx.tg.send(chat, req).await?;
            }
            Err(_) => answer = answer.text(tr(locale, "inv-card-unavailable", &[])),
        },
        Err((id, PayError::NotPayable)) => {
            let inv = invoices::by_id(&ctx.db, id)
                .await?
                .filter(|i| i.user_id == user_id);
            answer = answer.text(tr(
                locale,
                invoice_notify::not_payable_key(inv.as_ref()),
                &[],
            ));
        }
        Err((_, PayError::Service(e))) => return Err(e.into()),
        Err((id, e)) => {
            tracing::warn!(error = %e, invoice = id, "an invoice payment could not start");
            answer = answer.text(tr(locale, "inv-card-unavailable", &[]));
        }
    }
    ctx.tg.call(answer).await?;
    Ok(())
}

/// Telegram asks whether to take Stars for an invoice.
pub(crate) async fn pre_checkout(q: PreCheckoutQuery, ctx: AppCtx) -> HandlerResult {
    let payer = q.from.id.0 as i64;
    let ok = match invoice_notify::check_stars(
        &ctx,
        &q.invoice_payload,
        payer,
        i64::from(q.total_amount),
        &q.currency,
    )
    .await
    {
        Ok(ok) => ok,
        Err(e) => {
            tracing::warn!(error = %e, "an invoice pre-checkout could not be checked");
            false
        }
    };
    let mut answer = ctx.tg.bot().answer_pre_checkout_query(q.id.clone(), ok);
    if !ok {
        let locale = match users::find(&ctx.db, payer).await? {
            Some(u) => locale_of_user(&ctx, &u),
            None => ctx.config.default_locale,
        };
        let inv = match invoices::invoice_of_payload(&q.invoice_payload) {
            Some(id) => invoices::by_id(&ctx.db, id).await?,
            None => None,
        };
        answer = answer.error_message(tr(
            locale,
            invoice_notify::not_payable_key(inv.as_ref()),
            &[],
        ));
    }
    ctx.tg.call(answer).await?;
    Ok(())
}

/// The Stars for an invoice arrived.
pub(crate) async fn successful_payment(msg: Message, ctx: AppCtx) -> HandlerResult {
    let (Some(payment), Some(from)) = (msg.successful_payment(), msg.from.as_ref()) else {
        return Ok(());
    };
    invoice_notify::stars_paid(
        &ctx,
        &payment.invoice_payload,
        from.id.0 as i64,
        payment.telegram_payment_charge_id.0.as_str(),
        i64::from(payment.total_amount),
        &payment.currency,
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_due_dates_read_as_sellers_type_them() {
        assert_eq!(parse_amount("15", "EUR"), Some(1500));
        assert_eq!(parse_amount("15.5", "EUR"), Some(1550));
        assert_eq!(parse_amount("15,05", "EUR"), Some(1505));
        assert_eq!(parse_amount("-2", "EUR"), Some(-200));
        assert_eq!(parse_amount("1.234", "EUR"), None);
        assert_eq!(parse_amount("abc", "EUR"), None);
        assert_eq!(parse_amount("250", "XTR"), Some(250));
        assert_eq!(parse_amount("2.5", "XTR"), None);
        let now = Utc::now();
        assert_eq!(parse_due("14", now), Some(now + Duration::days(14)));
        assert_eq!(parse_due("3d", now), Some(now + Duration::days(3)));
        assert_eq!(
            parse_due("2026-12-31", now).map(|d| d.to_rfc3339()),
            Some("2026-12-31T23:59:59+00:00".into())
        );
        assert_eq!(parse_due("soon", now), None);
    }

    #[test]
    fn the_short_form_splits_into_its_parts() {
        let f = form("ct_4 15 EUR 14 Logo design | Thanks!").unwrap();
        assert_eq!(
            (f.who, f.currency, f.due, f.note),
            ("ct_4", "EUR", "14", Some("Thanks!"))
        );
        assert_eq!(
            f.lines,
            vec![FormLine {
                quantity: 1,
                amount: "15",
                description: "Logo design"
            }]
        );
        assert_eq!(form("ct_4 15 EUR").err(), Some(FormError::Shape));
    }

    #[test]
    fn the_long_form_reads_a_line_per_item_and_the_note_after_the_bar() {
        let f = form("ct_4 EUR 2026-12-31\n15.50 Logo design\n\n2 x 4 Business cards\n3× 1,50 Pins\n10x 2 Stickers\n| Thank you!\nSee you").unwrap();
        assert_eq!((f.who, f.currency, f.due), ("ct_4", "EUR", "2026-12-31"));
        let got: Vec<_> = f
            .lines
            .iter()
            .map(|l| (l.quantity, l.amount, l.description))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, "15.50", "Logo design"),
                (2, "4", "Business cards"),
                (3, "1,50", "Pins"),
                (10, "2", "Stickers"),
            ]
        );
        assert_eq!(f.note, Some("Thank you!\nSee you"));
        // A line without a description, or a count without an amount, names the line.
        assert_eq!(
            form("ct_4 EUR 14\n15 Logo\n20").err(),
            Some(FormError::Line(2))
        );
        assert_eq!(
            form("ct_4 EUR 14\n2 x Logo").err(),
            Some(FormError::Line(1))
        );
        assert_eq!(
            form("ct_4 EUR 14\n| just a note").err(),
            Some(FormError::Shape)
        );
        // One line typed over two (the note on its own line) is the short form.
        let f = form("ct_4 15 EUR 14 Logo\n| Thanks").unwrap();
        assert_eq!((f.lines.len(), f.note), (1, Some("Thanks")));
    }
}
