//! Orders in the bot, for sellers:
//!
//! - `/templates` lists the texts of the customers' order messages (each change, each
//!   language: the seller's own or the default); `/templates shipped ru <text>` sets one,
//!   `/templates shipped ru reset` goes back to the default, `/templates shipped ru` shows it.
//!   A leading `test` works on the test mode's texts. A text that does not pass (too long, an
//!   unknown placeholder) is named with the reason and changes nothing.
//! - `/shops` lists the Shopify and WooCommerce receivers; `/shops shopify` (or `woocommerce`,
//!   then optionally `test`) makes one, or gives it a new URL and secret, shown this once.
use teloxide::{payloads::SendMessageSetters, prelude::*};

use super::{
    commerce::{self, Platform},
    notify::tr,
    order_templates::{self, BadTemplate},
    orders::Change,
};
use crate::{
    bot::HandlerResult,
    context::AppCtx,
    i18n::Locale,
    sellers::{catalog::Seller, tenant::Tenant},
};

async fn say(ctx: &AppCtx, user: i64, text: String) -> HandlerResult {
    let chat = ChatId(user);
    let req = ctx.tg.bot().send_message(chat, text).link_preview_options(
        teloxide::types::LinkPreviewOptions {
            is_disabled: true,
            url: None,
            prefer_small_media: false,
            prefer_large_media: false,
            show_above_text: false,
        },
    );
    ctx.tg.send(chat, req).await?;
    Ok(())
}

