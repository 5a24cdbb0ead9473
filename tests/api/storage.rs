//! Storage and services on real databases: SQLite files, and PostgreSQL / Redis when configured.
use std::sync::{
    Arc,
    atomic::{AtomicU32, Ordering},
};

use chrono::Duration;
use sea_orm::{ConnectionTrait, EntityTrait};
use teloxide::{dispatching::dialogue::Storage, types::ChatId};
use tollgate::{
    bot::dialogue_storage::{DbStorage, RedisStorage},
    clock::SharedClock,
    domain::TelegramProfile,
    jobs::{self, JobError, JobRunner, NewJob, Ran},
    metrics::Metrics,
    storage::{Db, entities},
    {
        accounts::users::{self, StartOutcome},
        services::events::{self, Claim, EventSource},
    },
};

use crate::helpers::{Backend, TestDb, clock, each_backend, redis_url};

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
enum Flow {
    Asking { name: String },
    Done,
}

async fn dialogue_round_trip<S>(storage: Arc<S>)
where
    S: Storage<Flow> + Send + Sync + 'static,
    S::Error: std::fmt::Debug,
{
    let chat = ChatId(77);
    assert_eq!(storage.clone().get_dialogue(chat).await.unwrap(), None);
    let asking = Flow::Asking {
        name: "Zoë".into()
    };
    storage
        .clone()
        .update_dialogue(chat, asking.clone())
        .await
        .unwrap();
    assert_eq!(
        storage.clone().get_dialogue(chat).await.unwrap(),
        Some(asking)
    );
    storage
        .clone()
        .update_dialogue(chat, Flow::Done)
        .await
        .unwrap();
    assert_eq!(
        storage.clone().get_dialogue(chat).await.unwrap(),
        Some(Flow::Done)
    );
    storage.clone().remove_dialogue(chat).await.unwrap();
    assert_eq!(storage.clone().get_dialogue(chat).await.unwrap(), None);
}

#[tokio::test]
async fn dialogue_state_round_trips_through_the_database() {
    each_backend(async |db| {
        let (_, clock) = clock();
        dialogue_round_trip(DbStorage::<Flow>::new(db, clock)).await;
    })
    .await;
}

#[tokio::test]
async fn dialogue_state_round_trips_through_redis() {
    let Some(url) = redis_url() else { return };
    let prefix = format!("tollgate-test-{}:", uuid::Uuid::new_v4().simple());
    dialogue_round_trip(RedisStorage::<Flow>::open(&url, &prefix).await.unwrap()).await;
}

#[tokio::test]
async fn dialogue_state_survives_a_reconnect() {
    let test_db = TestDb::new(Backend::Sqlite).await.unwrap();
    let (_, clock) = clock();
    let db = test_db.connect().await;
    DbStorage::<Flow>::new(db.clone(), clock.clone())
        .update_dialogue(ChatId(5), Flow::Done)
        .await
        .unwrap();
    db.close().await.unwrap();

    let db = test_db.connect().await;
    let got = DbStorage::<Flow>::new(db, clock)
        .get_dialogue(ChatId(5))
        .await
        .unwrap();
    assert_eq!(got, Some(Flow::Done));
}

#[tokio::test]
async fn concurrent_claims_of_one_event_let_exactly_one_through() {
    each_backend(async |db| {
        let (_, clock) = clock();
        let claims = futures::future::join_all((0..10).map(|_| {
            let db = db.clone();
            let now = clock.now();
            async move {
                events::claim(&db, now, EventSource::Stripe, "evt_1", "x", "done")
                    .await
                    .unwrap()
            }
        }))
        .await;
        assert_eq!(claims.iter().filter(|c| **c == Claim::New).count(), 1);
        assert_eq!(events::count(&db, EventSource::Stripe).await.unwrap(), 1);
        // The same id from another source is another event.
        let other = events::claim(
            &db,
            clock.now(),
            EventSource::TelegramPayment,
            "evt_1",
            "x",
            "done",
        )
        .await
        .unwrap();
        assert_eq!(other, Claim::New);
    })
    .await;
}

