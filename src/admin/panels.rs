//! Control-center panels: one row per control-center message, holding the actions of the
//! buttons it shows and the input it waits for.
//!
//! A button's callback data is `ap:<panel>:<nonce>:<index>`: it carries no action itself, only
//! where to find it. A press is accepted once, by swapping the nonce (a compare-and-set), and
//! only from the panel's own message; a forged, stale, foreign or replayed press finds nothing.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    sea_query::Expr,
};
use serde::{Serialize, de::DeserializeOwned};

use crate::{
    services::ServiceResult,
    storage::{Db, StorageError, entities::admin_panels},
};

pub type Panel = admin_panels::Model;

const PREFIX: &str = "ap";
const NONCE_LEN: usize = 10;

/// A fresh nonce: 40 random bits as hex.
fn nonce() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..NONCE_LEN].to_owned()
}

/// The callback data of button `index` of a panel screen.
pub fn button_data(panel: i64, nonce: &str, index: usize) -> String {
    format!("{PREFIX}:{panel}:{nonce}:{index}")
}

/// Whether callback data is a panel button's (well formed or not).
pub fn is_panel_data(data: &str) -> bool {
    data.starts_with("ap:")
}

/// The parts of a panel button's data, strictly: `(panel, nonce, index)`.
pub fn parse_data(data: &str) -> Option<(i64, &str, usize)> {
    let mut parts = data.split(':');
    let (Some(PREFIX), Some(panel), Some(nonce), Some(index), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let digits = |s: &str, max: usize| {
        !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(panel, 18) || !digits(index, 3) || nonce.len() != NONCE_LEN {
        return None;
    }
    if !nonce.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    Some((panel.parse().ok()?, nonce, index.parse().ok()?))
}

/// A new panel in `chat`, opened by `admin`, showing nothing yet.
pub async fn open(db: &Db, now: DateTime<Utc>, chat: i64, admin: i64) -> ServiceResult<Panel> {
    Ok(admin_panels::ActiveModel {
        chat_id: Set(chat),
        message_id: Set(None),
        opened_by: Set(admin),
        nonce: Set(nonce()),
        actions: Set("[]".into()),
        pending: Set(None),
        waiting_for: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// The panel's message, once sent.
pub async fn attach(db: &Db, panel: i64, message_id: i32) -> ServiceResult<()> {
    admin_panels::Entity::update_many()
        .col_expr(admin_panels::Column::MessageId, Expr::value(message_id))
        .filter(admin_panels::Column::Id.eq(panel))
        .exec(db)
        .await?;
    Ok(())
}

/// Stores the actions of a new screen under a fresh nonce (the buttons of the screen before
/// stop working) and drops any input the panel waited for. Returns the nonce.
pub async fn show<A: Serialize>(
    db: &Db,
    now: DateTime<Utc>,
    panel: i64,
    actions: &[A],
) -> ServiceResult<String> {
    let fresh = nonce();
    let actions = serde_json::to_string(actions)
        .map_err(|e| StorageError::Corrupt(format!("panel actions: {e}")))?;
    admin_panels::Entity::update_many()
        .col_expr(admin_panels::Column::Nonce, Expr::value(fresh.clone()))
        .col_expr(admin_panels::Column::Actions, Expr::value(actions))
        .col_expr(
            admin_panels::Column::Pending,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            admin_panels::Column::WaitingFor,
            Expr::value(Option::<i64>::None),
        )
        .col_expr(admin_panels::Column::UpdatedAt, Expr::value(now))
        .filter(admin_panels::Column::Id.eq(panel))
        .exec(db)
        .await?;
    Ok(fresh)
}

/// Replaces the actions of the screen a panel shows, under its current nonce (for a screen
/// that updates itself, such as a campaign's progress).
pub async fn replace_actions<A: Serialize>(
    db: &Db,
    panel: i64,
    actions: &[A],
) -> ServiceResult<()> {
    let actions = serde_json::to_string(actions)
        .map_err(|e| StorageError::Corrupt(format!("panel actions: {e}")))?;
    admin_panels::Entity::update_many()
        .col_expr(admin_panels::Column::Actions, Expr::value(actions))
        .filter(admin_panels::Column::Id.eq(panel))
        .exec(db)
        .await?;
    Ok(())
}

/// What a press found.
#[derive(Debug, Clone, PartialEq)]
pub enum Pressed<A> {
    /// The button's action, taken once: the panel's buttons stop working until the next
    /// screen is shown.
    Action { panel: Panel, action: A },
    /// Forged, stale, foreign or replayed: nothing happens.
    Expired,
}

/// Takes the action of a press of `data` on message `message` in `chat`.
pub async fn press<A: DeserializeOwned>(
    db: &Db,
    now: DateTime<Utc>,
    data: &str,
    chat: i64,
    message: i32,
) -> ServiceResult<Pressed<A>> {
    let Some((id, nonce, index)) = parse_data(data) else {
        return Ok(Pressed::Expired);
    };
    let Some(panel) = admin_panels::Entity::find_by_id(id).one(db).await? else {
        return Ok(Pressed::Expired);
    };
    if panel.chat_id != chat || panel.message_id != Some(message) || panel.nonce != nonce {
        return Ok(Pressed::Expired);
    }
    let mut actions: Vec<A> = serde_json::from_str(&panel.actions)
        .map_err(|e| StorageError::Corrupt(format!("panel {id} actions: {e}")))?;
    if index >= actions.len() {
        return Ok(Pressed::Expired);
    }
    // Once: only the press that swaps the nonce gets the action.
    let taken = admin_panels::Entity::update_many()
        .col_expr(admin_panels::Column::Nonce, Expr::value(self::nonce()))
        .col_expr(admin_panels::Column::UpdatedAt, Expr::value(now))
        .filter(admin_panels::Column::Id.eq(id))
        .filter(admin_panels::Column::Nonce.eq(nonce))
        .exec(db)
        .await?
        .rows_affected
        == 1;
    if !taken {
        return Ok(Pressed::Expired);
    }
    Ok(Pressed::Action {
        panel,
        action: actions.swap_remove(index),
    })
}

/// The panel waits for `admin`'s next message in its chat as `input`.
pub async fn wait_for<P: Serialize>(
    db: &Db,
    now: DateTime<Utc>,
    panel: i64,
    admin: i64,
    input: &P,
) -> ServiceResult<()> {
    let pending = serde_json::to_string(input)
        .map_err(|e| StorageError::Corrupt(format!("panel input: {e}")))?;
    admin_panels::Entity::update_many()
        .col_expr(admin_panels::Column::Pending, Expr::value(pending))
        .col_expr(admin_panels::Column::WaitingFor, Expr::value(admin))
        .col_expr(admin_panels::Column::UpdatedAt, Expr::value(now))
        .filter(admin_panels::Column::Id.eq(panel))
        .exec(db)
        .await?;
    Ok(())
}

/// How long a panel waits for an input.
pub const INPUT_EXPIRES: chrono::Duration = chrono::Duration::minutes(15);

/// Whether some panel in `chat` waits for a message of `admin` (cheap: one indexed read).
pub async fn waiting(db: &Db, chat: i64, admin: i64) -> ServiceResult<bool> {
    Ok(admin_panels::Entity::find()
        .filter(admin_panels::Column::ChatId.eq(chat))
        .filter(admin_panels::Column::WaitingFor.eq(admin))
        .one(db)
        .await?
        .is_some())
}

/// What an input message found.
#[derive(Debug, Clone, PartialEq)]
pub enum Input<P> {
    /// The panel that waited for it, and what it waited for (taken once).
    Awaited { panel: Panel, input: P },
    /// The panel waited too long: the input is dropped.
    Expired,
    /// Nothing waits for this admin here.
    None,
}

/// Takes the input the newest panel in `chat` waits for from `admin`, once.
pub async fn take_input<P: DeserializeOwned>(
    db: &Db,
    now: DateTime<Utc>,
    chat: i64,
    admin: i64,
) -> ServiceResult<Input<P>> {
    let Some(panel) = admin_panels::Entity::find()
        .filter(admin_panels::Column::ChatId.eq(chat))
        .filter(admin_panels::Column::WaitingFor.eq(admin))
        .order_by_desc(admin_panels::Column::UpdatedAt)
        .one(db)
        .await?
    else {
        return Ok(Input::None);
    };
    let Some(pending) = panel.pending.clone() else {
        return Ok(Input::None);
    };
    let taken = admin_panels::Entity::update_many()
        .col_expr(
            admin_panels::Column::Pending,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            admin_panels::Column::WaitingFor,
            Expr::value(Option::<i64>::None),
        )
        .filter(admin_panels::Column::Id.eq(panel.id))
        .filter(admin_panels::Column::Pending.eq(pending.clone()))
        .exec(db)
        .await?
        .rows_affected
        == 1;
    if !taken {
        return Ok(Input::None);
    }
    if now - panel.updated_at > INPUT_EXPIRES {
        return Ok(Input::Expired);
    }
    let input = serde_json::from_str(&pending)
        .map_err(|e| StorageError::Corrupt(format!("panel {} input: {e}", panel.id)))?;
    Ok(Input::Awaited { panel, input })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn button_data_fits_and_parses_back_and_forgeries_do_not() {
        let n = nonce();
        let data = button_data(i64::MAX / 1000, &n, 99);
        assert!(data.len() <= 64, "{data}");
        assert_eq!(parse_data(&data), Some((i64::MAX / 1000, n.as_str(), 99)));
        for bad in [
            "",
            "ap",
            "ap:1:abc:0",
            "ap:1:abcdefghij",
            "ap:x:abcdefghij:0",
            "ap:1:abcdefghij:-1",
            "ap:1:abcdefghij:1000",
            "ap:1:abcdefghi!:0",
            "ap:1:abcdefghij:0:0",
            "bp:1:abcdefghij:0",
        ] {
            assert_eq!(parse_data(bad), None, "{bad}");
        }
    }
}
