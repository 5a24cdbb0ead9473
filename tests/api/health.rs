use crate::helpers::spawn_app;

#[tokio::test]
async fn health_and_readiness_answer_once_the_bot_is_known() {
    let app = spawn_app().await;

    let health = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);

    let ready = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["database"], "ok");
    assert_eq!(body["bot"], format!("@{}", app.emu().bot_username()));
    app.stop().await;
}

/// The value of one sample line of the Prometheus text (0 when absent).
fn sample(text: &str, series: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0)
}

async fn scrape(app: &crate::helpers::TestApp) -> String {
    app.http
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn metrics_count_updates_handler_latency_api_calls_and_jobs() {
    let app = spawn_app().await;
    // Start-up itself produces an update (the operator joining the admin group).
    app.settle().await;
    let before = scrape(&app).await;
    let ann = app.user("Ann", "en");

    app.say(ann, "/start");
    app.next_message(ann).await;
    app.settle().await;
    let after = scrape(&app).await;

    let delta = |series: &str| sample(&after, series) - sample(&before, series);
    assert_eq!(
        delta("tollgate_updates_total{kind=\"message\"}"),
        1,
        "{after}"
    );
    assert_eq!(delta("tollgate_handler_seconds_count"), 1, "{after}");
    assert_eq!(
        delta("tollgate_bot_api_calls_total{method=\"SendMessage\",outcome=\"ok\"}"),
        1,
        "{after}"
    );
    assert!(after.contains("# TYPE tollgate_handler_seconds histogram"));
    assert!(
        after.contains("tollgate_jobs{status=\"queued\"}"),
        "{after}"
    );
    app.stop().await;
}
