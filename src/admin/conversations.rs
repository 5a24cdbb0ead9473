//! Conversations: every user with a support topic, with where it stands (waiting for the
//! team, answered, or closed by the team until the user writes again), a priority mark, and
//! how fast the team answers (median first response).
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveValue::Set, EntityTrait, sea_query::OnConflict};

use crate::{
    services::ServiceResult,
    storage::{self, Db, entities::conversation_states},
};

/// Where a conversation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Standing {
    /// The user wrote last: the team owes an answer.
    Waiting,
    /// The team wrote last.
    Answered,
    /// Closed by the team, and the user has not written since.
    Closed,
}

/// A conversation as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    pub user_id: i64,
    pub name: String,
    pub chat_id: i64,
    pub thread_id: i32,
    pub last_in: Option<DateTime<Utc>>,
    pub last_out: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub priority: bool,
}

impl Conversation {
    pub fn standing(&self) -> Standing {
        match (self.closed_at, self.last_in) {
            (Some(closed), Some(last_in)) if closed >= last_in => return Standing::Closed,
            (Some(_), None) => return Standing::Closed,
            _ => {}
        }
        match (self.last_in, self.last_out) {
            (Some(i), Some(o)) if o >= i => Standing::Answered,
            (Some(_), _) => Standing::Waiting,
            (None, _) => Standing::Answered,
        }
    }
}

/// Orders a list: priority first, then waiting (longest wait first), then answered and
/// closed (latest message first).
pub fn sort(list: &mut [Conversation]) {
    list.sort_by_key(|c| {
        let standing = c.standing();
        let wait_key = match standing {
            Standing::Waiting => c.last_in.map(|t| t.timestamp()).unwrap_or(i64::MAX),
            _ => -c.last_in.or(c.last_out).map_or(0, |t| t.timestamp()),
        };
        (!c.priority, standing, wait_key, c.user_id)
    });
}

/// A page of conversations in list order, and whether more follow.
pub async fn page(db: &Db, page: u32, per_page: u32) -> ServiceResult<(Vec<Conversation>, bool)> {
    let rows = storage::query_all(
        db,
        "SELECT t.user_id, t.chat_id, t.thread_id, u.first_name, \
           (SELECT MAX(r.created_at) FROM relay_messages r \
             WHERE r.user_id = t.user_id AND r.direction = 'in') AS last_in, \
           (SELECT MAX(r.created_at) FROM relay_messages r \
             WHERE r.user_id = t.user_id AND r.direction = 'out') AS last_out, \
           c.closed_at AS closed_at, COALESCE(c.priority, FALSE) AS priority \
         FROM support_topics t JOIN users u ON u.id = t.user_id \
         LEFT JOIN conversation_states c ON c.user_id = t.user_id",
        Vec::new(),
    )
    .await?;
    let mut list = Vec::with_capacity(rows.len());
    for row in rows {
        list.push(Conversation {
            user_id: row.try_get("", "user_id")?,
            name: row.try_get("", "first_name")?,
            chat_id: row.try_get("", "chat_id")?,
            thread_id: row.try_get("", "thread_id")?,
            last_in: row.try_get("", "last_in")?,
            last_out: row.try_get("", "last_out")?,
            closed_at: row.try_get("", "closed_at")?,
            priority: row.try_get("", "priority")?,
        });
    }
    sort(&mut list);
    let from = (page as usize).saturating_mul(per_page as usize);
    let more = list.len() > from + per_page as usize;
    Ok((
        list.into_iter()
            .skip(from)
            .take(per_page as usize)
            .collect(),
        more,
    ))
}

/// One conversation, if the user has a topic.
pub async fn find(db: &Db, user_id: i64) -> ServiceResult<Option<Conversation>> {
    // Few enough topics for the admin view to read them all; the list is sorted the same way.
    let (all, _) = page(db, 0, u32::MAX).await?;
    Ok(all.into_iter().find(|c| c.user_id == user_id))
}

