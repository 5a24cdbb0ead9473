//! The terminal chat: type as a person, see what the bot sends, press its buttons.
use std::{collections::HashMap, path::Path, time::Duration};

use tg_emulator::Recorded;
use tokio::io::{AsyncBufReadExt, BufReader};

use super::Harness;

const HELP: &str = "\
  anything       send it as the current person (/start, /help … included)
  :as NAME       act as another person (see :who)
  :in private    talk to the bot privately
  :in admin      write into the admin group (General topic)
  :topic N       write into topic N of the admin group
  :press N       press button N of the last message with buttons here (a Join link
                 button joins its chat)
  :pay           pay the last invoice here (Telegram Stars or a card in Telegram)
  :block         block the bot as the current person (:unblock undoes it)
  :jobs          run due background jobs now
  :channel TITLE create a channel the current person owns (:group TITLE: a group)
  :share         share your newest channel or group with the bot's share button (/sell)
  :who           list people and chats
  :quit          stop (Ctrl-D too)";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Private,
    Admin(Option<i32>),
}

struct Session {
    people: Vec<(String, i64)>,
    me: usize,
    place: Place,
    admin_chat: Option<i64>,
    /// Channels and groups people created: (owner, title, chat id, is a channel).
    chats: Vec<(i64, String, i64, bool)>,
}

impl Session {
    fn me(&self) -> (&str, i64) {
        let (name, id) = &self.people[self.me];
        (name, *id)
    }

    fn chat(&self) -> Option<(i64, Option<i32>)> {
        match self.place {
            Place::Private => Some((self.me().1, None)),
            Place::Admin(thread) => self.admin_chat.map(|c| (c, thread)),
        }
    }

    fn prompt(&self) -> String {
        let place = match self.place {
            Place::Private => "private chat".to_owned(),
            Place::Admin(None) => "admin group".to_owned(),
            Place::Admin(Some(t)) => format!("admin group, topic {t}"),
        };
        format!("{} @ {place}", self.me().0)
    }
}

fn show(rec: &Recorded, names: &HashMap<i64, String>, admin_chat: Option<i64>) -> String {
    let to = if Some(rec.chat_id) == admin_chat {
        match rec.thread_id {
            Some(t) => format!("admin group, topic {t}"),
            None => "admin group".to_owned(),
        }
    } else {
        names
            .get(&rec.chat_id)
            .cloned()
            .unwrap_or_else(|| rec.chat_id.to_string())
    };
    let verb = if rec.edited { "edited" } else { "→" };
    let body = match (rec.body(), rec.kind.as_str()) {
        (Some(b), _) => b.to_owned(),
        (None, "invoice") => {
            let inv = &rec.raw["invoice"];
            format!(
                "🧾 {} · {} {} (type :pay to pay it)",
                inv["title"].as_str().unwrap_or_default(),
                inv["total_amount"],
                inv["currency"].as_str().unwrap_or_default()
            )
        }
        (None, kind) => format!("<{kind}>"),
    };
    let mut out = format!("\n[bot {verb} {to}] {}", body.replace('\n', "\n    "));
    if let Some(rows) = &rec.reply_keyboard {
        out.push_str("\n    keyboard:");
        for label in rows.iter().flatten() {
            out.push_str(&format!(" [{label}]"));
        }
        out.push_str(" (:share picks your newest chat)");
    }
    let mut n = 0;
    for row in &rec.buttons {
        out.push_str("\n   ");
        for b in row {
            n += 1;
            out.push_str(&format!(" [{n}] {}", b.text));
            if let Some(url) = &b.url {
                out.push_str(&format!(" ({url})"));
            }
        }
    }
    out
}

