//! The admission policy, as plain functions over what the gate read: who is refused (banned),
//! who goes free (an active pass), and, walking a batch's messages in order as one debit after
//! another would, what each message costs and whether the balance covers it.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::{Admission, Admitted, Knock, Verdict, queries::Profile};
use crate::{
    accounts::{
        credits::{Movement, Reason},
        users::User,
    },
    domain::UserStatus,
};

/// What a batch decided before writing anything.
#[derive(Debug)]
pub(super) struct Walk {
    /// Per knock, in order: its verdict, or None for a user the gate does not know.
    pub(super) verdicts: Vec<Option<Verdict>>,
    /// The debits to write, in order, each with the balance it leaves.
    pub(super) charges: Vec<(Movement, i64)>,
    /// Each known user's balance after the walk.
    pub(super) balances: HashMap<i64, i64>,
}

/// Decides every knock of a batch against the users' `profiles`, in order: a banned user is
/// refused, a user with a pass goes free, a message seen earlier in the batch is a duplicate,
/// and any other costs the user's tier price while the balance (as the walk has left it)
/// covers it.
pub(super) fn walk(knocks: &[Knock], profiles: &HashMap<i64, Profile>, now: DateTime<Utc>) -> Walk {
    let mut balances: HashMap<i64, i64> = profiles
        .iter()
        .map(|(&id, p)| (id, p.user.credits))
        .collect();
    let mut keys_now = HashSet::new();
    let mut verdicts = Vec::with_capacity(knocks.len());
    let mut charges = Vec::new();
    for knock in knocks {
        let Some(profile) = profiles.get(&knock.user_id) else {
            verdicts.push(None);
            continue;
        };
        let verdict = if let Some(free) = free_verdict(profile, now) {
            free
        } else if !keys_now.insert(knock.key()) {
            Verdict::Duplicate
        } else {
            let balance = balances
                .get_mut(&knock.user_id)
                .expect("every profile has a balance");
            let cost = profile.tier.message_cost;
            if *balance >= cost {
                *balance -= cost;
                charges.push((movement(knock, cost), *balance));
                Verdict::Charged {
                    before: *balance + cost,
                    after: *balance,
                    cost,
                }
            } else {
                Verdict::Insufficient { balance: *balance }
            }
        };
        verdicts.push(Some(verdict));
    }
    Walk {
        verdicts,
        charges,
        balances,
    }
}

/// The verdict that needs no debit: banned, the relay switched off, or free under an active
/// pass.
pub(super) fn free_verdict(profile: &Profile, now: DateTime<Utc>) -> Option<Verdict> {
    if is_banned(&profile.user) {
        Some(Verdict::Banned)
    } else if !profile.relay_open {
        Some(Verdict::Paused)
    } else if profile.has_pass(now) {
        Some(Verdict::Unlimited)
    } else {
        None
    }
}

pub(super) fn admission(profile: &Profile, verdict: Verdict) -> Admitted {
    Admitted::Known(Box::new(Admission {
        user: profile.user.clone(),
        tier: profile.tier.clone(),
        topic: profile.topic,
        verdict,
        low_credit_threshold: profile.low_credit_threshold,
        recharge: profile.recharge,
    }))
}

fn is_banned(user: &User) -> bool {
    UserStatus::parse(&user.status) == Ok(UserStatus::Banned)
}

