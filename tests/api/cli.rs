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
fn help_lists_what_an_operator_runs_and_nothing_else() {
    let out = tollgate().arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    let commands: Vec<&str> = help
        .split("Commands:")
        .nth(1)
        .and_then(|rest| rest.split("Options:").next())
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(
        commands,
        ["run", "migrate", "sandbox", "healthcheck", "help"],
        "{help}"
    );
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

#[tokio::test]
async fn healthcheck_succeeds_against_a_live_server_and_fails_against_a_dead_one() {
    let app = crate::helpers::spawn_app().await;
    let live = app.h.app.http_addr.to_string();
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    let check = |addr: String| {
        tokio::task::spawn_blocking(move || {
            tollgate()
                .arg("healthcheck")
                .env("HTTP_ADDR", addr)
                .output()
                .unwrap()
                .status
        })
    };
    assert!(check(live).await.unwrap().success());
    assert!(!check(dead).await.unwrap().success());
    app.stop().await;
}

/// Kills the child process when the test ends, pass or fail.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_real_binary_answers_start_on_any_bot_api_compatible_server() {
    use tg_emulator::{Emulator, EmulatorConfig, UserSpec};

    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let _app = Running(
        tollgate()
            .arg("run")
            .env("BOT_TOKEN", emu.token())
            .env("TELEGRAM_API_URL", emu.api_url())
            .env(
                "DATABASE_URL",
                format!("sqlite://{}?mode=rwc", dir.path().join("bin.db").display()),
            )
            .env("HTTP_ADDR", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let ann = emu.add_user(UserSpec {
        first_name: "Ann".into(),
        language_code: Some("ru".into()),
        ..UserSpec::default()
    });

    emu.send_text(ann, ann, "/start").unwrap();

    let replies = emu
        .wait_for_bot_messages(ann, 1, std::time::Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(
        replies[0].body().unwrap(),
        tollgate::bot::Reply::WelcomeNew {
            name: "Ann".into(),
            credits: 3
        }
        .render(tollgate::i18n::Locale::Ru)
    );
    emu.shutdown();
}

/// `GET /healthz` with a few seconds' patience.
async fn healthz_at(addr: &str) -> Result<reqwest::StatusCode, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .unwrap()
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .map(|r| r.status())
}

#[tokio::test]
async fn the_binary_raises_its_open_file_limit_and_answers_healthz_past_1100_idle_connections() {
    tollgate::http::raise_open_file_limit().unwrap();
    let emu = tg_emulator::Emulator::start(tg_emulator::EmulatorConfig::default())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    // Started with the soft limit many systems default to (or lower).
    let mut cmd = tollgate();
    cmd.env("PATH", "/usr/bin:/bin")
        .arg("-c")
        .arg("ulimit -Sn 256 && exec \"$0\" run")
        .arg(env!("CARGO_BIN_EXE_tollgate"));
    let mut sh = std::process::Command::new("sh");
    sh.args(cmd.get_args())
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("BOT_TOKEN", emu.token())
        .env("TELEGRAM_API_URL", emu.api_url())
        .env(
            "DATABASE_URL",
            format!("sqlite://{}?mode=rwc", dir.path().join("fd.db").display()),
        )
        .env("HTTP_ADDR", &addr)
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::null());
    let _app = Running(sh.spawn().unwrap());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while healthz_at(&addr).await.is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "the binary never listened"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    let mut held = Vec::with_capacity(1100);
    for _ in 0..1100 {
        held.push(tokio::net::TcpStream::connect(&addr).await.unwrap());
    }

    assert_eq!(healthz_at(&addr).await.expect("/healthz answers"), 200);
    drop(held);
}

#[test]
fn an_unreachable_database_stops_start_up_at_once_with_one_line_naming_database_url() {
    for command in ["run", "migrate"] {
        let started = std::time::Instant::now();
        let out = tollgate()
            .arg(command)
            .env("BOT_TOKEN", "123:abc")
            .env(
                "DATABASE_URL",
                "postgres://postgres:SUPERSECRET@127.0.0.1:1/test",
            )
            .output()
            .unwrap();

        assert_eq!(out.status.code(), Some(2), "{command}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{command}: {err}");
        assert_eq!(err.matches("DATABASE_URL").count(), 1, "{command}: {err}");
        assert!(!err.contains("SUPERSECRET"), "{command}: {err}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(15),
            "{command} took {:?}",
            started.elapsed()
        );
    }
}
