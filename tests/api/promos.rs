//! Promo codes: parallel buyers never take more uses than are left (SQLite and PostgreSQL);
//! what a code does to a plan and every reason it does not; uses given back by a failed
//! checkout and by a stale Stars invoice; a free order admitted at once; `forever` codes on
//! later orders; the seller's `/promos` dialogue and the buyer's deep link and button in the
//! bot; the card price through the Stripe double; and the REST API, scoped per seller.
use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use tollgate::{
    sellers::{
        access::{self, ChargeRef, Ordered, PayBy},
        audit, catalog,
        promos::{self, Invalid, Kind, NewPromo, NotCreated, Term},
        tenant::Tenant,
    },
    storage::{
        Db,
        entities::{access_orders, promo_redemptions},
    },
};

use crate::{
    helpers::{Backend, TestApp, each_backend, registered, spawn_app_with},
    on_both_databases,
    seller_api::{call, key_from_bot},
    sellers::{press, shop, wait_contains},
};

struct Setup {
    tenant: Tenant,
    service: catalog::Service,
    plan: catalog::Plan,
    other_plan: catalog::Plan,
}

/// A seller in live mode with one service and two plans: 250 Stars or $9.99 for 30 days, and
/// 100 Stars for 7 days.
async fn setup(db: &Db, user: i64) -> Setup {
    let now = Utc::now();
    registered(db, user, "en").await;
    let seller = catalog::register(db, now, user, "Sam", "sam@example.com")
        .await
        .unwrap();
    let catalog::Connected::New(service) = catalog::connect_chat(
        db,
        now,
        &seller,
        -100_000 - user,
        catalog::ChatKind::Channel,
        "VIP",
        true,
    )
    .await
    .unwrap() else {
        panic!("a new service")
    };
    let plan = catalog::add_plan(
        db,
        now,
        &service,
        catalog::NewPlan {
            stars_price: Some(250),
            card: Some((999, "usd".into())),
            period_days: 30,
            trial_days: 0,
        },
    )
    .await
    .unwrap();
    let other_plan = catalog::add_plan(
        db,
        now,
        &service,
        catalog::NewPlan {
            stars_price: Some(100),
            card: None,
            period_days: 7,
            trial_days: 0,
        },
    )
    .await
    .unwrap();
    Setup {
        tenant: Tenant {
            seller_id: seller.id,
            livemode: true,
        },
        service,
        plan,
        other_plan,
    }
}

fn new_code(code: &str, kind: Kind, value: i64, max_uses: Option<i64>) -> NewPromo {
    NewPromo {
        code: code.into(),
        kind,
        value,
        currency: None,
        max_uses,
        expires_at: None,
        plan_ids: vec![],
        term: Term::Once,
    }
}

async fn make(db: &Db, s: &Setup, new: NewPromo) -> promos::PromoCode {
    promos::create(db, Utc::now(), s.tenant, 1, new)
        .await
        .unwrap()
        .unwrap()
}

async fn order_with(
    db: &Db,
    s: &Setup,
    plan: &catalog::Plan,
    buyer: i64,
    code: &str,
    by: PayBy,
) -> Result<access::AccessOrder, Invalid> {
    let now = Utc::now();
    let quote = promos::quote(db, plan, code, buyer, now).await.unwrap()?;
    let _ = s;
    match access::create_order_with(db, now, buyer, plan, by, Some(&quote))
        .await
        .unwrap()
    {
        Ordered::Order(o) => Ok(*o),
        Ordered::Promo(why) => Err(why),
        Ordered::NoPrice => panic!("no price"),
        Ordered::Limit(reached) => panic!("{}", reached.describe()),
    }
}

async fn used(db: &Db, id: i64) -> i64 {
    promos::by_id(db, id).await.unwrap().unwrap().used
}