pub(super) fn movement(knock: &Knock, cost: i64) -> Movement {
    Movement::new(knock.user_id, cost, Reason::Message)
        .key(knock.key())
        .reference(knock.message_id.to_string())
        .actor(format!("user:{}", knock.user_id))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::accounts::tiers::Tier;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap()
    }

    fn profile(id: i64, credits: i64, cost: i64) -> Profile {
        Profile {
            user: User {
                id,
                first_name: format!("User{id}"),
                last_name: None,
                username: None,
                language_code: None,
                locale: None,
                status: UserStatus::Active.as_str().into(),
                start_payload: None,
                created_at: now(),
                last_seen_at: now(),
                unreachable_at: None,
                credits,
                tier_id: None,
                banned_notice_sent: false,
                flagged_at: None,
            },
            tier: Tier {
                name: "standard".into(),
                message_cost: cost,
            },
            topic: None,
            pass_ends: None,
            recharge: None,
            low_credit_threshold: 0,
            relay_open: true,
            version: 1,
            epoch: 1,
        }
    }

    fn knock(user_id: i64, message_id: i32) -> Knock {
        Knock {
            user_id,
            message_id,
        }
    }

    #[test]
    fn a_batch_walks_each_balance_down_in_order_and_refuses_what_it_no_longer_covers() {
        let profiles = HashMap::from([(1, profile(1, 5, 2)), (2, profile(2, 1, 1))]);
        let knocks = [
            knock(1, 10),
            knock(2, 20),
            knock(1, 11),
            knock(1, 12),
            knock(3, 30),
        ];
        let w = walk(&knocks, &profiles, now());
        assert_eq!(
            w.verdicts,
            vec![
                Some(Verdict::Charged {
                    before: 5,
                    after: 3,
                    cost: 2
                }),
                Some(Verdict::Charged {
                    before: 1,
                    after: 0,
                    cost: 1
                }),
                Some(Verdict::Charged {
                    before: 3,
                    after: 1,
                    cost: 2
                }),
                Some(Verdict::Insufficient { balance: 1 }),
                None,
            ]
        );
        assert_eq!(w.balances, HashMap::from([(1, 1), (2, 0)]));
        let charged: Vec<(i64, i64, i64)> = w
            .charges
            .iter()
            .map(|(m, after)| (m.user_id, m.amount, *after))
            .collect();
        assert_eq!(charged, vec![(1, 2, 3), (2, 1, 0), (1, 2, 1)]);
        assert_eq!(w.charges[0].0.idempotency_key.as_deref(), Some("msg:1:10"));
    }

    #[test]
    fn the_same_message_twice_in_a_batch_is_charged_once() {
        let profiles = HashMap::from([(1, profile(1, 5, 1))]);
        let w = walk(&[knock(1, 10), knock(1, 10)], &profiles, now());
        assert_eq!(w.verdicts[1], Some(Verdict::Duplicate));
        assert_eq!(w.charges.len(), 1);
        assert_eq!(w.balances[&1], 4);
    }

    #[test]
    fn banned_users_are_refused_and_a_running_pass_goes_free_without_a_debit() {
        let mut banned = profile(1, 5, 1);
        banned.user.status = UserStatus::Banned.as_str().into();
        let mut pass = profile(2, 0, 1);
        pass.pass_ends = Some(now() + chrono::Duration::hours(1));
        let mut ended = profile(3, 0, 1);
        ended.pass_ends = Some(now());
        let profiles = HashMap::from([(1, banned), (2, pass), (3, ended)]);
        let w = walk(&[knock(1, 1), knock(2, 2), knock(3, 3)], &profiles, now());
        assert_eq!(
            w.verdicts,
            vec![
                Some(Verdict::Banned),
                Some(Verdict::Unlimited),
                Some(Verdict::Insufficient { balance: 0 }),
            ]
        );
        assert!(w.charges.is_empty());
    }

    #[test]
    fn with_the_relay_switched_off_nothing_is_charged() {
        let mut open = profile(1, 5, 1);
        open.relay_open = false;
        let mut pass = profile(2, 0, 1);
        pass.relay_open = false;
        pass.pass_ends = Some(now() + chrono::Duration::hours(1));
        let profiles = HashMap::from([(1, open), (2, pass)]);
        let w = walk(&[knock(1, 1), knock(2, 2)], &profiles, now());
        assert_eq!(
            w.verdicts,
            vec![Some(Verdict::Paused), Some(Verdict::Paused)]
        );
        assert!(w.charges.is_empty());
    }
}
