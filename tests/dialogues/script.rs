//! The dialogue script format: a conversation that is also a test.
//!
//! ```text
//! # comments start with '#'
//! person alice en Alice            # a person: handle, Telegram language_code, first name
//! alice: /start                    # alice writes to the bot privately
//! olga @admin: /status             # olga writes into the admin group (General)
//! olga @topic(alice): Hello!       # olga writes inside alice's support topic
//! olga @admin: Title\nText          # '\n' in what someone writes is a line break
//! bot -> alice: welcome-new name=Alice     # the next bot message to alice is this reply,
//!                                          # rendered in alice's language
//! bot -> alice: "exact text"       # ... or exactly this text
//! bot -> @admin ~ "Users: 2"       # ... or contains this text
//! bot -> @topic(alice): user-card id={alice}   # the next bot message in alice's topic
//!                                  # (English, the operator's language); {alice} is her id
//!   buttons: "Buy" "History"       # the message just read (or seen) has these buttons
//! alice presses "Buy"              # press a button on alice's newest bot message showing it
//!                                  # (waits for an edit to bring it up)
//! alice presses old "Finish"       # press a button alice saw earlier but that is gone now
//!                                  # (a stale keyboard, a double tap)
//! bot answers alice: button-expired        # the answer to alice's last press (the toast);
//!                                          # ': nothing' = answered without any text
//! alice sees ~ "2/3"               # alice's newest bot message, as it stands now (edits
//!                                  # applied), says this: for flows that edit in place
//! olga presses @admin "📊 Dashboard"   # press a button on the newest bot message in the
//! olga sees @admin ~ "Users: 2"        # admin group showing it; the newest bot message with
//!                                      # buttons in General (the control center's panel)
//! alice pays                       # pay the latest invoice in alice's chat (Stars)
//! bot -> alice: invoice "25 credits" for 500 XTR   # the next bot message is an invoice:
//!                                  # this title, this total (minor units), this currency
//! stripe completes alice's checkout    # the Stripe customer pays alice's newest Checkout
//!                                      # session (that of her newest card order), and
//!                                      # Stripe's webhook is delivered to the app
//! stripe expires alice's checkout      # ... or that session times out unpaid
//! stripe refunds alice's payment       # ... or its payment is refunded in full
//! stripe onboards sam's account        # the seller sam finishes Stripe Connect onboarding
//!                                      # of his connected account (`account.updated`)
//! stripe renews bob's subscription     # the period of bob's newest subscription ends: the
//!                                      # next invoice is paid (or, set to cancel, it ends)
//! stripe declines bob's renewal        # ... or the renewal charge is declined (past due)
//! stripe collects bob's invoice        # bob pays that open invoice
//! alice blocks the bot             # (and: alice unblocks the bot)
//! mia joins @admin as member       # mia is put into the admin group as a plain member
//!                                  # (or: as administrator)
//! topic of alice is deleted        # an admin deletes alice's forum topic
//! bot -> alice: nothing            # no further message to alice (also for @topic(alice))
//! db users = 2                     # rows in a table (users, processed_events, jobs,
//!                                  # support_topics, credit_ledger, orders)
//! db credits of alice = 5          # alice's balance as stored
//! db order of alice = paid         # the status of alice's newest order (pending, paid,
//!                                  # failed, expired, refunded)
//! chat vip channel "Sam VIP" of sam    # a channel (or group) that sam owns; the bot is not in it
//! bot is admin of vip without ban  # the bot administers vip without the ban right
//! bot is admin of vip              # ... or with every right
//! sam shares vip                   # sam picks vip with the bot's "share a channel/group" button
//! bob opens the link of vip        # bob sends /start s_<code> of vip's service
//! bob opens the link of vip with code SPRING   # ... /start s_<code>_SPRING
//! ada opens sam's team invite      # ada sends /start team_<token> of the newest team invite
//!                                  # link the bot showed sam
//! bob joins vip                    # bob uses the newest invite link the bot sent him
//! bob is in vip                    # bob is a member of vip (or: is not in vip; waits)
//! sam sends a photo               # sam sends the bot a photo privately (or: sends a sticker,
//!                                  # sends a document "logo.pdf")
//! bob got ~ "Payment received"     # some bot message to bob says this (any order: for what
//!                                  # background jobs send)
//! chat vip shows ~ "BTCUSDT"       # some bot message in the chat vip says this
//! time passes 27 days              # the app's clock moves on (days, hours or minutes); the
//!                                  # seller sweep runs and due jobs are done
//! telegram renews bob's subscription to vip   # Telegram charges bob's Star subscription of
//!                                  # vip again (his until_date moves 30 days on)
//! telegram ends bob's subscription to vip     # ... or it ran out: Telegram removes him
//! sam calls POST /orders {"…"} -> 201     # the seller sam acts for calls the REST API with
//!                                  # a live key; the answer has this status; {bob} is bob's
//!                                  # id, {id} the `id` of the last answer that had one
//! ```
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Private,
    Admin,
    /// The support topic of this person, in the admin group.
    Topic(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    Person(String),
    Admin,
    /// The support topic of this person, in the admin group.
    Topic(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    Reply {
        key: String,
        args: BTreeMap<String, String>,
    },
    Exact(String),
    Contains(String),
    /// An invoice (no text): its title, total in minor units and currency.
    Invoice {
        title: String,
        amount: i64,
        currency: String,
    },
    Nothing,
}

/// What Stripe does to someone's newest card order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StripeAction {
    /// The Checkout session is paid.
    Complete,
    /// The Checkout session times out unpaid.
    Expire,
    /// The payment is refunded in full.
    Refund,
    /// The seller finishes Stripe Connect onboarding of their connected account.
    Onboard,
    /// The billing engine reaches the end of the person's newest subscription's period: the
    /// next invoice is paid (or, set to cancel, the subscription ends).
    Renew,
    /// The renewal charge of the person's newest subscription is declined.
    Decline,
    /// The person pays the open invoice of their newest subscription.
    PayInvoice,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Person {
        handle: String,
        language: String,
        first_name: String,
    },
    Say {
        who: String,
        place: Place,
        text: String,
    },
    Press {
        who: String,
        label: String,
        /// A button that is no longer shown (pressed from a stale keyboard).
        old: bool,
        /// In the admin group instead of the private chat.
        in_admin: bool,
    },
    Answer {
        who: String,
        expect: Expect,
    },
    Sees {
        who: String,
        expect: Expect,
        /// The newest bot message in the admin group instead of the private chat.
        in_admin: bool,
    },
    DeleteTopic {
        of: String,
    },
    Pay {
        who: String,
    },
    Block {
        who: String,
        blocked: bool,
    },
    /// The person becomes a member of the admin group: `administrator` or not.
    JoinAdmin {
        who: String,
        administrator: bool,
    },
    Bot {
        to: Recipient,
        expect: Expect,
    },
    Buttons(Vec<String>),
    DbCount {
        table: String,
        count: u64,
    },
    DbCredits {
        who: String,
        credits: i64,
    },
    DbOrder {
        who: String,
        status: String,
    },
    Stripe {
        action: StripeAction,
        who: String,
    },
    /// A chat `owner` owns: a channel or a group.
    Chat {
        handle: String,
        channel: bool,
        title: String,
        owner: String,
    },
    BotAdmin {
        chat: String,
        can_ban: bool,
    },
    Share {
        who: String,
        chat: String,
    },
    OpenLink {
        who: String,
        chat: String,
        /// A promo code carried in the link (`s_<code>_<promo>`).
        promo: Option<String>,
    },
    /// `who` opens the newest team invite link the bot showed `from`.
    OpenTeamInvite {
        who: String,
        from: String,
    },
    Join {
        who: String,
        chat: String,
        /// With the newest invite link sent to this person instead of their own.
        with_link_of: Option<String>,
    },
    IsIn {
        who: String,
        chat: String,
        inside: bool,
    },
    Got {
        who: String,
        text: String,
    },
    /// `who` sends the bot something other than text, privately.
    SendMedia {
        who: String,
        media: Media,
    },
    Shows {
        chat: String,
        text: String,
    },
    TimePasses {
        minutes: i64,
    },
    /// Telegram renews (or ends) someone's Star subscription of a channel.
    StarSubscription {
        who: String,
        chat: String,
        renew: bool,
    },
    /// The seller `who` acts for calls the REST API with a live key: `sam calls POST /orders
    /// {json} -> 201`. `{id}` in a path is the `id` of the last answer that had one.
    Api {
        who: String,
        method: String,
        path: String,
        body: Option<String>,
        status: u16,
    },
}

