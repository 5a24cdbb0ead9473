//! Use-cases over a [`Db`](crate::storage::Db) handle. Handlers (bot, HTTP, jobs) call these;
//! these never see a Telegram or HTTP type.
pub mod auto_recharge;
pub mod batch;
pub mod credits;
pub mod events;
pub mod notices;
pub mod orders;
pub mod passes;
pub mod relay;
pub mod relay_backlog;
pub mod relay_gate;
pub mod settings;
pub mod settlements;
pub mod tiers;
pub mod users;

use crate::{domain::DomainError, storage::StorageError};

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<sea_orm::DbErr> for ServiceError {
    fn from(e: sea_orm::DbErr) -> Self {
        ServiceError::Storage(StorageError::Db(e))
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;
