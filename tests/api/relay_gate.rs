//! The relay gate on real databases: batches charge exactly what one debit after another
//! would, and fall back to one by one whenever a batch can't be exact.
use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use tollgate::{
    storage::{Db, entities::credit_ledger},
    {
        accounts::credits::{self, Movement, Reason},
        accounts::tiers,
        accounts::users,
        billing::passes::{self, PassKind},
        relay::gate::{self, Admitted, Knock, RelayGate, Verdict},
    },
};

use crate::helpers::{clock, each_backend, registered};

async fn user_with(db: &Db, id: i64, credits_: i64) {
    registered(db, id, "en").await;
    if credits_ > 0 {
        let grant = Movement::new(id, credits_, Reason::AdminGrant);
        credits::grant(db, clock().1.now(), &grant).await.unwrap();
    }
}

fn knock(user_id: i64, message_id: i32) -> Knock {
    Knock {
        user_id,
        message_id,
    }
}

fn verdict(a: &tollgate::services::ServiceResult<Admitted>) -> Option<Verdict> {
    match a.as_ref().expect("admitted") {
        Admitted::Unknown => None,
        Admitted::Known(a) => Some(a.verdict),
    }
}

async fn message_entries(db: &Db, user_id: i64) -> Vec<credit_ledger::Model> {
    credit_ledger::Entity::find()
        .filter(credit_ledger::Column::UserId.eq(user_id))
        .filter(credit_ledger::Column::Reason.eq(Reason::Message.as_str()))
        .order_by_asc(credit_ledger::Column::Id)
        .all(db)
        .await
        .unwrap()
}