/// What a person sends besides text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Media {
    Photo,
    /// A file with this name (Telegram reports its type by what it is; the emulator by the
    /// name's extension).
    Document(String),
    Sticker,
}

#[derive(Debug, Clone)]
pub struct Line {
    pub number: usize,
    pub step: Step,
}

/// The lines about sellers' chats and time.
fn seller_line(line: &str) -> Option<Result<Step, String>> {
    if let Some(rest) = line.strip_prefix("chat ")
        && let Some((chat, after)) = rest.split_once(" shows")
        && !chat.contains(' ')
    {
        return Some(match parse_expect(after) {
            Ok(Expect::Contains(text)) => Ok(Step::Shows {
                chat: chat.to_owned(),
                text,
            }),
            _ => Err("chat CHAT shows ~ \"TEXT\"".into()),
        });
    }
    if let Some(rest) = line.strip_prefix("chat ") {
        let w = match words(rest) {
            Ok(w) => w,
            Err(e) => return Some(Err(e)),
        };
        return Some(match w.as_slice() {
            [handle, kind, title, of, owner]
                if of == "of" && (kind == "channel" || kind == "group") =>
            {
                Ok(Step::Chat {
                    handle: handle.clone(),
                    channel: kind == "channel",
                    title: title.clone(),
                    owner: owner.clone(),
                })
            }
            _ => Err("chat HANDLE channel|group \"TITLE\" of WHO".into()),
        });
    }
    if let Some(rest) = line.strip_prefix("bot is admin of ") {
        let (chat, can_ban) = match rest.strip_suffix(" without ban") {
            Some(chat) => (chat, false),
            None => (rest, true),
        };
        return Some(Ok(Step::BotAdmin {
            chat: chat.trim().to_owned(),
            can_ban,
        }));
    }
    if let Some(rest) = line.strip_prefix("time passes ") {
        let mut w = rest.split_whitespace();
        let (Some(n), Some(unit), None) = (w.next(), w.next(), w.next()) else {
            return Some(Err("time passes N days|hours|minutes".into()));
        };
        let Ok(n) = n.parse::<i64>() else {
            return Some(Err("time passes N days|hours|minutes".into()));
        };
        let per = match unit.trim_end_matches('s') {
            "day" => 24 * 60,
            "hour" => 60,
            "minute" => 1,
            _ => return Some(Err("time passes N days|hours|minutes".into())),
        };
        return Some(Ok(Step::TimePasses { minutes: n * per }));
    }
    if let Some(rest) = line.strip_prefix("telegram ") {
        let usage = "telegram renews|ends WHO's subscription to CHAT";
        let (renew, rest) = match (rest.strip_prefix("renews "), rest.strip_prefix("ends ")) {
            (Some(rest), _) => (true, rest),
            (_, Some(rest)) => (false, rest),
            _ => return Some(Err(usage.into())),
        };
        let Some((who, chat)) = rest.split_once("'s subscription to ") else {
            return Some(Err(usage.into()));
        };
        return Some(Ok(Step::StarSubscription {
            who: who.trim().to_owned(),
            chat: chat.trim().to_owned(),
            renew,
        }));
    }
    let (who, rest) = line.split_once(' ')?;
    if who.ends_with(':') {
        return None;
    }
    let (who, rest) = (who.to_owned(), rest.trim());
    if let Some(chat) = rest.strip_prefix("shares ") {
        return Some(Ok(Step::Share {
            who,
            chat: chat.trim().to_owned(),
        }));
    }
    if let Some(from) = rest
        .strip_prefix("opens ")
        .and_then(|r| r.strip_suffix("'s team invite"))
    {
        return Some(Ok(Step::OpenTeamInvite {
            who,
            from: from.trim().to_owned(),
        }));
    }
    if let Some(chat) = rest.strip_prefix("opens the link of ") {
        let (chat, promo) = match chat.split_once(" with code ") {
            Some((chat, promo)) => (chat, Some(promo.trim().to_owned())),
            None => (chat, None),
        };
        return Some(Ok(Step::OpenLink {
            who,
            chat: chat.trim().to_owned(),
            promo,
        }));
    }
    if let Some(chat) = rest.strip_prefix("joins ")
        && !chat.starts_with('@')
    {
        let (chat, with_link_of) = match chat.split_once(" with ") {
            Some((chat, link)) => match link.strip_suffix("'s link") {
                Some(of) => (chat, Some(of.trim().to_owned())),
                None => return Some(Err("WHO joins CHAT [with OTHER's link]".into())),
            },
            None => (chat, None),
        };
        return Some(Ok(Step::Join {
            who,
            chat: chat.trim().to_owned(),
            with_link_of,
        }));
    }
    if let Some(chat) = rest.strip_prefix("is not in ") {
        return Some(Ok(Step::IsIn {
            who,
            chat: chat.trim().to_owned(),
            inside: false,
        }));
    }
    if let Some(chat) = rest.strip_prefix("is in ") {
        return Some(Ok(Step::IsIn {
            who,
            chat: chat.trim().to_owned(),
            inside: true,
        }));
    }
    if let Some(call) = rest.strip_prefix("calls ") {
        let usage = "WHO calls METHOD PATH [JSON] -> STATUS";
        let Some((request, status)) = call.rsplit_once(" -> ") else {
            return Some(Err(usage.into()));
        };
        let mut parts = request.trim().splitn(3, ' ');
        let (Some(method), Some(path)) = (parts.next(), parts.next()) else {
            return Some(Err(usage.into()));
        };
        let body = parts.next().map(|b| b.trim().to_owned());
        let Ok(status) = status.trim().parse::<u16>() else {
            return Some(Err(usage.into()));
        };
        return Some(Ok(Step::Api {
            who,
            method: method.to_owned(),
            path: path.to_owned(),
            body,
            status,
        }));
    }
    if let Some(after) = rest.strip_prefix("got") {
        return Some(match parse_expect(after) {
            Ok(Expect::Contains(text)) => Ok(Step::Got { who, text }),
            _ => Err("WHO got ~ \"TEXT\"".into()),
        });
    }
    None
}

