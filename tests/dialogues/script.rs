//! The dialogue script format: a conversation that is also a test.
//!
//! ```text
//! # comments start with '#'
//! person alice en Alice            # a person: handle, Telegram language_code, first name
//! alice: /start                    # alice writes to the bot privately
//! olga @admin: /status             # olga writes into the admin group
//! bot -> alice: welcome-new name=Alice     # the next bot message to alice is this reply,
//!                                          # rendered in alice's language
//! bot -> alice: "exact text"       # ... or exactly this text
//! bot -> @admin ~ "Users: 2"       # ... or contains this text
//!   buttons: "Buy" "History"       # the message just read has these buttons
//! alice presses "Buy"              # press a button of alice's latest bot message
//! alice pays                       # pay the latest invoice in alice's chat
//! alice blocks the bot             # (and: alice unblocks the bot)
//! bot -> alice: nothing            # no further message to alice
//! db users = 2                     # rows in a table (users, processed_events, jobs)
//! ```
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Private,
    Admin,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    Person(String),
    Admin,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    Reply {
        key: String,
        args: BTreeMap<String, String>,
    },
    Exact(String),
    Contains(String),
    Nothing,
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
    },
    Pay {
        who: String,
    },
    Block {
        who: String,
        blocked: bool,
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
}

#[derive(Debug, Clone)]
pub struct Line {
    pub number: usize,
    pub step: Step,
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

fn quoted(s: &str) -> Result<String, String> {
    let s = s.trim();
    s.strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .map(str::to_owned)
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
        let (to, after) = if let Some(after) = rest.strip_prefix("@admin") {
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
    let (head, _) = trimmed.split_once(' ').unwrap_or((trimmed, ""));
    if let Some(who) = head.strip_suffix(':') {
        let text = trimmed[head.len()..].trim();
        return Ok(Some(Step::Say {
            who: who.to_owned(),
            place: Place::Private,
            text: text.to_owned(),
        }));
    }
    let who = head.to_owned();
    let rest = trimmed[head.len()..].trim();
    if let Some(text) = rest.strip_prefix("@admin:") {
        return Ok(Some(Step::Say {
            who,
            place: Place::Admin,
            text: text.trim().to_owned(),
        }));
    }
    if let Some(label) = rest.strip_prefix("presses ") {
        return Ok(Some(Step::Press {
            who,
            label: quoted(label)?,
        }));
    }
    match rest {
        "pays" => Ok(Some(Step::Pay { who })),
        "blocks the bot" => Ok(Some(Step::Block { who, blocked: true })),
        "unblocks the bot" => Ok(Some(Step::Block {
            who,
            blocked: false,
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
"#;
        let steps: Vec<Step> = parse(src).unwrap().into_iter().map(|l| l.step).collect();
        assert_eq!(steps.len(), 14);
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
    }

    #[test]
    fn a_line_that_means_nothing_is_an_error_with_its_number() {
        let err = parse("person a en A\n\nalice dances").unwrap_err();
        assert!(err.starts_with("line 3:"), "{err}");
        assert!(parse("bot -> alice: \"unclosed").is_err());
    }
}
