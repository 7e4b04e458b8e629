//! The Stripe emulator in demo mode and tests: started inside the server, or used where it runs
//! alone (`server stripe-emulator`, `stripe.emulator_url`). Production never starts it (config
//! validation refuses it there).

use std::net::SocketAddr;

use app::config::{Config, Mode};
use stripe_emulator::{Emulator, EmulatorConfig};

use crate::startup::StartupError;

/// The emulator of `server stripe-emulator`, when demo mode is configured to use it.
pub(crate) fn external(config: &Config) -> Option<String> {
    (config.mode == Mode::Demo && config.stripe.emulator)
        .then(|| config.stripe.external_emulator())
        .flatten()
        .map(|url| url.trim_end_matches('/').to_owned())
}

/// The emulator on `stripe.emulator_port` (0 in tests), keeping its state in
/// `stripe.emulator_state_file` when one is set.
fn emulator_config(config: &Config) -> EmulatorConfig {
    let bind = SocketAddr::from(([127, 0, 0, 1], config.stripe.emulator_port));
    let emulator_config = EmulatorConfig::in_memory(bind);
    match config.stripe.emulator_state_file() {
        Some(path) => emulator_config.with_state_file(path),
        None => emulator_config,
    }
}

/// Runs the Stripe emulator alone (`server stripe-emulator`) on `stripe.emulator_port`, with
/// `stripe.emulator_state_file`, until Ctrl-C / SIGTERM: what a demo server started with
/// `stripe.emulator_url` talks to.
pub async fn run_emulator_alone(config: &Config) -> Result<(), StartupError> {
    let emulator = Emulator::start(emulator_config(config)).await?;
    println!("Stripe emulator listening on {}", emulator.base_url());
    crate::startup::shutdown_signal().await;
    drop(emulator);
    Ok(())
}

/// The Stripe emulator runs in demo mode only (config validation keeps it out of production),
/// in this process unless one running elsewhere is configured (`stripe.emulator_url`).
pub(crate) async fn start_in_process(config: &Config) -> Result<Option<Emulator>, StartupError> {
    if config.mode != Mode::Demo || !config.stripe.emulator || external(config).is_some() {
        return Ok(None);
    }
    let emulator = Emulator::start(emulator_config(config)).await?;
    tracing::info!(base_url = %emulator.base_url(), "Stripe emulator started");
    Ok(Some(emulator))
}
