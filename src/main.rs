use std::process::ExitCode;

use clap::Parser;
use tollgate::errors_log::ErrorLog;
use tollgate::{
    app::{App, AppError, AppOptions},
    cli::{Cli, Command},
    config::{Config, LogFormat},
    shutdown, storage,
};
use tracing_subscriber::{EnvFilter, Layer, layer::SubscriberExt, util::SubscriberInitExt};

/// Logs as `RUST_LOG` says.
fn init_tracing(format: LogFormat, errors: &ErrorLog) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::registry()
        .with(filter)
        .with(fmt_layer(format))
        .with(errors.layer())
        .init();
}

/// The log's layer, in the configured format.
fn fmt_layer<S>(format: LogFormat) -> Box<dyn Layer<S> + Send + Sync>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    match format {
        LogFormat::Pretty => tracing_subscriber::fmt::layer().boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer().json().boxed(),
    }
}

/// Ctrl-C or SIGTERM (what `docker stop` sends) fires the shutdown trigger.
async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing a SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// GET /healthz on our own server; a wildcard listen address is reached through loopback.
async fn healthcheck(addr: std::net::SocketAddr) -> anyhow::Result<()> {
    let mut target = addr;
    if target.ip().is_unspecified() {
        target.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let response = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(3))
        .build()?
        .get(format!("http://{target}/healthz"))
        .send()
        .await?;
    anyhow::ensure!(
        response.status().is_success(),
        "/healthz answered {}",
        response.status()
    );
    Ok(())
}

/// A database that cannot be reached is the operator's to fix, like a malformed variable: one
/// line naming `DATABASE_URL` (its password blanked, should the cause quote it), exit 2.
fn database_unreachable(e: &AppError, url: &str) -> ExitCode {
    let mut line = e.to_string();
    if let Ok(parsed) = url::Url::parse(url)
        && let Some(password) = parsed.password().filter(|p| !p.is_empty())
    {
        line = line.replace(password, "***");
    }
    eprintln!("error: {}", line.replace('\n', " "));
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    let config = match Config::from_raw(&cli.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let errors = ErrorLog::default();
    init_tracing(config.log_format, &errors);
    if matches!(
        &cli.command,
        None | Some(Command::Run) | Some(Command::Sandbox(_))
    ) {
        // Each HTTP connection is a file descriptor; the usual soft limit of 1024 is too few.
        match tollgate::http::raise_open_file_limit() {
            Ok(limit) => tracing::debug!(limit, "open-file limit"),
            Err(e) => tracing::warn!(error = %e, "could not raise the open-file limit"),
        }
    }
    let runtime = tokio::runtime::Runtime::new().expect("the tokio runtime starts");
    runtime.block_on(async move {
        let command = cli.command.unwrap_or(Command::Run);
        let result: anyhow::Result<()> = match command {
            Command::Run => {
                if let Err(e) = config.require_bot_token() {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
                let (trigger, shutdown) = shutdown::channel();
                tokio::spawn(async move {
                    wait_for_signal().await;
                    tracing::info!("shutting down");
                    trigger.fire();
                });
                let database_url = config.database_url.clone();
                let opts = AppOptions {
                    limits: config.telegram_limits,
                    errors: errors.clone(),
                    ..AppOptions::default()
                };
                match App::build(config, opts).await {
                    Ok(app) => app.run(shutdown).await.map_err(Into::into),
                    Err(e @ AppError::Database(_)) => {
                        return database_unreachable(&e, database_url.expose());
                    }
                    Err(e) => Err(e.into()),
                }
            }
            Command::Migrate => match storage::connect(config.database_url.expose()).await {
                Ok(_) => {
                    tracing::info!("database is up to date");
                    Ok(())
                }
                Err(e @ storage::StorageError::Connect(_)) => {
                    return database_unreachable(
                        &AppError::Database(e),
                        config.database_url.expose(),
                    );
                }
                Err(e) => Err(e.into()),
            },
            Command::Sandbox(args) => tollgate::sandbox::run(config, args).await,
            Command::Healthcheck => healthcheck(config.http_addr).await,
        };
        match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        }
    })
}
