//! What the app logs, captured: to show what it never writes there (secrets, link tokens).

use std::sync::{Arc, Mutex};

use tracing_subscriber::layer::SubscriberExt;

/// Everything the app logs on this test's thread (a `#[tokio::test]` runs the app's tasks on it),
/// at every level, until dropped.
pub struct CapturedLogs {
    text: Arc<Mutex<Vec<u8>>>,
    _guard: tracing::subscriber::DefaultGuard,
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLogs {
    pub fn start() -> Self {
        let text = Arc::new(Mutex::new(Vec::new()));
        let sink = text.clone();
        // Every event and every span (a request's path is a span's field), except the database
        // driver's spans: it may close one on a thread of its own, under the process'
        // subscriber, which does not know it.
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || LogWriter(sink.clone()))
            .finish()
            .with(tracing_subscriber::filter::filter_fn(|metadata| {
                metadata.is_event()
                    || !["sqlx", "sea_orm"]
                        .iter()
                        .any(|driver| metadata.target().starts_with(driver))
            }));
        Self {
            text,
            _guard: tracing::subscriber::set_default(subscriber),
        }
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.text.lock().unwrap()).into_owned()
    }
}