#[tokio::test]
async fn racing_starts_create_one_user() {
    each_backend(async |db| {
        let (_, clock) = clock();
        let profile = TelegramProfile {
            id: 42,
            first_name: "Ann".into(),
            last_name: None,
            username: Some("ann".into()),
            language_code: Some("en".into()),
        };
        let outcomes = futures::future::join_all((0..8).map(|_| {
            let (db, profile, now) = (db.clone(), profile.clone(), clock.now());
            async move {
                users::register_start(&db, now, &profile, None, None)
                    .await
                    .unwrap()
            }
        }))
        .await;
        let new = outcomes
            .iter()
            .filter(|o| matches!(o, StartOutcome::New(_)))
            .count();
        assert_eq!(new, 1);
        assert_eq!(
            entities::users::Entity::find()
                .all(&db)
                .await
                .unwrap()
                .len(),
            1
        );
    })
    .await;
}

fn runner(db: Db, clock: SharedClock, fails: Arc<AtomicU32>) -> JobRunner {
    JobRunner::builder()
        .handle("ok", |_| async { Ok(()) })
        .handle("flaky", move |_| {
            let fails = fails.clone();
            async move {
                if fails.fetch_add(1, Ordering::SeqCst) < 2 {
                    Err(JobError::Retry("not yet".into()))
                } else {
                    Ok(())
                }
            }
        })
        .handle("broken", |_| async {
            Err(JobError::Permanent("bad payload".into()))
        })
        .build(db, clock, Metrics::default())
}

#[tokio::test]
async fn jobs_run_once_retry_with_back_off_and_end_dead_when_hopeless() {
    each_backend(async |db| {
        let (manual, clock) = clock();
        let fails = Arc::new(AtomicU32::new(0));
        let jobs = runner(db.clone(), clock.clone(), fails.clone());
        let now = clock.now();
        assert!(
            jobs::enqueue(&db, now, NewJob::now("ok", serde_json::json!({}), now))
                .await
                .unwrap()
        );
        jobs::enqueue(&db, now, NewJob::now("flaky", serde_json::json!({}), now))
            .await
            .unwrap();
        jobs::enqueue(&db, now, NewJob::now("broken", serde_json::json!({}), now))
            .await
            .unwrap();
        jobs::enqueue(
            &db,
            now,
            NewJob::now("nobody-handles-this", serde_json::json!({}), now),
        )
        .await
        .unwrap();
        let later = NewJob {
            run_at: now + Duration::hours(1),
            ..NewJob::now("ok", serde_json::json!({}), now)
        };
        jobs::enqueue(&db, now, later).await.unwrap();

        let ran = jobs.drain().await.unwrap();
        assert_eq!(ran.len(), 4, "{ran:?}");
        assert!(matches!(ran[0], Ran::Done(_)));
        assert!(matches!(ran[1], Ran::Retrying(_)));
        assert!(matches!(ran[2], Ran::Dead(_)));
        assert!(matches!(ran[3], Ran::Dead(_)));
        // Back-off: nothing more is due until time passes.
        assert!(jobs.drain().await.unwrap().is_empty());
        manual.advance(Duration::seconds(11));
        assert!(matches!(
            jobs.drain().await.unwrap()[..],
            [Ran::Retrying(_)]
        ));
        manual.advance(Duration::minutes(2));
        assert!(matches!(jobs.drain().await.unwrap()[..], [Ran::Done(_)]));
        manual.advance(Duration::hours(1));
        assert!(matches!(jobs.drain().await.unwrap()[..], [Ran::Done(_)]));

        let counts = jobs::counts(&db).await.unwrap();
        assert_eq!(counts["done"], 3);
        assert_eq!(counts["dead"], 2);
        assert_eq!(fails.load(Ordering::SeqCst), 3);
    })
    .await;
}

#[tokio::test]
async fn a_dedupe_key_admits_one_job_and_an_expired_lease_is_taken_over() {
    each_backend(async |db| {
        let (manual, clock) = clock();
        let now = clock.now();
        let keyed = || NewJob {
            dedupe_key: Some("daily:2026-11-21".into()),
            ..NewJob::now("ok", serde_json::json!({}), now)
        };
        assert!(jobs::enqueue(&db, now, keyed()).await.unwrap());
        assert!(!jobs::enqueue(&db, now, keyed()).await.unwrap());

        // A worker that claimed the job and died: simulate by marking it running with a lease.
        use sea_orm::{ColumnTrait, QueryFilter, sea_query::Expr};
        entities::jobs::Entity::update_many()
            .col_expr(entities::jobs::Column::Status, Expr::value("running"))
            .col_expr(
                entities::jobs::Column::LockedUntil,
                Expr::value(now + Duration::minutes(5)),
            )
            .filter(entities::jobs::Column::Kind.eq("ok"))
            .exec(&db)
            .await
            .unwrap();
        let jobs = runner(db.clone(), clock.clone(), Arc::new(AtomicU32::new(0)));
        assert!(
            jobs.drain().await.unwrap().is_empty(),
            "the lease still holds"
        );
        manual.advance(Duration::minutes(6));
        assert!(matches!(jobs.drain().await.unwrap()[..], [Ran::Done(_)]));
    })
    .await;
}

