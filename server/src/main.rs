use std::process::ExitCode;

use app::config::{Config, Mode};
use server::startup::Application;

/// See the workspace Cargo.toml: RSS levels off under a long load (`make soak`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(command) = args.first() {
        return run_command(command, &args[1..], &config).await;
    }
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

/// `server <command> …`: one-off tasks against the configured database, then exit.
async fn run_command(command: &str, args: &[String], config: &Config) -> ExitCode {
    match (command, args) {
        ("seed-customers", [email, count]) => {
            let Ok(count) = count.parse::<u64>() else {
                eprintln!("seed-customers: the count must be a whole number, not {count:?}");
                return ExitCode::FAILURE;
            };
            let db = match server::startup::connect_database(config).await {
                Ok(db) => db,
                Err(err) => {
                    eprintln!("could not open the database: {err}");
                    return ExitCode::FAILURE;
                }
            };
            if let Err(err) = server::startup::migrate(&db).await {
                eprintln!("could not migrate the database: {err}");
                return ExitCode::FAILURE;
            }
            match server::seed::seed_customers(&db, email, count).await {
                Ok(created) => {
                    println!("seed-customers: {created} customers added for {email}");
                    ExitCode::SUCCESS
                }
                Err(err) => {
                    eprintln!("seed-customers: {err}");
                    ExitCode::FAILURE
                }
            }
        }
        ("stripe-emulator", []) => match server::emulator::run_emulator_alone(config).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("stripe-emulator: {err}");
                ExitCode::FAILURE
            }
        },
        _ => {
            eprintln!("usage: server                               (serve the app)");
            eprintln!("       server stripe-emulator               (the Stripe emulator alone)");
            eprintln!("       server seed-customers <staff email> <count>");
            ExitCode::FAILURE
        }
    }
}
