//! Versions for what prices a user's message, so the relay gate can keep its reads and still
//! notice any change.
//!
//! - `users.version` goes up on every update of the user's row and whenever a row of theirs in
//!   `time_passes`, `support_topics` or `auto_recharge` is inserted, updated or deleted.
//! - `profile_epoch` (one row) goes up whenever `settings` or `tiers` change (those price
//!   everyone's messages) and whenever a user is deleted (`/reset`): a user created again
//!   starts at version 0, and nothing remembered of the old one may pass for the new.
//!
//! Triggers keep both, so every writer (this app's, a future one, an operator's `psql`) moves
//! them without knowing about them. The gate compares them in the same statement that writes
//! a debit: a profile it remembered is used only while both are where it read them.
use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables whose rows belong to one user (column `user_id`) and change what they pay.
const USER_TABLES: [&str; 3] = ["time_passes", "support_topics", "auto_recharge"];

/// The tables that change what everyone pays.
const GLOBAL_TABLES: [&str; 2] = ["settings", "tiers"];

const COMMON: &[&str] = &[
    "ALTER TABLE users ADD COLUMN version BIGINT NOT NULL DEFAULT 0",
    "CREATE TABLE profile_epoch (id INTEGER PRIMARY KEY CHECK (id = 1), epoch BIGINT NOT NULL)",
    "INSERT INTO profile_epoch (id, epoch) VALUES (1, 0)",
];

fn postgres_up() -> Vec<String> {
    let mut sql: Vec<String> = COMMON.iter().map(|s| String::from(*s)).collect();
    sql.push(
        "CREATE FUNCTION tollgate_users_version() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN NEW.version := OLD.version + 1; RETURN NEW; END $$"
            .into(),
    );
    sql.push(
        "CREATE TRIGGER users_version BEFORE UPDATE ON users \
         FOR EACH ROW EXECUTE FUNCTION tollgate_users_version()"
            .into(),
    );
    sql.push(
        "CREATE FUNCTION tollgate_touch_user() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN \
           IF TG_OP <> 'INSERT' THEN UPDATE users SET version = version + 1 WHERE id = OLD.user_id; END IF; \
           IF TG_OP <> 'DELETE' THEN UPDATE users SET version = version + 1 WHERE id = NEW.user_id; END IF; \
           RETURN NULL; \
         END $$"
            .into(),
    );
    sql.push(
        "CREATE FUNCTION tollgate_bump_epoch() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN UPDATE profile_epoch SET epoch = epoch + 1; RETURN NULL; END $$"
            .into(),
    );
    for table in USER_TABLES {
        sql.push(format!(
            "CREATE TRIGGER {table}_version AFTER INSERT OR UPDATE OR DELETE ON {table} \
             FOR EACH ROW EXECUTE FUNCTION tollgate_touch_user()"
        ));
    }
    for table in GLOBAL_TABLES {
        sql.push(format!(
            "CREATE TRIGGER {table}_epoch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} \
             FOR EACH STATEMENT EXECUTE FUNCTION tollgate_bump_epoch()"
        ));
    }
    sql.push(
        "CREATE TRIGGER users_epoch AFTER DELETE OR TRUNCATE ON users \
         FOR EACH STATEMENT EXECUTE FUNCTION tollgate_bump_epoch()"
            .into(),
    );
    sql
}

fn sqlite_up() -> Vec<String> {
    let mut sql: Vec<String> = COMMON.iter().map(|s| String::from(*s)).collect();
    // SQLite's triggers can't change NEW: an update that leaves the version alone is followed
    // by one that moves it (an update that moves it itself skips this).
    sql.push(
        "CREATE TRIGGER users_version AFTER UPDATE ON users FOR EACH ROW \
         WHEN NEW.version = OLD.version \
         BEGIN UPDATE users SET version = OLD.version + 1 WHERE id = NEW.id; END"
            .into(),
    );
    for table in USER_TABLES {
        for (event, ids) in [
            ("INSERT", "NEW.user_id"),
            ("UPDATE", "OLD.user_id, NEW.user_id"),
            ("DELETE", "OLD.user_id"),
        ] {
            let name = format!("{table}_version_{}", event.to_lowercase());
            sql.push(format!(
                "CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW \
                 BEGIN UPDATE users SET version = version + 1 WHERE id IN ({ids}); END"
            ));
        }
    }
    for table in GLOBAL_TABLES {
        for event in ["INSERT", "UPDATE", "DELETE"] {
            let name = format!("{table}_epoch_{}", event.to_lowercase());
            sql.push(format!(
                "CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW \
                 BEGIN UPDATE profile_epoch SET epoch = epoch + 1; END"
            ));
        }
    }
    sql.push(
        "CREATE TRIGGER users_epoch_delete AFTER DELETE ON users FOR EACH ROW \
         BEGIN UPDATE profile_epoch SET epoch = epoch + 1; END"
            .into(),
    );
    sql
}

fn postgres_down() -> Vec<String> {
    let mut sql = vec![
        "DROP TRIGGER IF EXISTS users_version ON users".to_owned(),
        "DROP TRIGGER IF EXISTS users_epoch ON users".to_owned(),
    ];
    for table in USER_TABLES {
        sql.push(format!("DROP TRIGGER IF EXISTS {table}_version ON {table}"));
    }
    for table in GLOBAL_TABLES {
        sql.push(format!("DROP TRIGGER IF EXISTS {table}_epoch ON {table}"));
    }
    for function in [
        "tollgate_users_version",
        "tollgate_touch_user",
        "tollgate_bump_epoch",
    ] {
        sql.push(format!("DROP FUNCTION IF EXISTS {function}()"));
    }
    sql.extend(common_down());
    sql
}

fn sqlite_down() -> Vec<String> {
    let mut sql = vec![
        "DROP TRIGGER IF EXISTS users_version".to_owned(),
        "DROP TRIGGER IF EXISTS users_epoch_delete".to_owned(),
    ];
    for event in ["insert", "update", "delete"] {
        for table in USER_TABLES {
            sql.push(format!("DROP TRIGGER IF EXISTS {table}_version_{event}"));
        }
        for table in GLOBAL_TABLES {
            sql.push(format!("DROP TRIGGER IF EXISTS {table}_epoch_{event}"));
        }
    }
    sql.extend(common_down());
    sql
}

fn common_down() -> Vec<String> {
    vec![
        "DROP TABLE IF EXISTS profile_epoch".to_owned(),
        "ALTER TABLE users DROP COLUMN version".to_owned(),
    ]
}

async fn run(manager: &SchemaManager<'_>, sql: Vec<String>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for statement in sql {
        db.execute_unprepared(&statement).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let sql = match manager.get_database_backend() {
            DbBackend::Postgres => postgres_up(),
            DbBackend::Sqlite => sqlite_up(),
            other => {
                return Err(DbErr::Migration(format!(
                    "profile versions: {other:?} is not supported"
                )));
            }
        };
        run(manager, sql).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let sql = match manager.get_database_backend() {
            DbBackend::Postgres => postgres_down(),
            _ => sqlite_down(),
        };
        run(manager, sql).await
    }
}