/// A leading `test` picks the test mode; the words after it.
fn mode_of<'a>(seller: &Seller, words: &'a [&'a str]) -> (Tenant, &'a [&'a str]) {
    match words.first() {
        Some(w) if w.eq_ignore_ascii_case("test") => (
            Tenant {
                seller_id: seller.id,
                livemode: false,
            },
            &words[1..],
        ),
        _ => (
            Tenant {
                seller_id: seller.id,
                livemode: true,
            },
            words,
        ),
    }
}

fn mode_name(locale: Locale, t: Tenant) -> String {
    tr(
        locale,
        if t.livemode {
            "ord-mode-live"
        } else {
            "ord-mode-test"
        },
        &[],
    )
}

/// `/templates …` for `seller`, by team member `user`.
pub async fn templates(
    ctx: &AppCtx,
    seller: &Seller,
    user: i64,
    locale: Locale,
    args: &str,
) -> HandlerResult {
    let all: Vec<&str> = args.split_whitespace().collect();
    let (t, words) = mode_of(seller, &all);
    let Some(first) = words.first() else {
        return list_templates(ctx, t, user, locale).await;
    };
    let help = || tr(locale, "ord-templates-help", &[]);
    let Some(change) = Change::parse(&first.to_ascii_lowercase()) else {
        return say(ctx, user, help()).await;
    };
    let Some(lang) = words.get(1).and_then(|l| Locale::parse(l)) else {
        return say(ctx, user, help()).await;
    };
    let args_list = |tpl: &order_templates::Template| {
        [
            ("change", change.as_str().to_owned()),
            ("lang", lang.code().to_owned()),
            ("mode", mode_name(locale, t)),
            ("text", tpl.text.clone()),
        ]
    };
    let rest = words[2..].join(" ");
    if rest.is_empty() {
        let tpl = order_templates::get(&ctx.db, t, change, lang).await?;
        let key = if tpl.custom {
            "ord-template-own"
        } else {
            "ord-template-default"
        };
        return say(ctx, user, tr(locale, key, &args_list(&tpl))).await;
    }
    if rest.eq_ignore_ascii_case("reset") {
        let tpl = order_templates::reset(&ctx.db, t, change, lang).await?;
        return say(
            ctx,
            user,
            tr(locale, "ord-template-reset", &args_list(&tpl)),
        )
        .await;
    }
    // The text as typed, line breaks included: what follows the language's word.
    let text = after_words(args, all.len() - words.len() + 2);
    match order_templates::set(&ctx.db, ctx.now(), t, change, lang, text, user).await? {
        Ok(tpl) => {
            say(
                ctx,
                user,
                tr(locale, "ord-template-saved", &args_list(&tpl)),
            )
            .await
        }
        Err(bad) => {
            let reason = match bad {
                BadTemplate::Empty => tr(locale, "ord-template-empty", &[]),
                BadTemplate::TooLong { chars } => tr(
                    locale,
                    "ord-template-too-long",
                    &[
                        ("chars", chars.to_string()),
                        ("max", order_templates::MAX_CHARS.to_string()),
                    ],
                ),
                BadTemplate::Placeholder(p) => {
                    tr(locale, "ord-template-placeholder", &[("placeholder", p)])
                }
            };
            say(ctx, user, reason).await
        }
    }
}

/// `args` after its first `n` words, as typed.
fn after_words(args: &str, n: usize) -> &str {
    let mut rest = args.trim_start();
    for _ in 0..n {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        rest = rest[end..].trim_start();
    }
    rest
}

async fn list_templates(ctx: &AppCtx, t: Tenant, user: i64, locale: Locale) -> HandlerResult {
    let mut lines = Vec::new();
    for tpl in order_templates::all(&ctx.db, t).await? {
        let key = if tpl.custom {
            "ord-templates-line-own"
        } else {
            "ord-templates-line-default"
        };
        lines.push(tr(
            locale,
            key,
            &[
                ("change", tpl.change.as_str().to_owned()),
                ("lang", tpl.locale.code().to_owned()),
                ("text", tpl.text.lines().next().unwrap_or("").to_owned()),
            ],
        ));
    }
    let text = tr(
        locale,
        "ord-templates-list",
        &[("mode", mode_name(locale, t)), ("lines", lines.join("\n"))],
    );
    say(ctx, user, text).await
}

/// `/shops …` for `seller`, by team member `user`.
pub async fn shops(
    ctx: &AppCtx,
    seller: &Seller,
    user: i64,
    locale: Locale,
    args: &str,
) -> HandlerResult {
    let words: Vec<&str> = args.split_whitespace().collect();
    let Some(first) = words.first() else {
        return list_shops(ctx, seller, user, locale).await;
    };
    let Some(platform) = Platform::parse(first) else {
        return say(ctx, user, tr(locale, "ord-shops-help", &[])).await;
    };
    let (t, rest) = mode_of(seller, &words[1..]);
    if !rest.is_empty() {
        return say(ctx, user, tr(locale, "ord-shops-help", &[])).await;
    }
    let (endpoint, secret, created) =
        commerce::create_or_rotate(&ctx.db, ctx.now(), ctx.sealer.as_ref(), t, platform, None)
            .await?;
    let key = if created {
        "ord-shop-created"
    } else {
        "ord-shop-rotated"
    };
    let text = tr(
        locale,
        key,
        &[
            ("platform", platform_name(platform).to_owned()),
            ("mode", mode_name(locale, t)),
            (
                "url",
                format!("{}{}", ctx.public_base(), commerce::path(&endpoint)),
            ),
            ("secret", secret),
            ("header", platform.signature_header().to_owned()),
        ],
    );
    say(ctx, user, text).await
}

fn platform_name(p: Platform) -> &'static str {
    match p {
        Platform::Shopify => "Shopify",
        Platform::WooCommerce => "WooCommerce",
    }
}

async fn list_shops(ctx: &AppCtx, seller: &Seller, user: i64, locale: Locale) -> HandlerResult {
    let mut lines = Vec::new();
    for livemode in [true, false] {
        let t = Tenant {
            seller_id: seller.id,
            livemode,
        };
        for e in commerce::list(&ctx.db, t).await? {
            let platform = Platform::parse(&e.platform).map_or("?", platform_name);
            lines.push(tr(
                locale,
                "ord-shops-line",
                &[
                    ("platform", platform.to_owned()),
                    ("mode", mode_name(locale, t)),
                    (
                        "url",
                        format!("{}{}", ctx.public_base(), commerce::path(&e)),
                    ),
                ],
            ));
        }
    }
    let text = if lines.is_empty() {
        tr(locale, "ord-shops-none", &[])
    } else {
        tr(locale, "ord-shops-list", &[("lines", lines.join("\n"))])
    };
    say(ctx, user, text).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_keeps_its_line_breaks() {
        assert_eq!(
            after_words("shipped en Your order {order}\nis on its way", 2),
            "Your order {order}\nis on its way"
        );
        assert_eq!(after_words("test shipped  ru  Привет", 3), "Привет");
    }
}