/// Splits `a "b c" d=e f="g h"` into words, keeping quoted parts whole (quotes removed).
fn words(s: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in s.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            c => {
                cur.push(c);
                any = true;
            }
        }
    }
    if quoted {
        return Err("unclosed quote".into());
    }
    if any {
        out.push(cur);
    }
    Ok(out)
}

/// A `"quoted"` text; inside it `\"` is a quote and `\n` a line break.
fn quoted(s: &str) -> Result<String, String> {
    let s = s.trim();
    s.strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .map(|t| t.replace("\\\"", "\"").replace("\\n", "\n"))
        .ok_or_else(|| format!("expected a \"quoted\" text, got {s}"))
}

fn parse_expect(rest: &str) -> Result<Expect, String> {
    let rest = rest.trim();
    if let Some(text) = rest.strip_prefix('~') {
        return Ok(Expect::Contains(quoted(text)?));
    }
    let body = rest
        .strip_prefix(':')
        .ok_or("after the recipient write ': reply-key args', ': \"text\"' or '~ \"text\"'")?
        .trim();
    if body == "nothing" {
        return Ok(Expect::Nothing);
    }
    if body.starts_with('"') {
        return Ok(Expect::Exact(quoted(body)?));
    }
    if let Some(rest) = body.strip_prefix("invoice ") {
        let usage = "invoice \"TITLE\" for AMOUNT CURRENCY";
        let w = words(rest)?;
        let [title, for_, amount, currency] = w.as_slice() else {
            return Err(usage.into());
        };
        if for_ != "for" {
            return Err(usage.into());
        }
        return Ok(Expect::Invoice {
            title: title.clone(),
            amount: amount
                .parse()
                .map_err(|_| format!("{usage}: the amount must be a number"))?,
            currency: currency.clone(),
        });
    }
    let mut parts = words(body)?.into_iter();
    let key = parts.next().ok_or("a reply key is missing")?;
    let mut args = BTreeMap::new();
    for p in parts {
        let (k, v) = p
            .split_once('=')
            .ok_or_else(|| format!("reply arguments are name=value, got {p}"))?;
        args.insert(k.to_owned(), v.to_owned());
    }
    Ok(Expect::Reply { key, args })
}

