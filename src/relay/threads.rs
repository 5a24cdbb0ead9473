//! The support relay's bookkeeping: which forum topic belongs to which user, and which admin
//! message is a copy of which user message (and back), so replies thread correctly.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, sea_query::OnConflict,
};

use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::services::ServiceResult;
use crate::storage::{
    self, Db,
    entities::{relay_messages, support_topics},
    rows::{self, ColumnType},
};

pub type Topic = support_topics::Model;
pub type Mapping = relay_messages::Model;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// A user's message copied into the admin group.
    In,
    /// An admin's message copied to the user.
    Out,
}

impl Direction {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }
}

pub async fn topic_of_user(db: &Db, user_id: i64) -> ServiceResult<Option<Topic>> {
    Ok(support_topics::Entity::find_by_id(user_id).one(db).await?)
}

pub async fn user_of_topic(db: &Db, chat_id: i64, thread_id: i32) -> ServiceResult<Option<i64>> {
    Ok(support_topics::Entity::find()
        .filter(support_topics::Column::ChatId.eq(chat_id))
        .filter(support_topics::Column::ThreadId.eq(thread_id))
        .one(db)
        .await?
        .map(|t| t.user_id))
}

/// Records (or replaces, after a deleted topic was recreated) the user's topic.
pub async fn set_topic(
    db: &Db,
    now: DateTime<Utc>,
    user_id: i64,
    chat_id: i64,
    thread_id: i32,
) -> ServiceResult<()> {
    support_topics::Entity::insert(support_topics::ActiveModel {
        user_id: Set(user_id),
        chat_id: Set(chat_id),
        thread_id: Set(thread_id),
        created_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(support_topics::Column::UserId)
            .update_columns([
                support_topics::Column::ChatId,
                support_topics::Column::ThreadId,
                support_topics::Column::CreatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The most characters of a message's text kept for search (Telegram's own limit for a text).
pub const TEXT_MAX: usize = 4096;

/// The text a relayed message is remembered with: at most [`TEXT_MAX`] characters, none when
/// empty. (NUL cannot be stored in a PostgreSQL text; Telegram never sends one anyway.)
pub fn kept_text(text: Option<&str>) -> Option<String> {
    let kept: String = text?
        .chars()
        .filter(|c| *c != '\0')
        .take(TEXT_MAX)
        .collect();
    (!kept.trim().is_empty()).then_some(kept)
}

/// What search compares: the text folded to lower case, character by character (so that a
/// position in it is the position of the same character in the text, see
/// [`crate::relay::search`]).
pub fn folded(text: &str) -> String {
    text.chars().map(fold_char).collect()
}

/// One character folded to lower case; a character whose lower case is several characters
/// (`İ`) keeps its first, so folding never changes the length.
pub fn fold_char(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

/// One message and its copy on the other side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    pub user_id: i64,
    pub user_message_id: i32,
    pub admin_chat_id: i64,
    pub admin_message_id: i32,
    pub direction: Direction,
    /// The text or caption of a user's message ([`kept_text`]), for search.
    pub text: Option<String>,
}

/// Remembers several pairs in one statement (a pair already known is kept as it was); the
/// statement's text is the same however many there are (see [`storage::rows`]).
pub async fn remember_all(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    pairs: &[Pair],
) -> ServiceResult<()> {
    if pairs.is_empty() {
        return Ok(());
    }
    let backend = db.get_database_backend();
    let mut values = vec![now.into()];
    values.extend(pairs_rows(backend, pairs));
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        storage::sql(backend, &insert_pairs_sql(backend, 1, 2)),
        values,
    ))
    .await?;
    Ok(())
}

/// The columns of the pairs [`insert_pairs_sql`] takes.
pub(crate) const PAIR_COLUMNS: &[rows::Column] = &[
    ("uid", ColumnType::BigInt),
    ("umid", ColumnType::Integer),
    ("chat", ColumnType::BigInt),
    ("amid", ColumnType::Integer),
    ("dir", ColumnType::Text),
    ("txt", ColumnType::Text),
    ("key", ColumnType::Text),
];

/// The statement behind [`remember_all`]: the time in parameter `now`, the pairs in the
/// parameters from `rows` on ([`pairs_rows`]); other statements embed it (a PostgreSQL batch
/// writes it in a CTE).
pub(crate) fn insert_pairs_sql(backend: DbBackend, now: usize, rows: usize) -> String {
    let rows = rows::from(backend, rows, "d", PAIR_COLUMNS);
    // `WHERE true` tells SQLite's parser that ON CONFLICT belongs to the INSERT.
    format!(
        "INSERT INTO relay_messages \
           (user_id, user_message_id, admin_chat_id, admin_message_id, direction, created_at, \
            text, search_text) \
         SELECT d.uid, d.umid, d.chat, d.amid, d.dir, ${now}, d.txt, d.key \
         FROM {rows} WHERE true ORDER BY d.n \
         ON CONFLICT (admin_chat_id, admin_message_id) DO NOTHING"
    )
}

/// The rows parameters of [`insert_pairs_sql`].
pub(crate) fn pairs_rows(backend: DbBackend, pairs: &[Pair]) -> Vec<sea_orm::Value> {
    let mut rows = rows::Rows::new(backend, PAIR_COLUMNS, pairs.len());
    for p in pairs {
        rows.big_int(p.user_id)
            .integer(p.user_message_id)
            .big_int(p.admin_chat_id)
            .integer(p.admin_message_id)
            .text(Some(p.direction.as_str()))
            .text(p.text.as_deref())
            .text(p.text.as_deref().map(folded).as_deref());
    }
    rows.into_values()
}

pub async fn remember(
    db: &Db,
    now: DateTime<Utc>,
    user_id: i64,
    user_message_id: i32,
    admin_chat_id: i64,
    admin_message_id: i32,
    direction: Direction,
) -> ServiceResult<()> {
    let pair = Pair {
        user_id,
        user_message_id,
        admin_chat_id,
        admin_message_id,
        direction,
        text: None,
    };
    remember_all(db, now, &[pair]).await
}

/// The admin-side copy of a user's message (for edits and reply threading).
pub async fn admin_side(
    db: &Db,
    user_id: i64,
    user_message_id: i32,
) -> ServiceResult<Option<Mapping>> {
    Ok(relay_messages::Entity::find()
        .filter(relay_messages::Column::UserId.eq(user_id))
        .filter(relay_messages::Column::UserMessageId.eq(user_message_id))
        .order_by_desc(relay_messages::Column::Id)
        .one(db)
        .await?)
}

/// The user-side message an admin-group message corresponds to.
pub async fn user_side(
    db: &Db,
    admin_chat_id: i64,
    admin_message_id: i32,
) -> ServiceResult<Option<Mapping>> {
    Ok(relay_messages::Entity::find()
        .filter(relay_messages::Column::AdminChatId.eq(admin_chat_id))
        .filter(relay_messages::Column::AdminMessageId.eq(admin_message_id))
        .one(db)
        .await?)
}

/// Claims the right to copy a user's message into the admin group on a recovery path (the
/// start-up recovery of charged messages, or a redelivered update of one). Both paths call it
/// before copying; only the caller that gets `true` copies, so the two never both copy.
///
/// `owner` names this process and `started` is when it started: a claim left by another
/// process before this one started belongs to a process that is gone (it stopped between
/// claiming and recording the copy), and is taken over. What remains at-least-once: a process
/// that stops after Telegram made the copy and before the pair was recorded leaves a message
/// that the next start copies again (Telegram has no way to ask "did this copy happen?").
pub async fn claim(
    db: &Db,
    user_id: i64,
    message_id: i32,
    owner: &str,
    started: DateTime<Utc>,
    now: DateTime<Utc>,
) -> ServiceResult<bool> {
    let query = "INSERT INTO relay_claims (user_id, message_id, owner, claimed_at) \
         VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, message_id) DO UPDATE \
           SET owner = excluded.owner, claimed_at = excluded.claimed_at \
           WHERE relay_claims.owner <> excluded.owner AND relay_claims.claimed_at < $5 \
             AND relay_claims.state = 'copying' \
         RETURNING user_id";
    let rows = storage::query_all(
        db,
        query,
        vec![
            user_id.into(),
            message_id.into(),
            owner.into(),
            now.into(),
            started.into(),
        ],
    )
    .await?;
    Ok(!rows.is_empty())
}

/// Telegram never answered the copy of this message: it may have been made. Recorded so that
/// no recovery copies it again (at most once, for this one case: the Bot API cannot say
/// whether the copy exists).
pub async fn mark_uncertain(
    db: &Db,
    user_id: i64,
    message_id: i32,
    owner: &str,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let query = "INSERT INTO relay_claims (user_id, message_id, owner, state, claimed_at) \
         VALUES ($1, $2, $3, 'uncertain', $4) \
         ON CONFLICT (user_id, message_id) DO UPDATE SET state = 'uncertain'";
    storage::query_all(
        db,
        query,
        vec![user_id.into(), message_id.into(), owner.into(), now.into()],
    )
    .await?;
    Ok(())
}
