use std::process::ExitCode;

use app::config::{Config, Mode};
use server::startup::Application;

#[tokio::main]
async fn main() -> ExitCode {
    server::telemetry::init();
    let config = match Config::load() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::FAILURE;
        }
    };
    let app = match Application::build(config.clone()).await {
        Ok(app) => app,
        Err(err) => {
            eprintln!("could not start: {err}");
            return ExitCode::FAILURE;
        }
    };
    println!();
    println!("  Card on File is running");
    println!("  App:      {}", config.base_url);
    if config.mode == Mode::Demo {
        println!("  Mailbox:  {}", config.demo.mailbox_url);
    }
    if let Some(login) = app.demo_login() {
        println!("  Sign in:  {} / {}", login.email, login.password);
    }
    println!();
    match app.run_until_stopped().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("server error: {err}");
            ExitCode::FAILURE
        }
    }
}
