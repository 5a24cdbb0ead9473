//! Quick replies: answer templates the team sends to a user from their topic with one press.
//! A template may name the user: `{name}` (first name) and `{balance}` (credits) are filled in
//! when it is sent.
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, QueryOrder};

use crate::{
    accounts::users::User,
    services::ServiceResult,
    storage::{Db, entities::quick_replies},
};

pub type QuickReply = quick_replies::Model;

/// The most templates kept.
pub const MAX_TEMPLATES: usize = 50;

/// Why a template was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadTemplate {
    #[error("a template is a title on the first line (1 to 40 characters) and its text below")]
    Shape,
    #[error("the text of a template is at most 4,000 characters")]
    TooLong,
    #[error("there are {MAX_TEMPLATES} templates already; delete one first")]
    TooMany,
}

/// Splits `title\ntext` into a valid title and text.
pub fn parse(input: &str) -> Result<(String, String), BadTemplate> {
    let (title, body) = input.trim().split_once('\n').ok_or(BadTemplate::Shape)?;
    let (title, body) = (title.trim(), body.trim());
    if title.is_empty() || title.chars().count() > 40 || body.is_empty() {
        return Err(BadTemplate::Shape);
    }
    if body.chars().count() > 4000 {
        return Err(BadTemplate::TooLong);
    }
    Ok((title.to_owned(), body.to_owned()))
}

pub async fn list(db: &Db) -> ServiceResult<Vec<QuickReply>> {
    Ok(quick_replies::Entity::find()
        .order_by_asc(quick_replies::Column::Title)
        .order_by_asc(quick_replies::Column::Id)
        .all(db)
        .await?)
}

pub async fn find(db: &Db, id: i64) -> ServiceResult<Option<QuickReply>> {
    Ok(quick_replies::Entity::find_by_id(id).one(db).await?)
}

/// Creates a template from `title\ntext`.
pub async fn create(
    db: &Db,
    now: DateTime<Utc>,
    input: &str,
) -> ServiceResult<Result<QuickReply, BadTemplate>> {
    let (title, body) = match parse(input) {
        Ok(parts) => parts,
        Err(e) => return Ok(Err(e)),
    };
    if list(db).await?.len() >= MAX_TEMPLATES {
        return Ok(Err(BadTemplate::TooMany));
    }
    let row = quick_replies::ActiveModel {
        title: Set(title),
        body: Set(body),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(Ok(row))
}

/// Replaces a template's title and text; None when it no longer exists.
pub async fn update(
    db: &Db,
    now: DateTime<Utc>,
    id: i64,
    input: &str,
) -> ServiceResult<Option<Result<QuickReply, BadTemplate>>> {
    let (title, body) = match parse(input) {
        Ok(parts) => parts,
        Err(e) => return Ok(Some(Err(e))),
    };
    let Some(row) = find(db, id).await? else {
        return Ok(None);
    };
    let mut row: quick_replies::ActiveModel = row.into();
    row.title = Set(title);
    row.body = Set(body);
    row.updated_at = Set(now);
    Ok(Some(Ok(row.update(db).await?)))
}

/// Deletes a template; false when it was gone already.
pub async fn delete(db: &Db, id: i64) -> ServiceResult<bool> {
    Ok(quick_replies::Entity::delete_by_id(id)
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// The template's text for `user`, placeholders filled in.
pub fn fill(body: &str, user: &User) -> String {
    body.replace("{name}", &user.first_name)
        .replace("{balance}", &user.credits.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_is_a_title_line_and_a_text() {
        assert_eq!(
            parse("Hello\nHi {name}, how can we help?"),
            Ok(("Hello".into(), "Hi {name}, how can we help?".into()))
        );
        assert_eq!(parse("just a title"), Err(BadTemplate::Shape));
        assert_eq!(parse("\ntext"), Err(BadTemplate::Shape));
        assert_eq!(parse("title\n  "), Err(BadTemplate::Shape));
        assert_eq!(
            parse(&format!("{}\ntext", "t".repeat(41))),
            Err(BadTemplate::Shape)
        );
        assert_eq!(
            parse(&format!("t\n{}", "x".repeat(4001))),
            Err(BadTemplate::TooLong)
        );
    }
}
