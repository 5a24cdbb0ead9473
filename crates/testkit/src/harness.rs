//! What tests and the benchmark do with a running [`Harness`] beyond what the sandbox needs.
use std::time::Duration;

use tollgate::sandbox::Harness;

#[allow(async_fn_in_trait)]
pub trait HarnessExt: Sized {
    /// The app's own address with `path`.
    fn http_url(&self, path: &str) -> String;

    /// Waits until the app has handled `n` updates in total.
    async fn wait_handled(&self, n: u64) -> anyhow::Result<()>;

    /// Stops the app and starts a new process of it on the same database, address, Telegram
    /// and Stripe (as after a restart or a crash that lost nothing but memory).
    async fn restart(self) -> anyhow::Result<Harness>;
}

impl HarnessExt for Harness {
    fn http_url(&self, path: &str) -> String {
        format!("http://{}{}", self.app.http_addr, path)
    }

    async fn wait_handled(&self, n: u64) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.app
                .ctx
                .metrics
                .wait_handled(n, Duration::from_secs(15))
                .await,
            "the app handled {} updates, expected {n}",
            self.app.ctx.metrics.handled()
        );
        Ok(())
    }

    async fn restart(self) -> anyhow::Result<Harness> {
        self.stop_app().await?.start_app().await
    }
}