/// `@topic(alice)rest` → `("alice", "rest")`.
fn topic_of(s: &str) -> Option<Result<(String, &str), String>> {
    let inner = s.strip_prefix("@topic(")?;
    Some(match inner.split_once(')') {
        Some((who, rest)) if !who.trim().is_empty() => Ok((who.trim().to_owned(), rest)),
        _ => Err("write @topic(HANDLE)".into()),
    })
}

/// `stripe completes alice's checkout` and the like; None when the line is something else
/// (someone called stripe may still speak).
fn stripe_line(line: &str) -> Option<Result<Step, String>> {
    let rest = line.strip_prefix("stripe ")?;
    let (verb, object) = rest.split_once(' ')?;
    let (action, thing) = match verb {
        "completes" => (StripeAction::Complete, "checkout"),
        "expires" => (StripeAction::Expire, "checkout"),
        "refunds" => (StripeAction::Refund, "payment"),
        "onboards" => (StripeAction::Onboard, "account"),
        "renews" => (StripeAction::Renew, "subscription"),
        "declines" => (StripeAction::Decline, "renewal"),
        "collects" => (StripeAction::PayInvoice, "invoice"),
        _ => return None,
    };
    Some(match object.trim().strip_suffix(&format!("'s {thing}")) {
        Some(who) if !who.is_empty() && !who.contains(' ') => Ok(Step::Stripe {
            action,
            who: who.to_owned(),
        }),
        _ => Err(format!("stripe {verb} WHO's {thing}")),
    })
}

