//! Services shared by every feature: operator [`settings`], idempotency of external
//! [`events`], the group-commit [`batch`] runner, and the service error type. Each feature's
//! own services live in its folder (`relay`, `billing`, `accounts`, `admin`); they take a
//! [`Db`](crate::storage::Db) handle and never see a Telegram or HTTP type.

pub mod batch;
pub mod events;
pub mod sealing;
pub mod settings;

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
