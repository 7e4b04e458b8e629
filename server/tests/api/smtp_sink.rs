//! A fake SMTP server for the outbox tests: speaks just enough SMTP for lettre and records what it
//! receives. It can be told to drop connections, answer 421 (transient) or reject recipients with
//! 550 (permanent).

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Default)]
pub struct Received {
    pub mail_from: String,
    pub rcpt: Vec<String>,
    /// The DATA section, dot-unstuffed, lines joined with CRLF.
    pub data: String,
}

impl Received {
    /// The value of the first header with this name (case-insensitive), unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        let prefix = format!("{}:", name.to_ascii_lowercase());
        let mut lines = self.data.split("\r\n").peekable();
        while let Some(line) = lines.next() {
            if line.is_empty() {
                return None;
            }
            if line.to_ascii_lowercase().starts_with(&prefix) {
                let mut value = line[prefix.len()..].trim().to_owned();
                while let Some(next) = lines.peek() {
                    if next.starts_with(' ') || next.starts_with('\t') {
                        value.push(' ');
                        value.push_str(next.trim());
                        lines.next();
                    } else {
                        break;
                    }
                }
                return Some(value);
            }
        }
        None
    }
}

#[derive(Default)]
struct Inner {
    messages: Vec<Received>,
    drop_next: usize,
    busy_next: usize,
    reject_rcpt: bool,
    connections: usize,
}

#[derive(Clone)]
pub struct SmtpSink {
    pub port: u16,
    inner: Arc<Mutex<Inner>>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let inner = Arc::new(Mutex::new(Inner::default()));
        let shared = inner.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(session(stream, shared.clone()));
            }
        });
        Self { port, inner }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Close the next `n` connections without a word.
    pub fn drop_next(&self, n: usize) {
        self.inner.lock().unwrap().drop_next = n;
    }

    /// Greet the next `n` connections with 421 and close them.
    pub fn busy_next(&self, n: usize) {
        self.inner.lock().unwrap().busy_next = n;
    }

    /// Answer every RCPT with 550.
    pub fn reject_recipients(&self) {
        self.inner.lock().unwrap().reject_rcpt = true;
    }

    /// Accept recipients again (the mail server is fixed).
    pub fn accept_recipients(&self) {
        self.inner.lock().unwrap().reject_rcpt = false;
    }

    pub fn messages(&self) -> Vec<Received> {
        self.inner.lock().unwrap().messages.clone()
    }

    pub fn connections(&self) -> usize {
        self.inner.lock().unwrap().connections
    }
}

async fn session(stream: TcpStream, inner: Arc<Mutex<Inner>>) {
    let (drop_it, busy, reject_rcpt) = {
        let mut inner = inner.lock().unwrap();
        inner.connections += 1;
        let drop_it = inner.drop_next > 0;
        let busy = !drop_it && inner.busy_next > 0;
        if drop_it {
            inner.drop_next -= 1;
        } else if busy {
            inner.busy_next -= 1;
        }
        (drop_it, busy, inner.reject_rcpt)
    };
    if drop_it {
        return;
    }
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    if busy {
        let _ = write
            .write_all(b"421 4.3.2 Service not available, try later\r\n")
            .await;
        return;
    }
    if write.write_all(b"220 sink ESMTP ready\r\n").await.is_err() {
        return;
    }
    let mut current = Received::default();
    let mut line = String::new();
    loop {
        line.clear();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let command = line.trim_end().to_owned();
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
            "HELO" | "NOOP" => b"250 ok\r\n",
            "RSET" => {
                current = Received::default();
                b"250 ok\r\n"
            }
            "MAIL" => {
                current.mail_from = command.clone();
                b"250 ok\r\n"
            }
            "RCPT" => {
                if reject_rcpt {
                    b"550 5.1.1 Mailbox unavailable\r\n"
                } else {
                    let address = command
                        .split_once('<')
                        .and_then(|(_, rest)| rest.split_once('>'))
                        .map(|(address, _)| address.to_owned())
                        .unwrap_or_default();
                    current.rcpt.push(address);
                    b"250 ok\r\n"
                }
            }
            "DATA" => {
                if write
                    .write_all(b"354 end with <CRLF>.<CRLF>\r\n")
                    .await
                    .is_err()
                {
                    return;
                }
                let mut data = Vec::new();
                loop {
                    line.clear();
                    match lines.read_line(&mut line).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    }
                    let text = line.trim_end_matches(['\r', '\n']);
                    if text == "." {
                        break;
                    }
                    data.push(text.strip_prefix('.').unwrap_or(text).to_owned());
                }
                current.data = data.join("\r\n");
                inner
                    .lock()
                    .unwrap()
                    .messages
                    .push(std::mem::take(&mut current));
                b"250 ok queued\r\n"
            }
            "QUIT" => {
                let _ = write.write_all(b"221 bye\r\n").await;
                return;
            }
            _ => b"500 unknown command\r\n",
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}