pub(super) async fn chat(h: &Harness, db_file: &Path) -> anyhow::Result<()> {
    let emu = &h.emulator;
    let alice = h.add_user("Alice", "en");
    let boris = h.add_user("Boris", "ru");
    let mut people = vec![("alice".to_owned(), alice), ("boris".to_owned(), boris)];
    if let Some(op) = h.operator_id {
        people.push(("olga".to_owned(), op));
    }
    let names: HashMap<i64, String> = [(alice, "Alice".to_owned()), (boris, "Boris".to_owned())]
        .into_iter()
        .chain(h.operator_id.map(|op| (op, "Olga (operator)".to_owned())))
        .collect();
    let mut session = Session {
        people,
        me: 0,
        place: Place::Private,
        admin_chat: h.admin_chat_id,
        chats: Vec::new(),
    };

    println!("Tollgate sandbox: the real app against a built-in Telegram emulator.");
    println!(
        "  app HTTP  : http://{} (/healthz, /readyz, /metrics)",
        h.app.http_addr
    );
    println!("  database  : {}", db_file.display());
    println!("  people    : alice (en), boris (ru), olga (operator in the admin group)");
    println!("Type :help for commands. Try /start.\n");
    println!("[{}]", session.prompt());

    let mut feed = emu.subscribe();
    let printer_names = names.clone();
    let admin_chat = h.admin_chat_id;
    let printer = tokio::spawn(async move {
        loop {
            match feed.recv().await {
                Ok(rec) => println!("{}", show(&rec, &printer_names, admin_chat)),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(_) => return,
            }
        }
    });

    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await? {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (cmd, arg) = line.split_once(' ').unwrap_or((line, ""));
        let arg = arg.trim();
        let handled_before = h.app.ctx.metrics.handled();
        let result: anyhow::Result<()> = match cmd {
            ":help" => {
                println!("{HELP}");
                Ok(())
            }
            ":quit" | ":q" => break,
            ":who" => {
                for (name, id) in &session.people {
                    println!("  {name}: user id {id}");
                }
                if let Some(c) = h.admin_chat_id {
                    println!("  admin group: chat id {c}");
                }
                for (_, title, id, channel) in &session.chats {
                    let kind = if *channel { "channel" } else { "group" };
                    println!("  {kind} \"{title}\": chat id {id}");
                }
                Ok(())
            }
            ":channel" | ":group" if !arg.is_empty() => {
                let owner = session.me().1;
                let channel = cmd == ":channel";
                let id = if channel {
                    emu.create_channel(arg)
                } else {
                    emu.create_supergroup(arg, false)
                };
                emu.add_member(id, owner, tg_emulator::MemberStatus::Creator);
                session.chats.push((owner, arg.to_owned(), id, channel));
                println!("  created \"{arg}\" (chat id {id}); /sell, then :share");
                Ok(())
            }
            ":share" => {
                let me = session.me().1;
                match session.chats.iter().rev().find(|c| c.0 == me) {
                    Some((_, _, id, channel)) => emu
                        .share_chat(me, *id, if *channel { 1 } else { 2 })
                        .map(|_| ())
                        .map_err(Into::into),
                    None => Err(anyhow::anyhow!("create one first: :channel TITLE")),
                }
            }
            ":as" => match session.people.iter().position(|(n, _)| n == arg) {
                Some(i) => {
                    session.me = i;
                    Ok(())
                }
                None => Err(anyhow::anyhow!("nobody called '{arg}' (see :who)")),
            },
            ":in" => match arg {
                "private" => {
                    session.place = Place::Private;
                    Ok(())
                }
                "admin" if h.admin_chat_id.is_some() => {
                    session.place = Place::Admin(None);
                    Ok(())
                }
                _ => Err(anyhow::anyhow!("say :in private or :in admin")),
            },
            ":topic" => match arg.parse::<i32>() {
                Ok(t) if h.admin_chat_id.is_some() => {
                    session.place = Place::Admin(Some(t));
                    Ok(())
                }
                _ => Err(anyhow::anyhow!("say :topic N with a topic number")),
            },
            ":press" => press(h, &session, arg),
            ":pay" => pay(h, &session).await,
            ":block" => {
                emu.block_bot(session.me().1);
                Ok(())
            }
            ":unblock" => {
                emu.unblock_bot(session.me().1);
                Ok(())
            }
            ":jobs" => h
                .app
                .ctx
                .jobs
                .drain()
                .await
                .map(|ran| println!("  ran {} job(s)", ran.len()))
                .map_err(Into::into),
            _ if cmd.starts_with(':') => {
                Err(anyhow::anyhow!("unknown sandbox command {cmd} (:help)"))
            }
            _ => send(h, &session, line),
        };
        match result {
            // The bot got an update: let it answer before the next prompt, so the chat reads
            // in order (and piped scripts behave like a person typing).
            Ok(())
                if cmd == ":press" || cmd == ":pay" || cmd == ":share" || !cmd.starts_with(':') =>
            {
                let _ = h
                    .app
                    .ctx
                    .metrics
                    .wait_handled(handled_before + 1, Duration::from_secs(5))
                    .await;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Ok(()) => {}
            Err(e) => println!("  ! {e}"),
        }
        println!("[{}]", session.prompt());
    }
    // Input ended (Ctrl-D, or a piped script): let the last replies arrive, then stop.
    let handled = h.app.ctx.metrics.handled();
    let _ = h
        .app
        .ctx
        .metrics
        .wait_handled(handled + 1, Duration::from_millis(1500))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    printer.abort();
    Ok(())
}

fn send(h: &Harness, s: &Session, text: &str) -> anyhow::Result<()> {
    let (chat, thread) = s.chat().ok_or_else(|| anyhow::anyhow!("no admin group"))?;
    let from = s.me().1;
    let msg = tg_emulator::OutgoingMessage {
        kind: tg_emulator::OutgoingKind::Text(text.to_owned()),
        thread_id: thread,
        reply_to: None,
    };
    h.emulator.send(from, chat, msg)?;
    Ok(())
}

fn press(h: &Harness, s: &Session, arg: &str) -> anyhow::Result<()> {
    let n: usize = arg
        .parse()
        .map_err(|_| anyhow::anyhow!("say :press N with a button number"))?;
    let (chat, _) = s.chat().ok_or_else(|| anyhow::anyhow!("no admin group"))?;
    let last = h
        .emulator
        .bot_messages(chat)
        .into_iter()
        .rev()
        .find(|m| !m.buttons.is_empty())
        .ok_or_else(|| anyhow::anyhow!("no message with buttons here"))?;
    let button = last
        .buttons
        .iter()
        .flatten()
        .nth(n.wrapping_sub(1))
        .ok_or_else(|| anyhow::anyhow!("there is no button {n}"))?;
    match (&button.callback_data, &button.url) {
        (Some(data), _) => {
            h.emulator
                .press_button(s.me().1, chat, last.message_id, data)?;
            Ok(())
        }
        (None, Some(url)) => {
            // A deep link to the bot starts it with its payload (as Telegram's client does);
            // an invite link joins its chat; any other link would open in a browser.
            let bot = format!("https://t.me/{}?start=", h.emulator.bot_username());
            if let Some(payload) = url.strip_prefix(&bot) {
                let me = s.me().1;
                h.emulator.send_text(me, me, &format!("/start {payload}"))?;
                return Ok(());
            }
            match h.emulator.join_via_link(s.me().1, url) {
                Ok(outcome) => println!("  ({outcome:?})"),
                Err(tg_emulator::EmulatorError::InviteLinkNotFound) => println!("  (opens {url})"),
                Err(e) => println!("  (the link does not let you in: {e})"),
            }
            Ok(())
        }
        _ => Err(anyhow::anyhow!("that button does nothing")),
    }
}

async fn pay(h: &Harness, s: &Session) -> anyhow::Result<()> {
    let (chat, _) = s.chat().ok_or_else(|| anyhow::anyhow!("no admin group"))?;
    let invoice = h
        .emulator
        .bot_messages(chat)
        .into_iter()
        .rev()
        .find(|m| m.kind == "invoice")
        .ok_or_else(|| anyhow::anyhow!("no invoice here (try /buy)"))?;
    let outcome = h
        .emulator
        .pay_invoice(s.me().1, chat, invoice.message_id)
        .await?;
    println!("  ({outcome:?})");
    Ok(())
}
