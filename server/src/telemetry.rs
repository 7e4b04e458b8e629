use tracing_subscriber::EnvFilter;

/// Logs to stderr; `RUST_LOG` filters (default: info for our crates, warn for the rest).
pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("warn,server=info,app=info,tower_http=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}
