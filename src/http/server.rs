//! Serving the router: HTTP/1.1 connections with a deadline for their request headers, at
//! most [`ServerLimits::max_connections`] of them at once (more wait in the listen backlog
//! until one closes), and a graceful stop.
//!
//! A client that opens connections and sends nothing (or half a request) would otherwise hold
//! them for ever: enough of them used up the process's file descriptors, and then `/healthz`
//! and the webhooks failed with "Too many open files".
use std::{io, pin::pin, sync::Arc, time::Duration};

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    service::TowerToHyperService,
};
use tokio::{net::TcpListener, sync::Semaphore};

use crate::shutdown::Shutdown;

/// What the HTTP server allows a client; production uses the defaults, tests shorten them.
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// A connection that has not sent a whole request head within this is closed (an idle
    /// keep-alive connection, too).
    pub header_timeout: Duration,
    /// A request body not received in full within this is answered 408.
    pub body_timeout: Duration,
    /// Connections served at once, further bounded by the open-file limit.
    pub max_connections: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            max_connections: 4096,
        }
    }
}

/// File descriptors kept for everything but inbound connections: the database pool, Redis,
/// the Bot API and Stripe clients, log files.
const RESERVED_FDS: u64 = 256;

/// Raises the soft limit of open files to the hard limit; returns the soft limit now in force.
pub fn raise_open_file_limit() -> io::Result<u64> {
    #[cfg(unix)]
    {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit and setrlimit only read and write the struct passed to them.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
            return Err(io::Error::last_os_error());
        }
        if lim.rlim_cur < lim.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            // SAFETY: as above.
            if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } != 0 {
                return Err(io::Error::last_os_error());
            }
            lim = raised;
        }
        Ok(lim.rlim_cur)
    }
    #[cfg(not(unix))]
    Ok(u64::MAX)
}

fn open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit only writes the struct passed to it.
        (unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } == 0).then_some(lim.rlim_cur)
    }
    #[cfg(not(unix))]
    None
}

/// How many connections to serve at once: the configured cap, within the open-file limit.
fn connection_cap(configured: usize) -> usize {
    let by_files = open_file_limit()
        .map(|n| n.saturating_sub(RESERVED_FDS).max(16))
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(usize::MAX);
    let cap = configured.clamp(1, Semaphore::MAX_PERMITS.min(u32::MAX as usize));
    if by_files < cap {
        tracing::warn!(
            configured,
            serving = by_files,
            "the open-file limit caps concurrent HTTP connections"
        );
    }
    cap.min(by_files)
}

/// Serves `router` on `listener` until `shutdown`, then lets open requests finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServerLimits,
    shutdown: Shutdown,
) -> io::Result<()> {
    let cap = connection_cap(limits.max_connections);
    let slots = Arc::new(Semaphore::new(cap));
    loop {
        let slot = tokio::select! {
            _ = shutdown.wait() => break,
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
        };
        let stream = tokio::select! {
            _ = shutdown.wait() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    // Out of file descriptors, most likely: give open connections time to end.
                    tracing::error!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout);
            let mut conn = pin!(builder.serve_connection(TokioIo::new(stream), service));
            let result = tokio::select! {
                result = conn.as_mut() => result,
                _ = shutdown.wait() => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = result {
                tracing::debug!(error = %e, "HTTP connection ended");
            }
        });
    }
    drop(listener);
    // Every connection holds a slot until it ends.
    let _ = slots.acquire_many(cap as u32).await;
    Ok(())
}

fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}