/// N buyers at once on a code with k uses left: exactly k orders, the count at the limit,
/// one redemption per order.
#[tokio::test]
async fn parallel_redemptions_take_exactly_the_uses_left() {
    each_backend(async |db: Db| {
        let s = setup(&db, 7000).await;
        let code = make(&db, &s, new_code("RUSH", Kind::Percent, 10, Some(7))).await;
        // Two uses taken before the rush: five left.
        for buyer in [7001, 7002] {
            registered(&db, buyer, "en").await;
            order_with(&db, &s, &s.plan, buyer, "rush", PayBy::Stars)
                .await
                .unwrap();
        }
        const N: i64 = 24;
        let mut tasks = Vec::new();
        for i in 0..N {
            let buyer = 7100 + i;
            registered(&db, buyer, "en").await;
            let (db, plan, code) = (db.clone(), s.plan.clone(), code.clone());
            tasks.push(tokio::spawn(async move {
                let now = Utc::now();
                let quote = match promos::quote_code(&db, &plan, code, buyer, now)
                    .await
                    .unwrap()
                {
                    Ok(q) => q,
                    Err(why) => return Err(why),
                };
                match access::create_order_with(&db, now, buyer, &plan, PayBy::Stars, Some(&quote))
                    .await
                    .unwrap()
                {
                    Ordered::Order(o) => Ok(o.amount_minor),
                    Ordered::Promo(why) => Err(why),
                    Ordered::NoPrice => panic!("no price"),
                    Ordered::Limit(reached) => panic!("{}", reached.describe()),
                }
            }));
        }
        let mut won = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(amount) => {
                    assert_eq!(amount, 225);
                    won += 1;
                }
                Err(why) => assert_eq!(why, Invalid::UsedUp),
            }
        }
        assert_eq!(won, 5, "exactly the uses left");
        assert_eq!(used(&db, code.id).await, 7);
        let rows = promo_redemptions::Entity::find()
            .filter(promo_redemptions::Column::PromoCodeId.eq(code.id))
            .count(&db)
            .await
            .unwrap();
        assert_eq!(rows, 7);
        let priced = access_orders::Entity::find()
            .filter(access_orders::Column::PromoCodeId.eq(code.id))
            .count(&db)
            .await
            .unwrap();
        assert_eq!(priced, 7, "an order without its use is rolled back");
    })
    .await;
}

/// Every reason a code does not apply, and that none of them changes anything.
#[tokio::test]
async fn a_code_that_does_not_apply_says_why() {
    each_backend(async |db: Db| {
        let s = setup(&db, 8000).await;
        let now = Utc::now();
        let buyer = 8001;
        registered(&db, buyer, "en").await;
        let quote = |code: &'static str, plan: catalog::Plan| {
            let db = db.clone();
            async move {
                promos::quote(&db, &plan, code, buyer, Utc::now())
                    .await
                    .unwrap()
                    .err()
            }
        };
        assert_eq!(quote("NOPE", s.plan.clone()).await, Some(Invalid::Unknown));
        let mut old = new_code("OLD", Kind::Percent, 10, None);
        old.expires_at = Some(now + Duration::seconds(1));
        make(&db, &s, old).await;
        let later = now + Duration::seconds(2);
        let expired = promos::quote(&db, &s.plan, "old", buyer, later)
            .await
            .unwrap();
        assert_eq!(expired.err(), Some(Invalid::Expired));
        let bound = NewPromo {
            plan_ids: vec![s.other_plan.id],
            ..new_code("WEEK", Kind::Percent, 50, None)
        };
        make(&db, &s, bound).await;
        assert_eq!(
            quote("week", s.plan.clone()).await,
            Some(Invalid::WrongPlan)
        );
        assert_eq!(quote("week", s.other_plan.clone()).await, None);
        let euros = NewPromo {
            currency: Some("eur".into()),
            ..new_code("EURO", Kind::Amount, 100, None)
        };
        make(&db, &s, euros).await;
        assert_eq!(
            quote("EURO", s.plan.clone()).await,
            Some(Invalid::WrongCurrency)
        );
        let once = make(&db, &s, new_code("ONE", Kind::Percent, 10, Some(1))).await;
        let order = order_with(&db, &s, &s.plan, buyer, "one", PayBy::Stars)
            .await
            .unwrap();
        assert_eq!((order.amount_minor, order.discount_minor), (225, 25));
        access::pay(&db, now, &order, ChargeRef::Telegram("ch-one"), 10)
            .await
            .unwrap();
        // The buyer used it; for anyone else it is used up.
        assert_eq!(
            quote("one", s.plan.clone()).await,
            Some(Invalid::AlreadyUsed)
        );
        registered(&db, 8002, "en").await;
        let other = promos::quote(&db, &s.plan, "one", 8002, now).await.unwrap();
        assert_eq!(other.err(), Some(Invalid::UsedUp));
        let off = make(&db, &s, new_code("OFF", Kind::Percent, 10, None)).await;
        promos::deactivate(&db, now, s.tenant, off.id, 1)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(quote("off", s.plan.clone()).await, Some(Invalid::Inactive));
        // Another seller's code of the same text is not this seller's.
        let t = setup(&db, 8100).await;
        make(&db, &t, new_code("THEIRS", Kind::Percent, 90, None)).await;
        assert_eq!(
            quote("theirs", s.plan.clone()).await,
            Some(Invalid::Unknown)
        );
        // The text is unique per seller, whatever the case; a plan must be the seller's.
        let again = promos::create(
            &db,
            now,
            s.tenant,
            1,
            new_code("one", Kind::Percent, 5, None),
        )
        .await
        .unwrap();
        assert_eq!(again.err(), Some(NotCreated::Taken));
        let foreign = NewPromo {
            plan_ids: vec![t.plan.id],
            ..new_code("FOREIGN", Kind::Percent, 5, None)
        };
        let refused = promos::create(&db, now, s.tenant, 1, foreign)
            .await
            .unwrap();
        assert_eq!(refused.err(), Some(NotCreated::UnknownPlan(t.plan.id)));
        // Nothing of that took a use or made an order.
        assert_eq!(used(&db, once.id).await, 1);
        assert_eq!(access_orders::Entity::find().count(&db).await.unwrap(), 1);
    })
    .await;
}