fn parse_line(line: &str) -> Result<Option<Step>, String> {
    let line = match line.find(" #") {
        Some(i) if line[..i].matches('"').count().is_multiple_of(2) => &line[..i],
        _ => line,
    };
    let trimmed = line.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return Ok(None);
    }
    if let Some(rest) = trimmed.strip_prefix("person ") {
        let w = words(rest)?;
        if w.len() < 3 {
            return Err("person HANDLE LANGUAGE FIRST-NAME".into());
        }
        return Ok(Some(Step::Person {
            handle: w[0].clone(),
            language: w[1].clone(),
            first_name: w[2..].join(" "),
        }));
    }
    if let Some(rest) = trimmed.strip_prefix("buttons:") {
        return Ok(Some(Step::Buttons(words(rest)?)));
    }
    if let Some(rest) = trimmed.strip_prefix("db credits of ") {
        let (who, credits) = rest.split_once('=').ok_or("db credits of WHO = N")?;
        let credits = credits
            .trim()
            .parse()
            .map_err(|_| "the credits must be a number")?;
        return Ok(Some(Step::DbCredits {
            who: who.trim().to_owned(),
            credits,
        }));
    }
    if let Some(rest) = trimmed.strip_prefix("db order of ") {
        let (who, status) = rest.split_once('=').ok_or("db order of WHO = STATUS")?;
        return Ok(Some(Step::DbOrder {
            who: who.trim().to_owned(),
            status: status.trim().to_owned(),
        }));
    }
    if let Some(step) = stripe_line(trimmed) {
        return step.map(Some);
    }
    if let Some(step) = seller_line(trimmed) {
        return step.map(Some);
    }
    if let Some(rest) = trimmed.strip_prefix("db ") {
        let (table, count) = rest.split_once('=').ok_or("db TABLE = COUNT")?;
        let count = count
            .trim()
            .parse()
            .map_err(|_| "the count must be a number")?;
        return Ok(Some(Step::DbCount {
            table: table.trim().to_owned(),
            count,
        }));
    }
    if let Some(rest) = trimmed.strip_prefix("bot ->") {
        let rest = rest.trim_start();
        let (to, after) = if let Some(topic) = topic_of(rest) {
            let (who, after) = topic?;
            (Recipient::Topic(who), after)
        } else if let Some(after) = rest.strip_prefix("@admin") {
            (Recipient::Admin, after)
        } else {
            let end = rest
                .find([':', '~', ' '])
                .ok_or("bot -> WHO: ... or bot -> WHO ~ \"...\"")?;
            (Recipient::Person(rest[..end].to_owned()), &rest[end..])
        };
        return Ok(Some(Step::Bot {
            to,
            expect: parse_expect(after)?,
        }));
    }
    if let Some(rest) = trimmed.strip_prefix("bot answers ") {
        let end = rest
            .find([':', '~', ' '])
            .ok_or("bot answers WHO: ... or bot answers WHO ~ \"...\"")?;
        return Ok(Some(Step::Answer {
            who: rest[..end].to_owned(),
            expect: parse_expect(&rest[end..])?,
        }));
    }
    if let Some(rest) = trimmed.strip_prefix("topic of ") {
        let of = rest
            .strip_suffix(" is deleted")
            .ok_or("topic of WHO is deleted")?;
        return Ok(Some(Step::DeleteTopic {
            of: of.trim().to_owned(),
        }));
    }
    let (head, _) = trimmed.split_once(' ').unwrap_or((trimmed, ""));
    if let Some(who) = head.strip_suffix(':') {
        let text = trimmed[head.len()..].trim();
        return Ok(Some(Step::Say {
            who: who.to_owned(),
            place: Place::Private,
            text: text.replace("\\n", "\n"),
        }));
    }
    let who = head.to_owned();
    let rest = trimmed[head.len()..].trim();
    if let Some(text) = rest.strip_prefix("@admin:") {
        return Ok(Some(Step::Say {
            who,
            place: Place::Admin,
            text: text.trim().replace("\\n", "\n"),
        }));
    }
    if let Some(topic) = topic_of(rest) {
        let (of, after) = topic?;
        let text = after.strip_prefix(':').ok_or("WHO @topic(HANDLE): TEXT")?;
        return Ok(Some(Step::Say {
            who,
            place: Place::Topic(of),
            text: text.trim().replace("\\n", "\n"),
        }));
    }
    if let Some(label) = rest.strip_prefix("presses ") {
        let (in_admin, label) = match label.trim_start().strip_prefix("@admin ") {
            Some(label) => (true, label),
            None => (false, label),
        };
        let (old, label) = match label.trim_start().strip_prefix("old ") {
            Some(label) => (true, label),
            None => (false, label),
        };
        return Ok(Some(Step::Press {
            who,
            label: quoted(label)?,
            old,
            in_admin,
        }));
    }
    if let Some(after) = rest.strip_prefix("sees") {
        let (in_admin, after) = match after.trim_start().strip_prefix("@admin") {
            Some(after) => (true, after),
            None => (false, after),
        };
        let expect = parse_expect(after)?;
        if expect == Expect::Nothing {
            return Err("'sees: nothing' means nothing; use 'bot -> WHO: nothing'".into());
        }
        return Ok(Some(Step::Sees {
            who,
            expect,
            in_admin,
        }));
    }
    if let Some(name) = rest.strip_prefix("sends a document ") {
        return Ok(Some(Step::SendMedia {
            who,
            media: Media::Document(quoted(name)?),
        }));
    }
    match rest {
        "sends a photo" => Ok(Some(Step::SendMedia {
            who,
            media: Media::Photo,
        })),
        "sends a sticker" => Ok(Some(Step::SendMedia {
            who,
            media: Media::Sticker,
        })),
        "pays" => Ok(Some(Step::Pay { who })),
        "blocks the bot" => Ok(Some(Step::Block { who, blocked: true })),
        "unblocks the bot" => Ok(Some(Step::Block {
            who,
            blocked: false,
        })),
        "joins @admin as member" => Ok(Some(Step::JoinAdmin {
            who,
            administrator: false,
        })),
        "joins @admin as administrator" => Ok(Some(Step::JoinAdmin {
            who,
            administrator: true,
        })),
        _ => Err(format!("cannot read this line: {trimmed}")),
    }
}

