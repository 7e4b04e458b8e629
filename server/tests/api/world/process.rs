//! The server binary as a child process, for what one process can't show: a crash and a restart,
//! or several instances on one database. Configured only by the variables given here (the
//! test's own environment is cleared), and killed when dropped.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;

/// A running `server` process.
pub struct ServerProcess {
    child: Child,
    pub address: String,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How to start one: demo mode without the seed or the built-in emulator, pasted keys talking to
/// `stripe_base`, on a port of its own unless [`ServerCommand::on_port`] fixes one (a restart
/// must come back where the browser is).
#[derive(Clone)]
pub struct ServerCommand {
    pub database_url: String,
    port: Option<u16>,
    vars: Vec<(&'static str, String)>,
}

impl ServerCommand {
    pub fn new(database_url: &str, master_key: &str, stripe_base: &str) -> Self {
        Self {
            database_url: database_url.to_owned(),
            port: None,
            vars: vec![
                ("APP__MODE", "demo".to_owned()),
                ("APP__DATABASE__URL", database_url.to_owned()),
                ("APP__SECRETS__MASTER_KEY", master_key.to_owned()),
                ("APP__DEMO__SEED", "false".to_owned()),
                ("APP__STRIPE__EMULATOR", "false".to_owned()),
                ("APP__STRIPE__API_BASE", stripe_base.to_owned()),
                ("RUST_LOG", "warn".to_owned()),
            ],
        }
    }

    /// Every start listens on `port`.
    pub fn on_port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// One more `APP__…` setting (a later one wins).
    pub fn env(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.vars.push((key, value.into()));
        self
    }

    /// Starts the binary and waits until `/health` answers.
    pub async fn start(&self) -> ServerProcess {
        let port = self.port.unwrap_or_else(free_port);
        let address = format!("http://127.0.0.1:{port}");
        let child = Command::new(env!("CARGO_BIN_EXE_server"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("APP__SERVER__PORT", port.to_string())
            .env("APP__BASE_URL", &address)
            .envs(self.vars.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the server binary");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(response) = reqwest::get(format!("{address}/health")).await
                && response.status() == StatusCode::OK
            {
                break;
            }
            assert!(Instant::now() < deadline, "the server did not come up");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        ServerProcess { child, address }
    }
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