async fn upsert(
    db: &Db,
    now: DateTime<Utc>,
    user_id: i64,
    closed_at: Option<Option<DateTime<Utc>>>,
    priority: Option<bool>,
) -> ServiceResult<()> {
    let current = conversation_states::Entity::find_by_id(user_id)
        .one(db)
        .await?;
    let row = conversation_states::ActiveModel {
        user_id: Set(user_id),
        closed_at: Set(closed_at.unwrap_or(current.as_ref().and_then(|c| c.closed_at))),
        priority: Set(priority.unwrap_or(current.as_ref().is_some_and(|c| c.priority))),
        updated_at: Set(now),
    };
    conversation_states::Entity::insert(row)
        .on_conflict(
            OnConflict::column(conversation_states::Column::UserId)
                .update_columns([
                    conversation_states::Column::ClosedAt,
                    conversation_states::Column::Priority,
                    conversation_states::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Closes (until the user writes again) or reopens a conversation.
pub async fn set_closed(
    db: &Db,
    now: DateTime<Utc>,
    user_id: i64,
    closed: bool,
) -> ServiceResult<()> {
    upsert(db, now, user_id, Some(closed.then_some(now)), None).await
}

pub async fn set_priority(
    db: &Db,
    now: DateTime<Utc>,
    user_id: i64,
    on: bool,
) -> ServiceResult<()> {
    upsert(db, now, user_id, None, Some(on)).await
}

/// The median time from a user's first unanswered message to the team's answer, over
/// answers given in the last `days` days; None without any.
pub async fn median_first_response(
    db: &Db,
    now: DateTime<Utc>,
    days: i64,
) -> ServiceResult<Option<Duration>> {
    let since = now - Duration::days(days);
    let rows = storage::query_all(
        db,
        "SELECT user_id, direction, created_at FROM relay_messages \
         WHERE created_at >= $1 ORDER BY user_id, created_at, direction",
        vec![since.into()],
    )
    .await?;
    let mut events = Vec::with_capacity(rows.len());
    for row in rows {
        events.push((
            row.try_get::<i64>("", "user_id")?,
            row.try_get::<String>("", "direction")?,
            row.try_get::<DateTime<Utc>>("", "created_at")?,
        ));
    }
    Ok(median(first_responses(&events)))
}

/// Per user, in time order: each answer that follows unanswered messages, as the time since
/// the first of them.
fn first_responses(events: &[(i64, String, DateTime<Utc>)]) -> Vec<Duration> {
    let mut out = Vec::new();
    let mut user = None;
    let mut waiting_since: Option<DateTime<Utc>> = None;
    for (u, direction, at) in events {
        if user != Some(*u) {
            user = Some(*u);
            waiting_since = None;
        }
        match direction.as_str() {
            "in" => {
                waiting_since.get_or_insert(*at);
            }
            _ => {
                if let Some(since) = waiting_since.take() {
                    out.push(*at - since);
                }
            }
        }
    }
    out
}

fn median(mut all: Vec<Duration>) -> Option<Duration> {
    if all.is_empty() {
        return None;
    }
    all.sort();
    let mid = all.len() / 2;
    Some(if all.len() % 2 == 1 {
        all[mid]
    } else {
        (all[mid - 1] + all[mid]) / 2
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn t(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap() + Duration::minutes(min)
    }

    #[test]
    fn first_responses_count_from_the_first_unanswered_message() {
        let e = |u, d: &str, m| (u, d.to_owned(), t(m));
        let events = vec![
            e(1, "in", 0),
            e(1, "in", 3),
            e(1, "out", 10), // 10 min
            e(1, "out", 11), // a second answer: nothing owed
            e(1, "in", 20),
            e(1, "out", 22), // 2 min
            e(2, "in", 0),   // never answered
            e(3, "out", 5),  // the team wrote first
            e(3, "in", 6),
            e(3, "out", 12), // 6 min
        ];
        let got: Vec<i64> = first_responses(&events)
            .iter()
            .map(|d| d.num_minutes())
            .collect();
        assert_eq!(got, vec![10, 2, 6]);
        assert_eq!(median(first_responses(&events)), Some(Duration::minutes(6)));
        assert_eq!(median(Vec::new()), None);
        assert_eq!(
            median(vec![Duration::minutes(2), Duration::minutes(4)]),
            Some(Duration::minutes(3))
        );
    }

    #[test]
    fn the_list_puts_priority_then_the_longest_wait_first() {
        let c = |id, last_in: Option<i64>, last_out: Option<i64>, closed: Option<i64>, p| {
            Conversation {
                user_id: id,
                name: String::new(),
                chat_id: -1,
                thread_id: 1,
                last_in: last_in.map(t),
                last_out: last_out.map(t),
                closed_at: closed.map(t),
                priority: p,
            }
        };
        let mut list = vec![
            c(1, Some(10), Some(12), None, false), // answered
            c(2, Some(30), None, None, false),     // waiting since 30
            c(3, Some(5), None, None, false),      // waiting since 5
            c(4, Some(40), Some(50), None, true),  // priority, answered
            c(5, Some(1), None, Some(2), false),   // closed
            c(6, Some(9), None, Some(2), false),   // wrote after closing: waiting
        ];
        sort(&mut list);
        let order: Vec<i64> = list.iter().map(|c| c.user_id).collect();
        assert_eq!(order, vec![4, 3, 6, 2, 1, 5]);
        assert_eq!(list[5].standing(), Standing::Closed);
        assert_eq!(list[2].standing(), Standing::Waiting);
    }
}