/// A failed checkout gives its use back once; a Stars invoice unpaid for an hour gives its use
/// to the next buyer and is refused at pre-checkout; a 100 % code admits at once; a `forever`
/// code keeps discounting the buyer's later orders without taking uses.
#[tokio::test]
async fn uses_come_back_free_orders_admit_and_forever_repeats() {
    each_backend(async |db: Db| {
        let s = setup(&db, 9000).await;
        let now = Utc::now();
        for b in 9001..=9004 {
            registered(&db, b, "en").await;
        }
        let code = make(&db, &s, new_code("SOLO", Kind::Percent, 20, Some(1))).await;
        let card = order_with(&db, &s, &s.plan, 9001, "solo", PayBy::Card)
            .await
            .unwrap();
        assert_eq!((card.amount_minor, card.discount_minor), (800, 199));
        // While the card page is open the buyer cannot start another order with it.
        assert_eq!(
            order_with(&db, &s, &s.plan, 9001, "solo", PayBy::Stars)
                .await
                .err(),
            Some(Invalid::Pending)
        );
        assert!(access::mark_failed(&db, now, card.id).await.unwrap());
        assert!(!access::mark_failed(&db, now, card.id).await.unwrap());
        assert_eq!(used(&db, code.id).await, 0, "the use came back, once");

        // A Stars invoice holds the use for an hour, then the next buyer gets it.
        let stars = order_with(&db, &s, &s.plan, 9002, "solo", PayBy::Stars)
            .await
            .unwrap();
        assert_eq!(stars.amount_minor, 200);
        let soon = promos::quote(&db, &s.plan, "solo", 9003, now + Duration::minutes(30))
            .await
            .unwrap();
        assert_eq!(soon.err(), Some(Invalid::UsedUp));
        let later = now + promos::STARS_HOLD + Duration::minutes(1);
        let q = promos::quote(&db, &s.plan, "solo", 9003, later)
            .await
            .unwrap()
            .unwrap();
        let Ordered::Order(taken) =
            access::create_order_with(&db, later, 9003, &s.plan, PayBy::Stars, Some(&q))
                .await
                .unwrap()
        else {
            panic!("the stale use was given back")
        };
        assert_eq!(used(&db, code.id).await, 1);
        let refused =
            access::check_checkout(&db, &access::invoice_payload(stars.id), 9002, 200, "XTR")
                .await
                .unwrap();
        assert_eq!(refused.err(), Some(access::Refusal::AlreadyUsed));
        assert!(
            access::check_checkout(&db, &access::invoice_payload(taken.id), 9003, 200, "XTR")
                .await
                .unwrap()
                .is_ok()
        );

        // 100 %: a free order, admitted without a payment; the audit trail shows the list price.
        let mut forever = new_code("FREE", Kind::Percent, 100, Some(10));
        forever.term = Term::Forever;
        let free = make(&db, &s, forever).await;
        let order = order_with(&db, &s, &s.plan, 9004, "free", PayBy::Stars)
            .await
            .unwrap();
        assert_eq!((order.amount_minor, order.discount_minor), (0, 250));
        let access::Paid::Admitted { membership, order } =
            access::pay(&db, now, &order, ChargeRef::Free, 0)
                .await
                .unwrap()
        else {
            panic!("admitted")
        };
        assert!(access::is_current(&membership, now));
        assert_eq!((order.status.as_str(), order.fee_minor), ("paid", 0));
        let (trail, _) = audit::page(&db, s.tenant.seller_id, None, 0, 50)
            .await
            .unwrap();
        assert!(
            trail.iter().any(|e| e.action == "payment"
                && e.detail
                    .as_deref()
                    .unwrap_or("")
                    .contains("list 250, code FREE -250")),
            "{trail:?}"
        );
        // Forever: the next order is discounted too, and takes no use.
        let next = order_with(&db, &s, &s.plan, 9004, "free", PayBy::Card)
            .await
            .unwrap();
        assert_eq!(next.amount_minor, 0);
        assert_eq!(used(&db, free.id).await, 1);
        // A paid order cannot be paid "free" again, nor a priced one for free.
        assert_eq!(
            access::pay(&db, now, &taken, ChargeRef::Free, 0)
                .await
                .unwrap(),
            access::Paid::Duplicate
        );
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// In the bot

/// The seller makes a code in `/promos`; a buyer opens the link with it and pays the
/// discounted Stars price; a bad code entered with the button is named and changes nothing;
/// the seller deactivates the code.
async fn codes_in_the_bot(app: TestApp) {
    let shop = shop(&app, "Sam").await;
    let sam = shop.sam;
    app.say(sam, "/promos");
    wait_contains(&app, sam, "No codes yet", 1).await;
    press(&app, sam, "New code").await;
    wait_contains(&app, sam, "The code buyers will type", 1).await;
    app.say(sam, "no spaces please");
    wait_contains(&app, sam, "A code is 3 to 32", 1).await;
    app.say(sam, "SPRING");
    wait_contains(&app, sam, "The discount", 1).await;
    app.say(sam, "20%");
    wait_contains(&app, sam, "How many buyers", 1).await;
    app.say(sam, "2");
    wait_contains(&app, sam, "Valid for how many days", 1).await;
    app.say(sam, "30");
    let plans = wait_contains(&app, sam, "Which plans", 1).await;
    assert!(plans.body().unwrap().contains("⭐ 250"), "{plans:?}");
    app.say(sam, "-");
    wait_contains(&app, sam, "For how long", 1).await;
    app.say(sam, "once");
    let created = wait_contains(&app, sam, "Code created", 1).await;
    assert!(created.body().unwrap().contains("SPRING · -20% · used 0/2"));

    // A buyer with the code in the link: the discounted price, then an invoice for it.
    let bob = app.started_user("Bob", "en").await;
    app.say(bob, &format!("/start s_{}_spring", shop.code));
    let card = wait_contains(&app, bob, "Code SPRING: -20%", 1).await;
    assert!(
        card.buttons
            .iter()
            .flatten()
            .any(|b| b.text.contains("⭐ 200 (instead of 250)")),
        "{card:?}"
    );
    press(&app, bob, "⭐ 200").await;
    let invoice = loop {
        if let Some(m) = app
            .emu()
            .bot_messages(bob)
            .into_iter()
            .find(|m| m.kind == "invoice")
        {
            break m;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    app.emu()
        .pay_invoice(bob, bob, invoice.message_id)
        .await
        .unwrap();
    wait_contains(&app, bob, "Payment received", 1).await;
    let order = access_orders::Entity::find()
        .filter(access_orders::Column::UserId.eq(bob))
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            order.status.as_str(),
            order.amount_minor,
            order.discount_minor
        ),
        ("paid", 200, 50)
    );

    // Another buyer types a code that does not exist, then Bob's code again as Bob.
    let cid = app.started_user("Cid", "en").await;
    app.say(cid, &format!("/start s_{}", shop.code));
    press(&app, cid, "Enter a promo code").await;
    wait_contains(&app, cid, "Send your promo code", 1).await;
    app.say(cid, "WINTER");
    wait_contains(&app, cid, "\"WINTER\" is not a valid code here", 1).await;
    // Asked for a code, Cid opens the link instead: the bot waits for a code no more.
    press(&app, cid, "Enter a promo code").await;
    wait_contains(&app, cid, "Send your promo code", 2).await;
    assert!(app.h.app.ctx.drafting.contains(cid));
    app.say(cid, &format!("/start s_{}", shop.code));
    wait_contains(&app, cid, "Choose a plan", 3).await;
    assert!(!app.h.app.ctx.drafting.contains(cid));
    app.say(bob, &format!("/start s_{}_SPRING", shop.code));
    wait_contains(&app, bob, "You have used the code SPRING already", 1).await;

    // Deactivated: the next buyer is told so, and nothing was taken meanwhile.
    app.say(sam, "/promos");
    press(&app, sam, "Deactivate SPRING").await;
    wait_contains(&app, sam, "SPRING is deactivated (used 1/2)", 1).await;
    app.say(cid, &format!("/start s_{}_spring", shop.code));
    wait_contains(&app, cid, "The code spring is no longer active", 1).await;
    let orders = access_orders::Entity::find().count(app.db()).await.unwrap();
    assert_eq!(orders, 1);
    app.stop().await;
}
on_both_databases!(bot, codes_in_the_bot);

/// A 100 % code in the bot: the buyer is admitted at once, with no invoice.
async fn a_free_code_admits_at_once(app: TestApp) {
    let shop = shop(&app, "Sam").await;
    let service = catalog::service_by_chat(app.db(), shop.chat)
        .await
        .unwrap()
        .unwrap();
    let t = Tenant {
        seller_id: service.seller_id,
        livemode: true,
    };
    promos::create(
        app.db(),
        Utc::now(),
        t,
        shop.sam,
        new_code("GIFT", Kind::Percent, 100, Some(1)),
    )
    .await
    .unwrap()
    .unwrap();
    let bea = app.started_user("Bea", "en").await;
    app.say(bea, &format!("/start s_{}_gift", shop.code));
    wait_contains(&app, bea, "Code GIFT: -100%", 1).await;
    press(&app, bea, "⭐ 0").await;
    wait_contains(&app, bea, "Payment received", 1).await;
    assert!(
        app.emu()
            .bot_messages(bea)
            .iter()
            .all(|m| m.kind != "invoice")
    );
    let m = access::membership(app.db(), service.id, bea)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.status, "active");
    app.stop().await;
}
on_both_databases!(free, a_free_code_admits_at_once);

/// A card payment with a code: Stripe is asked for the discounted amount (the platform fee on
/// what is paid); an expired session gives the use back.
#[tokio::test]
async fn a_card_checkout_is_priced_with_the_code_and_an_expired_one_gives_the_use_back() {
    let app = spawn_app_with(Backend::Sqlite, |_| {}).await.unwrap();
    let stripe = app.h.stripe.clone().expect("Stripe is on");
    let db = app.db().clone();
    let s = setup(&db, app.started_user("Sam", "en").await).await;
    let ctx = &app.h.app.ctx;
    let seller = catalog::seller(&db, s.tenant.seller_id)
        .await
        .unwrap()
        .unwrap();
    let code = make(&db, &s, {
        let mut c = new_code("CARD5", Kind::Amount, 500, Some(1));
        c.currency = Some("usd".into());
        c
    })
    .await;
    let buyer = app.started_user("Bo", "en").await;
    let quote = promos::quote(&db, &s.plan, "card5", buyer, ctx.now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(quote.stars.as_ref().unwrap().amount, 125);
    let checkout =
        tollgate::sellers::card::checkout(ctx, &seller, &s.service, &s.plan, buyer, Some(&quote))
            .await
            .unwrap();
    assert!(matches!(
        checkout,
        tollgate::sellers::card::Checkout::Page(_)
    ));
    let session = stripe.checkout_sessions().pop().unwrap();
    assert_eq!(session["amount_total"], 499, "{session}");
    assert_eq!(session["metadata"]["promo_code"], "CARD5");
    assert_eq!(session["metadata"]["list_amount"], "999");
    assert_eq!(used(&db, code.id).await, 1);
    stripe
        .expire_checkout(session["id"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(used(&db, code.id).await, 0, "the use came back");
    let order = access_orders::Entity::find()
        .filter(access_orders::Column::UserId.eq(buyer))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(order.status, "failed");
    // The next buyer pays: the fee is on the discounted amount.
    let ann = app.started_user("Ann", "en").await;
    let quote = promos::quote(&db, &s.plan, "CARD5", ann, ctx.now())
        .await
        .unwrap()
        .unwrap();
    tollgate::sellers::card::checkout(ctx, &seller, &s.service, &s.plan, ann, Some(&quote))
        .await
        .unwrap();
    let session = stripe.checkout_sessions().pop().unwrap();
    stripe
        .complete_checkout(session["id"].as_str().unwrap())
        .await
        .unwrap();
    let paid = access_orders::Entity::find()
        .filter(access_orders::Column::UserId.eq(ann))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            paid.status.as_str(),
            paid.amount_minor,
            paid.discount_minor,
            paid.fee_minor
        ),
        ("paid", 499, 500, 49)
    );
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// The API

async fn codes_through_the_api(app: TestApp) {
    let a = shop(&app, "Ann").await;
    let key = key_from_bot(&app, a.sam, "live", "crm").await;
    let k = Some(key.as_str());
    let service = catalog::service_by_chat(app.db(), a.chat)
        .await
        .unwrap()
        .unwrap();
    let plan = catalog::plans_of(app.db(), service.id, true).await.unwrap()[0].clone();
    let (status, created) = call(
        &app,
        Method::POST,
        k,
        "/promo-codes",
        Some(json!({
            "code": "Launch-26", "kind": "percent", "value": 25, "max_uses": 100,
            "plan_ids": [plan.id], "duration": "forever"
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["plan_ids"], json!([plan.id]));
    assert_eq!(created["used"], json!(0));
    assert_eq!(created["livemode"], json!(true));
    let id = created["id"].as_i64().unwrap();
    // Taken in any case; bad fields named.
    let (status, body) = call(
        &app,
        Method::POST,
        k,
        "/promo-codes",
        Some(json!({"code": "LAUNCH-26", "kind": "percent", "value": 5})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    for (bad, field) in [
        (
            json!({"code": "a b", "kind": "percent", "value": 5}),
            "code",
        ),
        (json!({"code": "abc", "kind": "bogus", "value": 5}), "kind"),
        (
            json!({"code": "abc", "kind": "percent", "value": 101}),
            "value",
        ),
        (
            json!({"code": "abc", "kind": "amount", "value": 5}),
            "currency",
        ),
        (
            json!({"code": "abc", "kind": "percent", "value": 5, "max_uses": 0}),
            "max_uses",
        ),
        (
            json!({"code": "abc", "kind": "percent", "value": 5, "plan_ids": [999999]}),
            "plan_ids",
        ),
        (
            json!({"code": "abc", "kind": "percent", "value": 5, "duration": "weekly"}),
            "duration",
        ),
        (
            json!({"code": "abc", "kind": "percent", "value": 5,
                   "expires_at": "2001-01-01T00:00:00Z"}),
            "expires_at",
        ),
    ] {
        let (status, body) = call(&app, Method::POST, k, "/promo-codes", Some(bad.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert_eq!(body["error"]["field"], json!(field), "{bad}: {body}");
    }
    let (_, list) = call(&app, Method::GET, k, "/promo-codes", None).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");
    let (status, off) = call(
        &app,
        Method::POST,
        k,
        &format!("/promo-codes/{id}/deactivate"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{off}");
    assert_eq!(off["active"], json!(false));
    // Another seller's key, and the test key, see none of it.
    let b = shop(&app, "Bob").await;
    let b_key = key_from_bot(&app, b.sam, "live", "crm").await;
    let a_test = key_from_bot(&app, a.sam, "test", "dev").await;
    for other in [&b_key, &a_test] {
        let (status, _) = call(
            &app,
            Method::POST,
            Some(other),
            &format!("/promo-codes/{id}/deactivate"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, list) = call(&app, Method::GET, Some(other), "/promo-codes", None).await;
        assert_eq!(list["data"], json!([]), "{list}");
        // A code bound to A's plan is refused to them as an unknown plan.
        let (status, body): (StatusCode, Value) = call(
            &app,
            Method::POST,
            Some(other),
            "/promo-codes",
            Some(json!({"code": "steal", "kind": "percent", "value": 5, "plan_ids": [plan.id]})),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
    app.stop().await;
}
on_both_databases!(api, codes_through_the_api);
