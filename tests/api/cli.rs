//! The binary itself: configuration errors and `migrate`.
use std::process::Command;

fn tollgate() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tollgate"));
    // A clean environment: only what each test sets.
    cmd.env_clear();
    cmd.env("PATH", std::env::var("PATH").unwrap_or_default());
    cmd.current_dir(tempfile::tempdir().unwrap().keep());
    cmd
}

#[test]
fn a_malformed_variable_stops_start_up_with_one_line_naming_it() {
    let out = tollgate()
        .env("BOT_TOKEN", "123:abc")
        .env("HTTP_ADDR", "not-an-address")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("HTTP_ADDR"), "{err}");
}

#[test]
fn run_without_a_token_says_which_variable_is_missing() {
    let out = tollgate().arg("run").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("BOT_TOKEN"), "{err}");
    assert!(!err.contains("SUPERSECRET"));
}

#[test]
fn secrets_never_reach_the_error_output() {
    let out = tollgate()
        .env("BOT_TOKEN", "123:SUPERSECRET")
        .env("STRIPE_SECRET_KEY", "sk_test_SUPERSECRET")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("STRIPE_WEBHOOK_SECRET"), "{err}");
    assert!(!err.contains("SUPERSECRET"), "{err}");
}

#[test]
fn migrate_creates_the_schema_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("m.db").display());
    for _ in 0..2 {
        let out = tollgate()
            .arg("migrate")
            .env("DATABASE_URL", &url)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(dir.path().join("m.db").exists());
}