#[tokio::test]
async fn one_batch_decides_like_one_debit_after_another() {
    each_backend(async |db| {
        let (_, clock) = clock();
        let now = clock.now();
        user_with(&db, 1, 3).await; // three messages, then out
        user_with(&db, 2, 5).await; // on a tier where a message costs 2
        user_with(&db, 3, 0).await; // a day pass: free
        user_with(&db, 4, 5).await; // banned
        let tier = tiers::upsert(&db, now, "gold", 2, "").await.unwrap();
        tiers::assign(&db, 2, Some(tier.id)).await.unwrap();
        passes::grant(&db, now, 3, PassKind::Day, "test")
            .await
            .unwrap();
        users::set_banned(&db, 4, true).await.unwrap();

        let knocks = [
            knock(1, 10),
            knock(2, 10),
            knock(1, 11),
            knock(3, 10),
            knock(1, 12),
            knock(1, 13),
            knock(4, 10),
            knock(2, 10), // the same message twice in one batch
            knock(99, 10),
            knock(2, 11),
        ];
        let out = gate::admit_all(&db, now, &knocks).await;
        let got: Vec<_> = out.iter().map(verdict).collect();
        let charged = |before, after, cost| {
            Some(Verdict::Charged {
                before,
                after,
                cost,
            })
        };
        assert_eq!(
            got,
            vec![
                charged(3, 2, 1),
                charged(5, 3, 2),
                charged(2, 1, 1),
                Some(Verdict::Unlimited),
                charged(1, 0, 1),
                Some(Verdict::Insufficient { balance: 0 }),
                Some(Verdict::Banned),
                Some(Verdict::Duplicate),
                None,
                charged(3, 1, 2),
            ]
        );
        for (id, balance) in [(1, 0), (2, 1), (3, 0), (4, 5)] {
            assert_eq!(
                credits::balance(&db, id).await.unwrap(),
                balance,
                "user {id}"
            );
            assert_eq!(
                credits::ledger_sum(&db, id).await.unwrap(),
                balance,
                "user {id}"
            );
        }
        let walk: Vec<_> = message_entries(&db, 1)
            .await
            .iter()
            .map(|e| {
                (
                    e.amount,
                    e.balance_after,
                    e.idempotency_key.clone().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            walk,
            vec![
                (-1, 2, "msg:1:10".to_owned()),
                (-1, 1, "msg:1:11".to_owned()),
                (-1, 0, "msg:1:12".to_owned()),
            ]
        );
        // The pass ends: the next message is charged again (and refused: no credits).
        let later = now + Duration::days(2);
        let out = gate::admit_all(&db, later, &[knock(3, 11)]).await;
        assert_eq!(verdict(&out[0]), Some(Verdict::Insufficient { balance: 0 }));
    })
    .await;
}

#[tokio::test]
async fn a_message_charged_before_is_a_duplicate_and_the_rest_of_its_batch_still_counts() {
    each_backend(async |db| {
        let (_, clock) = clock();
        let now = clock.now();
        user_with(&db, 1, 5).await;
        user_with(&db, 2, 5).await;
        let first = gate::admit_all(&db, now, &[knock(1, 7)]).await;
        assert!(matches!(verdict(&first[0]), Some(Verdict::Charged { .. })));
        // Telegram delivers message 7 again, in a batch with someone else's message.
        let again = gate::admit_all(&db, now, &[knock(2, 1), knock(1, 7), knock(1, 8)]).await;
        let got: Vec<_> = again.iter().map(verdict).collect();
        assert_eq!(
            got,
            vec![
                Some(Verdict::Charged {
                    before: 5,
                    after: 4,
                    cost: 1
                }),
                Some(Verdict::Duplicate),
                Some(Verdict::Charged {
                    before: 4,
                    after: 3,
                    cost: 1
                }),
            ]
        );
        assert_eq!(credits::balance(&db, 1).await.unwrap(), 3);
        assert_eq!(credits::ledger_sum(&db, 1).await.unwrap(), 3);
        assert_eq!(credits::balance(&db, 2).await.unwrap(), 4);
        assert_eq!(message_entries(&db, 1).await.len(), 2);
    })
    .await;
}

#[tokio::test]
async fn a_thousand_concurrent_knocks_charge_exactly_the_balance() {
    each_backend(async |db| {
        let (_, clock) = clock();
        user_with(&db, 1, 10).await;
        let gate = RelayGate::start(db.clone(), clock);
        let verdicts = futures::future::join_all((0..1000).map(|i| {
            let gate = gate.clone();
            async move { verdict(&gate.admit(1, i).await) }
        }))
        .await;
        let charged = verdicts
            .iter()
            .filter(|v| matches!(v, Some(Verdict::Charged { .. })))
            .count();
        let refused = verdicts
            .iter()
            .filter(|v| matches!(v, Some(Verdict::Insufficient { balance: 0 })))
            .count();
        assert_eq!((charged, refused), (10, 990));
        assert_eq!(credits::balance(&db, 1).await.unwrap(), 0);
        assert_eq!(credits::ledger_sum(&db, 1).await.unwrap(), 0);
        assert_eq!(message_entries(&db, 1).await.len(), 10);
    })
    .await;
}

#[tokio::test]
async fn a_grant_landing_between_read_and_write_never_makes_a_debit_wrong() {
    // Gates of two app replicas and grants race on one user; whatever interleaving happens,
    // every credit is accounted for and the balance never goes below zero.
    each_backend(async |db| {
        let (_, clock) = clock();
        user_with(&db, 1, 50).await;
        let (a, b) = (
            RelayGate::start(db.clone(), clock.clone()),
            RelayGate::start(db.clone(), clock.clone()),
        );
        let knocks = futures::future::join_all((0..200).map(|i| {
            let gate = if i % 2 == 0 { a.clone() } else { b.clone() };
            async move { verdict(&gate.admit(1, i).await) }
        }));
        let grants = futures::future::join_all((0..20).map(|i| {
            let (db, now) = (db.clone(), clock.now());
            async move {
                let m = Movement::new(1, 1, Reason::AdminGrant).key(format!("g{i}"));
                credits::grant(&db, now, &m).await.unwrap();
            }
        }));
        let (verdicts, _) = tokio::join!(knocks, grants);
        let charged = verdicts
            .iter()
            .filter(|v| matches!(v, Some(Verdict::Charged { .. })))
            .count() as i64;
        let balance = credits::balance(&db, 1).await.unwrap();
        assert!(balance >= 0);
        assert_eq!(balance, 50 + 20 - charged);
        assert_eq!(credits::ledger_sum(&db, 1).await.unwrap(), balance);
        assert_eq!(message_entries(&db, 1).await.len() as i64, charged);
    })
    .await;
}

#[tokio::test]
async fn stored_settings_price_a_batch_like_one_debit_after_another() {
    // The gate reads the settings inside its users query (the default tier's name decoded
    // from its stored JSON in SQL); a batch must price exactly like `tiers::of_user` does.
    use tollgate::services::settings;
    each_backend(async |db| {
        let (_, clock) = clock();
        let now = clock.now();
        for id in 1..=3 {
            user_with(&db, id, 20).await;
        }
        settings::set(&db, now, &settings::MESSAGE_COST, &4)
            .await
            .unwrap();
        settings::set(&db, now, &settings::LOW_CREDIT_THRESHOLD, &7)
            .await
            .unwrap();
        // A default tier with a name that needs JSON escaping and no row yet: the setting's
        // cost applies.
        let name = "Ünïcode \"vip\"".to_owned();
        settings::set(&db, now, &settings::DEFAULT_TIER, &name)
            .await
            .unwrap();
        let gold = tiers::upsert(&db, now, "gold", 1, "").await.unwrap();
        tiers::assign(&db, 3, Some(gold.id)).await.unwrap();

        let admitted = gate::admit_all(&db, now, &[knock(1, 1), knock(3, 1)]).await;
        let (one, three) = match (&admitted[0], &admitted[1]) {
            (Ok(Admitted::Known(a)), Ok(Admitted::Known(b))) => (a, b),
            other => panic!("both known: {other:?}"),
        };
        assert_eq!(one.tier.name, name);
        assert_eq!(one.tier.message_cost, 4);
        assert_eq!(one.low_credit_threshold, 7);
        assert_eq!(
            one.verdict,
            Verdict::Charged {
                before: 20,
                after: 16,
                cost: 4
            }
        );
        assert_eq!(three.tier.name, "gold");
        assert_eq!(
            three.verdict,
            Verdict::Charged {
                before: 20,
                after: 19,
                cost: 1
            }
        );

        // Now the default tier has a row: its cost wins over the setting, for batch and
        // one-by-one pricing alike.
        tiers::upsert(&db, now, &name, 2, "").await.unwrap();
        let user = users::find(&db, 2).await.unwrap().unwrap();
        assert_eq!(tiers::of_user(&db, &user).await.unwrap().message_cost, 2);
        let admitted = gate::admit_all(&db, now, &[knock(1, 2), knock(2, 1)]).await;
        for (a, before) in admitted.iter().zip([16, 20]) {
            match a {
                Ok(Admitted::Known(a)) => {
                    assert_eq!(a.tier.name, name);
                    assert_eq!(
                        a.verdict,
                        Verdict::Charged {
                            before,
                            after: before - 2,
                            cost: 2
                        }
                    );
                }
                other => panic!("known: {other:?}"),
            }
        }
        assert_eq!(credits::ledger_sum(&db, 1).await.unwrap(), 14);
        assert_eq!(credits::ledger_sum(&db, 2).await.unwrap(), 18);
    })
    .await;
}

/// One message through `gate`, which must know the user.
async fn admitted(gate: &RelayGate, user_id: i64, message_id: i32) -> gate::Admission {
    match gate.admit(user_id, message_id).await.expect("admitted") {
        Admitted::Known(admission) => *admission,
        Admitted::Unknown => panic!("user {user_id} is unknown"),
    }
}

fn charged(before: i64, after: i64, cost: i64) -> Verdict {
    Verdict::Charged {
        before,
        after,
        cost,
    }
}

#[tokio::test]
async fn a_remembered_profile_decides_only_while_nothing_that_prices_it_has_changed() {
    // The gate remembers the profiles it read and does not read them again; every change
    // below lands between two messages, through the services as the app makes it, and the
    // very next message must be decided as a fresh read would decide it.
    use tollgate::{billing::auto_recharge, relay::threads as relay, services::settings};
    each_backend(async |db| {
        let (manual, clock) = clock();
        user_with(&db, 1, 10).await;
        user_with(&db, 2, 10).await;
        let gate = RelayGate::start(db.clone(), clock.clone());

        assert_eq!(admitted(&gate, 1, 1).await.verdict, charged(10, 9, 1));
        assert_eq!(admitted(&gate, 1, 2).await.verdict, charged(9, 8, 1));

        let grant = Movement::new(1, 5, Reason::AdminGrant);
        credits::grant(&db, clock.now(), &grant).await.unwrap();
        assert_eq!(admitted(&gate, 1, 3).await.verdict, charged(13, 12, 1));

        passes::grant(&db, clock.now(), 1, PassKind::Day, "test")
            .await
            .unwrap();
        assert_eq!(admitted(&gate, 1, 4).await.verdict, Verdict::Unlimited);
        // The pass ends with time alone, nothing written.
        manual.advance(Duration::days(2));
        assert_eq!(admitted(&gate, 1, 5).await.verdict, charged(12, 11, 1));

        users::set_banned(&db, 1, true).await.unwrap();
        assert_eq!(admitted(&gate, 1, 6).await.verdict, Verdict::Banned);
        users::set_banned(&db, 1, false).await.unwrap();
        assert_eq!(admitted(&gate, 1, 7).await.verdict, charged(11, 10, 1));

        let gold = tiers::upsert(&db, clock.now(), "gold", 3, "")
            .await
            .unwrap();
        tiers::assign(&db, 1, Some(gold.id)).await.unwrap();
        let a = admitted(&gate, 1, 8).await;
        assert_eq!(
            (a.tier.name.as_str(), a.verdict),
            ("gold", charged(10, 7, 3))
        );
        // The tier itself changes price: nothing of user 1's row moves.
        tiers::upsert(&db, clock.now(), "gold", 2, "")
            .await
            .unwrap();
        assert_eq!(admitted(&gate, 1, 9).await.verdict, charged(7, 5, 2));

        settings::set(&db, clock.now(), &settings::LOW_CREDIT_THRESHOLD, &4)
            .await
            .unwrap();
        assert_eq!(admitted(&gate, 1, 10).await.low_credit_threshold, 4);

        assert_eq!(admitted(&gate, 1, 11).await.topic, None); // 5 -> 3 -> 1
        relay::set_topic(&db, clock.now(), 1, -100, 42)
            .await
            .unwrap();
        // Refused (balance 1, cost 2): nothing is written, the gate still checks the profile.
        assert_eq!(
            admitted(&gate, 1, 12).await.topic,
            Some(gate::KnownTopic {
                chat_id: -100,
                thread_id: 42
            })
        );

        auto_recharge::enable(&db, clock.now(), 1, 3, 1)
            .await
            .unwrap();
        auto_recharge::save_payment_method(&db, clock.now(), 1, "pm_card")
            .await
            .unwrap();
        let a = admitted(&gate, 1, 13).await;
        assert_eq!(a.recharge, Some(gate::RechargeWish { threshold: 3 }));
        assert_eq!(a.verdict, Verdict::Insufficient { balance: 1 });
        assert_eq!(a.recharge_due(), Some(1));

        // Another replica's gate charges the same user: this gate's memory is behind.
        let replica = RelayGate::start(db.clone(), clock.clone());
        let grant = Movement::new(1, 10, Reason::AdminGrant);
        credits::grant(&db, clock.now(), &grant).await.unwrap();
        let balance = credits::balance(&db, 1).await.unwrap();
        assert_eq!(
            admitted(&replica, 1, 14).await.verdict,
            charged(balance, balance - 2, 2)
        );
        assert_eq!(
            admitted(&gate, 1, 15).await.verdict,
            charged(balance - 2, balance - 4, 2)
        );

        // User 2 is on the default tier, priced by the setting.
        assert_eq!(admitted(&gate, 2, 1).await.verdict, charged(10, 9, 1));
        settings::set(&db, clock.now(), &settings::MESSAGE_COST, &4)
            .await
            .unwrap();
        assert_eq!(admitted(&gate, 2, 2).await.verdict, charged(9, 5, 4));

        for id in [1, 2] {
            let balance = credits::balance(&db, id).await.unwrap();
            assert_eq!(credits::ledger_sum(&db, id).await.unwrap(), balance);
        }
    })
    .await;
}