pub fn parse(source: &str) -> Result<Vec<Line>, String> {
    let mut out = Vec::new();
    for (i, raw) in source.lines().enumerate() {
        match parse_line(raw) {
            Ok(Some(step)) => out.push(Line {
                number: i + 1,
                step,
            }),
            Ok(None) => {}
            Err(e) => return Err(format!("line {}: {e}", i + 1)),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_line_parses() {
        let src = r#"
# a comment
person alice en Alice Liddell
alice: /start ref_1
olga @admin: /status
bot -> alice: welcome-new name=Alice
bot -> alice: unknown-command command="/x y"
bot -> alice: "exact text"
bot -> @admin ~ "Users: 2"
  buttons: "Buy" "History"
alice presses "Buy"
alice pays
alice blocks the bot
alice unblocks the bot
bot -> alice: nothing
db users = 2
olga @topic(alice): Hello! (see you)
bot -> @topic(alice): user-card id={alice} pass=—
bot -> @topic(alice) ~ "Hello team"
bot -> @topic(alice): nothing
topic of alice is deleted
alice sees ~ "2/3"
alice sees: tour-done bonus=2 balance=5
alice presses old "Finish"
bot answers alice: button-expired
bot answers alice: nothing
db credits of alice = 5
mia joins @admin as member
"#;
        let steps: Vec<Step> = parse(src).unwrap().into_iter().map(|l| l.step).collect();
        assert_eq!(steps.len(), 26);
        assert_eq!(
            steps[25],
            Step::JoinAdmin {
                who: "mia".into(),
                administrator: false
            }
        );
        assert_eq!(
            steps[0],
            Step::Person {
                handle: "alice".into(),
                language: "en".into(),
                first_name: "Alice Liddell".into()
            }
        );
        assert_eq!(
            steps[4],
            Step::Bot {
                to: Recipient::Person("alice".into()),
                expect: Expect::Reply {
                    key: "unknown-command".into(),
                    args: [("command".to_owned(), "/x y".to_owned())].into()
                }
            }
        );
        assert_eq!(
            steps[7],
            Step::Buttons(vec!["Buy".into(), "History".into()])
        );
        assert_eq!(
            steps[13],
            Step::DbCount {
                table: "users".into(),
                count: 2
            }
        );
        assert_eq!(
            steps[14],
            Step::Say {
                who: "olga".into(),
                place: Place::Topic("alice".into()),
                text: "Hello! (see you)".into()
            }
        );
        assert_eq!(
            steps[15],
            Step::Bot {
                to: Recipient::Topic("alice".into()),
                expect: Expect::Reply {
                    key: "user-card".into(),
                    args: [
                        ("id".to_owned(), "{alice}".to_owned()),
                        ("pass".to_owned(), "—".to_owned())
                    ]
                    .into()
                }
            }
        );
        assert_eq!(
            steps[16],
            Step::Bot {
                to: Recipient::Topic("alice".into()),
                expect: Expect::Contains("Hello team".into())
            }
        );
        assert_eq!(
            steps[17],
            Step::Bot {
                to: Recipient::Topic("alice".into()),
                expect: Expect::Nothing
            }
        );
        assert_eq!(steps[18], Step::DeleteTopic { of: "alice".into() });
        assert_eq!(
            steps[19],
            Step::Sees {
                who: "alice".into(),
                expect: Expect::Contains("2/3".into()),
                in_admin: false,
            }
        );
        assert!(
            matches!(&steps[20], Step::Sees { expect: Expect::Reply { key, .. }, .. } if key == "tour-done")
        );
        assert_eq!(
            steps[21],
            Step::Press {
                who: "alice".into(),
                label: "Finish".into(),
                old: true,
                in_admin: false,
            }
        );
        assert_eq!(
            steps[22],
            Step::Answer {
                who: "alice".into(),
                expect: Expect::Reply {
                    key: "button-expired".into(),
                    args: BTreeMap::new()
                }
            }
        );
        assert_eq!(
            steps[23],
            Step::Answer {
                who: "alice".into(),
                expect: Expect::Nothing
            }
        );
        assert_eq!(
            steps[24],
            Step::DbCredits {
                who: "alice".into(),
                credits: 5
            }
        );
    }

    #[test]
    fn seller_lines_parse() {
        let steps = parse(concat!(
            "chat vip channel \"Sam VIP\" of sam\n",
            "bot is admin of vip without ban\n",
            "sam shares vip\n",
            "bob opens the link of vip\n",
            "eve joins vip with bob's link\n",
            "bob is not in vip\n",
            "bob got ~ \"a \\\"b\\\"\\nc\"\n",
            "chat vip shows ~ \"BTC\"\n",
            "time passes 2 days\n",
        ))
        .unwrap();
        let steps: Vec<Step> = steps.into_iter().map(|l| l.step).collect();
        assert_eq!(
            steps,
            vec![
                Step::Chat {
                    handle: "vip".into(),
                    channel: true,
                    title: "Sam VIP".into(),
                    owner: "sam".into()
                },
                Step::BotAdmin {
                    chat: "vip".into(),
                    can_ban: false
                },
                Step::Share {
                    who: "sam".into(),
                    chat: "vip".into()
                },
                Step::OpenLink {
                    who: "bob".into(),
                    chat: "vip".into(),
                    promo: None
                },
                Step::Join {
                    who: "eve".into(),
                    chat: "vip".into(),
                    with_link_of: Some("bob".into())
                },
                Step::IsIn {
                    who: "bob".into(),
                    chat: "vip".into(),
                    inside: false
                },
                Step::Got {
                    who: "bob".into(),
                    text: "a \"b\"\nc".into()
                },
                Step::Shows {
                    chat: "vip".into(),
                    text: "BTC".into()
                },
                Step::TimePasses {
                    minutes: 2 * 24 * 60
                },
            ]
        );
        assert!(parse("time passes 2 weeks").is_err());
        assert_eq!(
            parse(
                "telegram renews bob's subscription to vip\ntelegram ends eve's subscription to vip"
            )
            .unwrap()
            .into_iter()
            .map(|l| l.step)
            .collect::<Vec<_>>(),
            vec![
                Step::StarSubscription {
                    who: "bob".into(),
                    chat: "vip".into(),
                    renew: true
                },
                Step::StarSubscription {
                    who: "eve".into(),
                    chat: "vip".into(),
                    renew: false
                },
            ]
        );
        assert!(parse("telegram forgets bob").is_err());
        assert!(parse("chat vip forum \"X\" of sam").is_err());
    }

    #[test]
    fn payment_lines_parse() {
        let src = r#"
bot -> alice: invoice "25 credits" for 500 XTR
alice sees: invoice "10 credits" for 250 XTR
stripe completes alice's checkout
stripe expires alice's checkout
stripe refunds alice's payment   # in full
db order of alice = refunded
db orders = 2
stripe: I am a person called stripe
"#;
        let steps: Vec<Step> = parse(src).unwrap().into_iter().map(|l| l.step).collect();
        assert_eq!(
            steps[0],
            Step::Bot {
                to: Recipient::Person("alice".into()),
                expect: Expect::Invoice {
                    title: "25 credits".into(),
                    amount: 500,
                    currency: "XTR".into()
                }
            }
        );
        assert!(matches!(
            &steps[1],
            Step::Sees {
                expect: Expect::Invoice { amount: 250, .. },
                ..
            }
        ));
        let stripe = |action| Step::Stripe {
            action,
            who: "alice".into(),
        };
        assert_eq!(steps[2], stripe(StripeAction::Complete));
        assert_eq!(steps[3], stripe(StripeAction::Expire));
        assert_eq!(steps[4], stripe(StripeAction::Refund));
        assert_eq!(
            steps[5],
            Step::DbOrder {
                who: "alice".into(),
                status: "refunded".into()
            }
        );
        assert_eq!(
            steps[6],
            Step::DbCount {
                table: "orders".into(),
                count: 2
            }
        );
        assert!(matches!(&steps[7], Step::Say { who, .. } if who == "stripe"));

        assert!(parse("stripe completes alice's payment").is_err());
        assert!(parse("stripe refunds alice's checkout").is_err());
        assert!(parse("stripe expires 's checkout").is_err());
        assert!(parse("bot -> alice: invoice \"25 credits\" 500 XTR").is_err());
        assert!(parse("bot -> alice: invoice \"25 credits\" for many XTR").is_err());
        assert!(parse("db order of alice").is_err());
    }

    #[test]
    fn presses_and_looks_in_the_admin_group() {
        let lines =
            parse("olga presses @admin \"📊 Dashboard\"\nolga sees @admin ~ \"Users: 2\"").unwrap();
        let steps: Vec<Step> = lines.into_iter().map(|l| l.step).collect();
        assert_eq!(
            steps[0],
            Step::Press {
                who: "olga".into(),
                label: "📊 Dashboard".into(),
                old: false,
                in_admin: true,
            }
        );
        assert_eq!(
            steps[1],
            Step::Sees {
                who: "olga".into(),
                expect: Expect::Contains("Users: 2".into()),
                in_admin: true,
            }
        );
    }

    #[test]
    fn a_line_that_means_nothing_is_an_error_with_its_number() {
        let err = parse("person a en A\n\nalice dances").unwrap_err();
        assert!(err.starts_with("line 3:"), "{err}");
        assert!(parse("bot -> alice: \"unclosed").is_err());
        assert!(parse("bot -> @topic(: \"x\"").is_err());
        assert!(parse("olga @topic(alice) hello").is_err());
        assert!(parse("topic of alice is gone").is_err());
        assert!(parse("alice sees: nothing").is_err());
    }

    #[test]
    fn a_team_invite_is_opened_from_whoever_was_shown_it() {
        let steps =
            parse("person sam en Sam\nperson ada en Ada\nada opens sam's team invite\n").unwrap();
        assert_eq!(
            steps.last().map(|l| &l.step),
            Some(&Step::OpenTeamInvite {
                who: "ada".into(),
                from: "sam".into()
            })
        );
    }
}