#[tokio::test]
async fn postgres_connections_plan_each_statement_once() {
    // Batched statements take a JSON parameter; with PostgreSQL's default plan cache mode they
    // were planned afresh on every run, and planning cost more than running them.
    let Some(test_db) = TestDb::new(Backend::Postgres).await else {
        return;
    };
    let db = test_db.connect().await;
    for _ in 0..3 {
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                "SHOW plan_cache_mode",
            ))
            .await
            .unwrap()
            .unwrap();
        let mode: String = row.try_get("", "plan_cache_mode").unwrap();
        assert_eq!(mode, "force_generic_plan");
    }
    db.close().await.unwrap();
    test_db.drop_now().await;
}

#[tokio::test]
async fn every_change_that_prices_a_message_moves_a_version() {
    // The relay gate trusts a remembered profile only while the user's version and the epoch
    // stand still; the migration's triggers must move them on every such change, whoever
    // writes it, and a user's version only for changes of theirs.
    use tollgate::{
        accounts::credits::{self, Movement, Reason},
        accounts::tiers,
        billing::auto_recharge,
        billing::passes::{self, PassKind},
        relay::threads as relay,
        services::settings,
    };
    async fn versions(db: &Db) -> (i64, i64, i64) {
        let rows = tollgate::storage::query_all(
            db,
            "SELECT COALESCE((SELECT version FROM users WHERE id = 1), -1) AS one, \
               (SELECT version FROM users WHERE id = 2) AS two, \
               (SELECT epoch FROM profile_epoch) AS epoch",
            vec![],
        )
        .await
        .unwrap();
        let get = |c| rows[0].try_get::<i64>("", c).unwrap();
        (get("one"), get("two"), get("epoch"))
    }
    each_backend(async |db| {
        let (_, clock) = clock();
        let now = clock.now();
        crate::helpers::registered(&db, 1, "en").await;
        crate::helpers::registered(&db, 2, "en").await;
        let mut last = versions(&db).await;
        // (what, whether user 1's version moves, whether the epoch moves)
        let mut step = async |what: &str, user: bool, epoch: bool| {
            let now = versions(&db).await;
            assert_eq!(
                (now.0 > last.0, now.1, now.2 > last.2),
                (user, last.1, epoch),
                "{what}: {last:?} -> {now:?}"
            );
            last = now;
        };
        credits::grant(&db, now, &Movement::new(1, 5, Reason::AdminGrant))
            .await
            .unwrap();
        step("a grant", true, false).await;
        users::set_banned(&db, 1, true).await.unwrap();
        step("a ban", true, false).await;
        passes::grant(&db, now, 1, PassKind::Day, "test")
            .await
            .unwrap();
        step("a pass", true, false).await;
        relay::set_topic(&db, now, 1, -100, 7).await.unwrap();
        step("a topic", true, false).await;
        auto_recharge::enable(&db, now, 1, 2, 1).await.unwrap();
        step("auto-recharge on", true, false).await;
        auto_recharge::disable(&db, now, 1).await.unwrap();
        step("auto-recharge off", true, false).await;
        let gold = tiers::upsert(&db, now, "gold", 3, "").await.unwrap();
        step("a new tier", false, true).await;
        tiers::assign(&db, 1, Some(gold.id)).await.unwrap();
        step("a tier for the user", true, false).await;
        settings::set(&db, now, &settings::MESSAGE_COST, &2)
            .await
            .unwrap();
        step("a setting", false, true).await;
        // A user deleted (`/reset`) comes back at version 0: the epoch moves so that nothing
        // remembered of them before can pass for them after.
        users::reset(&db, 1).await.unwrap();
        step("a reset", false, true).await;
    })
    .await;
}
