//! The analytics part of `/dashboard`: MRR, churn, trial conversion, the funnel's counts and
//! revenue by source of the seller's live services, for 30 days under the dashboard and for
//! 90 (or 30 again) with a button, each window followed by its chart.
use teloxide::types::{InlineKeyboardMarkup, ReplyMarkup};

use super::{
    admission::{say, tr},
    analytics::{self, Report},
    bot::{Press, button},
    catalog::Seller,
    tenant::Tenant,
};
use crate::{billing::orders::format_price, bot::BotError, context::AppCtx, i18n::Locale};

fn percent(p: Option<f64>) -> String {
    p.map_or_else(|| "–".to_owned(), |p| format!("{p:.1}%"))
}

/// The text of one window's numbers.
pub fn text(locale: Locale, r: &Report) -> String {
    let mrr = if r.mrr.is_empty() {
        "–".to_owned()
    } else {
        r.mrr
            .iter()
            .map(|(currency, minor)| format_price(*minor, currency))
            .collect::<Vec<_>>()
            .join(" + ")
    };
    let mut text = tr(
        locale,
        "sl-analytics",
        &[
            ("days", r.days.to_string()),
            ("mrr", mrr),
            ("churn", percent(r.churn_percent)),
            ("churned", r.churned.to_string()),
            ("active", r.active_at_start.to_string()),
            ("conversion", percent(r.trial_conversion_percent())),
            ("converted", r.trials_converted.to_string()),
            ("trials", r.trials.to_string()),
            ("views", r.views.to_string()),
            ("checkouts", r.checkouts.to_string()),
            ("payments", r.payments.to_string()),
            ("renewals", r.renewals.to_string()),
            ("refunds", r.refunds.to_string()),
        ],
    );
    if r.by_source.is_empty() {
        text.push('\n');
        text.push_str(&tr(locale, "sl-no-revenue", &[]));
    }
    for s in &r.by_source {
        text.push('\n');
        text.push_str(&tr(
            locale,
            "sl-analytics-source",
            &[
                ("source", s.source.clone()),
                ("gross", format_price(s.gross, &s.currency)),
                ("refunded", format_price(s.refunded, &s.currency)),
                ("net", format_price(s.net, &s.currency)),
                ("payments", s.payments.to_string()),
            ],
        ));
    }
    text
}

/// Sends the seller's numbers for `days` (30 or 90) with a button for the other window; the
/// chart follows when `chart` is set.
pub async fn show(
    ctx: &AppCtx,
    seller: &Seller,
    locale: Locale,
    days: i64,
    chart: bool,
) -> Result<(), BotError> {
    let tenant = Tenant {
        seller_id: seller.id,
        livemode: true,
    };
    let report = analytics::report(&ctx.db, tenant, ctx.now(), days).await?;
    let other = if days == 90 { 30 } else { 90 };
    let kb = InlineKeyboardMarkup::new(vec![vec![button(
        tr(
            locale,
            "sl-analytics-window",
            &[("days", other.to_string())],
        ),
        Press::Analytics(other),
    )]]);
    say(
        ctx,
        seller.user_id,
        text(locale, &report),
        Some(ReplyMarkup::InlineKeyboard(kb)),
    )
    .await?;
    if chart {
        super::bot::dashboard_chart(ctx, seller, locale, days).await?;
    }
    Ok(())
}
