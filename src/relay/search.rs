//! Search over what users wrote to the team: the texts and captions of relayed messages
//! ([`threads::kept_text`]), newest first, each with where its copy sits in the admin group.
//!
//! Matching is a case-insensitive substring test on the text folded when it was recorded
//! (`search_text`, [`threads::folded`]), so it treats every script alike on SQLite and
//! PostgreSQL; `%`, `_` and `\` in a query match themselves. On PostgreSQL a trigram index
//! serves the test (migration `relay_text`).
use chrono::{DateTime, Utc};

use crate::{
    relay::threads::{self, Direction},
    services::ServiceResult,
    storage::{self, Db},
};

/// The shortest query searched (one character would match nearly everything).
pub const QUERY_MIN: usize = 2;
/// The longest query searched.
pub const QUERY_MAX: usize = 100;
/// Characters of text shown around a match.
pub const SNIPPET: usize = 120;

/// A query as searched: trimmed, within [`QUERY_MIN`]..=[`QUERY_MAX`] characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query(String);

impl Query {
    pub fn parse(raw: &str) -> Option<Self> {
        let q = raw.trim();
        let n = q.chars().count();
        (QUERY_MIN..=QUERY_MAX)
            .contains(&n)
            .then(|| Self(q.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The `LIKE` pattern: the folded query, its wildcards escaped by `\`, between `%`s.
    fn pattern(&self) -> String {
        let mut p = String::with_capacity(self.0.len() + 2);
        p.push('%');
        for c in threads::folded(&self.0).chars() {
            if matches!(c, '%' | '_' | '\\') {
                p.push('\\');
            }
            p.push(c);
        }
        p.push('%');
        p
    }
}

/// A relayed message that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub user_id: i64,
    /// The user's name and @username, when the user is still known.
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub username: Option<String>,
    pub text: String,
    pub at: DateTime<Utc>,
    /// The copy in the admin group.
    pub admin_chat_id: i64,
    pub admin_message_id: i32,
    /// The forum topic the copy is in: the user's topic, when it is in that group and was
    /// opened before the message (a topic recreated since holds only newer messages).
    pub thread_id: Option<i32>,
}

/// One page of the messages whose text contains `query`, newest first, and whether more
/// follow.
#[tracing::instrument(skip_all, fields(page))]
pub async fn messages(
    db: &Db,
    query: &Query,
    page: u32,
    per_page: u32,
) -> ServiceResult<(Vec<Found>, bool)> {
    let sql = "SELECT r.user_id, r.text, r.created_at, r.admin_chat_id, r.admin_message_id, \
           u.first_name, u.last_name, u.username, \
           t.chat_id AS topic_chat, t.thread_id AS topic_thread, t.created_at AS topic_since \
         FROM relay_messages r \
         LEFT JOIN users u ON u.id = r.user_id \
         LEFT JOIN support_topics t ON t.user_id = r.user_id \
         WHERE r.direction = $1 AND r.search_text LIKE $2 ESCAPE '\\' \
         ORDER BY r.id DESC LIMIT $3 OFFSET $4";
    let values = vec![
        Direction::In.as_str().into(),
        query.pattern().into(),
        i64::from(per_page + 1).into(),
        (i64::from(page) * i64::from(per_page)).into(),
    ];
    let rows = storage::query_all(db, sql, values).await?;
    let more = rows.len() > per_page as usize;
    let mut found = Vec::with_capacity(rows.len().min(per_page as usize));
    for row in rows.iter().take(per_page as usize) {
        let at: DateTime<Utc> = row.try_get("", "created_at")?;
        let admin_chat_id: i64 = row.try_get("", "admin_chat_id")?;
        let topic_chat: Option<i64> = row.try_get("", "topic_chat")?;
        let topic_thread: Option<i32> = row.try_get("", "topic_thread")?;
        let topic_since: Option<DateTime<Utc>> = row.try_get("", "topic_since")?;
        let thread_id = match (topic_chat, topic_thread, topic_since) {
            (Some(chat), Some(thread), Some(since))
                if chat == admin_chat_id && thread != 0 && since <= at =>
            {
                Some(thread)
            }
            _ => None,
        };
        found.push(Found {
            user_id: row.try_get("", "user_id")?,
            first_name: row.try_get("", "first_name")?,
            last_name: row.try_get("", "last_name")?,
            username: row.try_get("", "username")?,
            text: row
                .try_get::<Option<String>>("", "text")?
                .unwrap_or_default(),
            at,
            admin_chat_id,
            admin_message_id: row.try_get("", "admin_message_id")?,
            thread_id,
        });
    }
    Ok((found, more))
}

/// About `width` characters of `text` around the first match of `query` (the start when there
/// is none), on one line, with `…` where it was cut.
pub fn snippet(text: &str, query: &Query, width: usize) -> String {
    let chars: Vec<char> = text
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect();
    let folded: Vec<char> = chars.iter().copied().map(threads::fold_char).collect();
    let needle: Vec<char> = threads::folded(query.as_str())
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect();
    let at = (!needle.is_empty())
        .then(|| {
            folded
                .windows(needle.len())
                .position(|w| w == needle.as_slice())
        })
        .flatten()
        .unwrap_or(0);
    let width = width.max(needle.len());
    // The match a third of the way in: some of what leads to it, more of what follows.
    let start = at
        .saturating_sub(width.saturating_sub(needle.len()) / 3)
        .min(chars.len().saturating_sub(width));
    let end = (start + width).min(chars.len());
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.extend(&chars[start..end]);
    if end < chars.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Query {
        Query::parse(s).unwrap()
    }

    #[test]
    fn a_query_has_two_to_a_hundred_characters() {
        assert_eq!(Query::parse("  a "), None);
        assert_eq!(Query::parse(" ab ").unwrap().as_str(), "ab");
        assert!(Query::parse(&"я".repeat(100)).is_some());
        assert!(Query::parse(&"я".repeat(101)).is_none());
    }

    #[test]
    fn wildcards_in_a_query_match_themselves() {
        assert_eq!(q("50%_off\\").pattern(), "%50\\%\\_off\\\\%");
        assert_eq!(q("ПриВет").pattern(), "%привет%");
    }

    #[test]
    fn a_snippet_shows_the_match_with_what_surrounds_it() {
        let text = format!(
            "{} The REFUND did not arrive {}",
            "a".repeat(100),
            "b".repeat(100)
        );
        let s = snippet(&text, &q("refund"), 40);
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.contains("REFUND did not"), "{s}");
        assert_eq!(s.chars().count(), 42);
        // Short texts whole; lines joined.
        assert_eq!(snippet("Hi\nthere", &q("th"), 40), "Hi there");
        // No match (a text longer than the width): its start.
        assert_eq!(snippet("abcdef", &q("zz"), 3), "abc…");
    }
}
