//! Dialogue state that survives restarts: a teloxide `Storage` over the app's own database,
//! and one over Redis for several replicas (`REDIS_URL`).
use std::{marker::PhantomData, sync::Arc};

use futures::future::BoxFuture;
use redis::AsyncCommands;
use sea_orm::{ActiveValue::Set, EntityTrait, sea_query::OnConflict};
use serde::{Serialize, de::DeserializeOwned};
use teloxide::{dispatching::dialogue::Storage, types::ChatId};

use crate::{
    clock::SharedClock,
    storage::{Db, entities::dialogue_states},
};

#[derive(Debug, thiserror::Error)]
pub enum DialogueStorageError {
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("stored dialogue state does not parse: {0}")]
    Serde(#[from] serde_json::Error),
}

/// Dialogue state in the `dialogue_states` table, as JSON.
pub struct DbStorage<D> {
    db: Db,
    clock: SharedClock,
    _state: PhantomData<fn() -> D>,
}

impl<D> DbStorage<D> {
    pub fn new(db: Db, clock: SharedClock) -> Arc<Self> {
        Arc::new(Self {
            db,
            clock,
            _state: PhantomData,
        })
    }
}

impl<D> Storage<D> for DbStorage<D>
where
    D: Serialize + DeserializeOwned + Send + 'static,
{
    type Error = DialogueStorageError;

    fn remove_dialogue(
        self: Arc<Self>,
        chat_id: ChatId,
    ) -> BoxFuture<'static, Result<(), Self::Error>> {
        Box::pin(async move {
            dialogue_states::Entity::delete_by_id(chat_id.0)
                .exec(&self.db)
                .await?;
            Ok(())
        })
    }

    fn update_dialogue(
        self: Arc<Self>,
        chat_id: ChatId,
        dialogue: D,
    ) -> BoxFuture<'static, Result<(), Self::Error>> {
        Box::pin(async move {
            let state = serde_json::to_string(&dialogue)?;
            dialogue_states::Entity::insert(dialogue_states::ActiveModel {
                chat_id: Set(chat_id.0),
                state: Set(state),
                updated_at: Set(self.clock.now()),
            })
            .on_conflict(
                OnConflict::column(dialogue_states::Column::ChatId)
                    .update_columns([
                        dialogue_states::Column::State,
                        dialogue_states::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await?;
            Ok(())
        })
    }

    fn get_dialogue(
        self: Arc<Self>,
        chat_id: ChatId,
    ) -> BoxFuture<'static, Result<Option<D>, Self::Error>> {
        Box::pin(async move {
            match dialogue_states::Entity::find_by_id(chat_id.0)
                .one(&self.db)
                .await?
            {
                None => Ok(None),
                Some(row) => Ok(Some(serde_json::from_str(&row.state)?)),
            }
        })
    }
}

/// Dialogue state in Redis under `{prefix}dialogue:{chat_id}`, shared by every replica.
pub struct RedisStorage<D> {
    conn: redis::aio::ConnectionManager,
    prefix: String,
    _state: PhantomData<fn() -> D>,
}

impl<D> RedisStorage<D> {
    pub async fn open(url: &str, prefix: &str) -> Result<Arc<Self>, DialogueStorageError> {
        let client = redis::Client::open(url)?;
        let conn = redis::aio::ConnectionManager::new(client).await?;
        Ok(Arc::new(Self {
            conn,
            prefix: prefix.to_owned(),
            _state: PhantomData,
        }))
    }

    fn key(&self, chat_id: ChatId) -> String {
        format!("{}dialogue:{}", self.prefix, chat_id.0)
    }
}

impl<D> Storage<D> for RedisStorage<D>
where
    D: Serialize + DeserializeOwned + Send + 'static,
{
    type Error = DialogueStorageError;

    fn remove_dialogue(
        self: Arc<Self>,
        chat_id: ChatId,
    ) -> BoxFuture<'static, Result<(), Self::Error>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let _: i64 = conn.del(self.key(chat_id)).await?;
            Ok(())
        })
    }

    fn update_dialogue(
        self: Arc<Self>,
        chat_id: ChatId,
        dialogue: D,
    ) -> BoxFuture<'static, Result<(), Self::Error>> {
        Box::pin(async move {
            let state = serde_json::to_string(&dialogue)?;
            let mut conn = self.conn.clone();
            let _: () = conn.set(self.key(chat_id), state).await?;
            Ok(())
        })
    }

    fn get_dialogue(
        self: Arc<Self>,
        chat_id: ChatId,
    ) -> BoxFuture<'static, Result<Option<D>, Self::Error>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let raw: Option<String> = conn.get(self.key(chat_id)).await?;
            Ok(match raw {
                None => None,
                Some(s) => Some(serde_json::from_str(&s)?),
            })
        })
    }
}
