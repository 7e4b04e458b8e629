//! The SMTP side of the outbox: one message per row, over lettre, with the Message-ID fixed at
//! enqueue; failures sorted into worth-retrying (4xx, connection trouble) and not (5xx).

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use super::outbox::{BodyPart, RETRY_FOR, SMTP_TIMEOUT, open_body};
use crate::config::SmtpConfig;
use crate::crypto::SecretBox;
use crate::entities::outbox_email;
use crate::error::AppError;

/// Reasons longer than this are cut for the Notifications list and the log.
const MAX_ERROR_LEN: usize = 300;

/// Why a send did not go through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// Worth retrying: connection refused or timed out, SMTP 4xx, TLS hiccup.
    Transient(String),
    /// Retrying will not help: SMTP 5xx, an address lettre cannot use.
    Permanent(String),
}

/// Sends outbox rows over SMTP.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Address,
    /// How long the outbox retries an email this mailer cannot deliver for a transient reason.
    retry_for: Duration,
    /// Opens the sealed bodies (the app's master key).
    secrets: SecretBox,
}

impl std::fmt::Debug for Mailer {
    // Never print the transport: it holds the SMTP credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from).finish()
    }
}

impl Mailer {
    pub fn from_config(config: &SmtpConfig, secrets: SecretBox) -> Result<Self, AppError> {
        Ok(Self::new(
            config.url.expose_secret(),
            &config.from,
            SMTP_TIMEOUT,
            secrets,
        )?
        .retrying_for(Duration::from_secs(
            config.retry_for_hours.max(1).saturating_mul(3600),
        )))
    }

    /// Retries transient failures for `retry_for` from the email's creation (default
    /// [`RETRY_FOR`]).
    pub fn retrying_for(mut self, retry_for: Duration) -> Self {
        self.retry_for = retry_for;
        self
    }

    pub fn retry_for(&self) -> Duration {
        self.retry_for
    }

    /// `url`: `smtp://host:port` (plain), `smtp+starttls://…` or `smtps://…`, optionally with
    /// `user:password@`. `from`: the envelope sender and the address in From. `secrets` opens
    /// the bodies [`super::outbox::enqueue`] sealed.
    pub fn new(
        url: &str,
        from: &str,
        timeout: Duration,
        secrets: SecretBox,
    ) -> Result<Self, AppError> {
        let bad = |what: &str| AppError::internal(format!("smtp configuration: {what}"));
        let url = url::Url::parse(url).map_err(|_| bad("smtp.url is not a URL"))?;
        let host = url
            .host_str()
            .ok_or_else(|| bad("smtp.url has no host"))?
            .to_owned();
        let (tls, default_port) = match url.scheme() {
            "smtp" => (None, 25),
            "smtp+starttls" => (
                Some(Tls::Required(
                    TlsParameters::new(host.clone()).map_err(|_| bad("TLS set-up failed"))?,
                )),
                587,
            ),
            "smtps" => (
                Some(Tls::Wrapper(
                    TlsParameters::new(host.clone()).map_err(|_| bad("TLS set-up failed"))?,
                )),
                465,
            ),
            _ => return Err(bad("smtp.url scheme must be smtp, smtp+starttls or smtps")),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(url.port().unwrap_or(default_port))
            .timeout(Some(timeout));
        if let Some(tls) = tls {
            builder = builder.tls(tls);
        }
        if !url.username().is_empty() {
            // Userinfo is percent-encoded in a URL.
            let user = percent_decode(url.username()).unwrap_or_else(|| url.username().to_owned());
            let password = url
                .password()
                .map(|p| percent_decode(p).unwrap_or_else(|| p.to_owned()))
                .unwrap_or_default();
            builder = builder.credentials(Credentials::new(user, password));
        }
        let from: Address = from
            .parse()
            .map_err(|_| bad("smtp.from is not an email address"))?;
        Ok(Self {
            transport: builder.build(),
            from,
            retry_for: RETRY_FOR,
            secrets,
        })
    }

    /// The message exactly as it goes out. lettre's builder assembles and encodes every header.
    pub fn message(&self, row: &outbox_email::Model) -> Result<Message, SendError> {
        let permanent = |what: &str| SendError::Permanent(what.to_owned());
        let body = |part, stored| {
            open_body(&self.secrets, &row.id, part, stored).ok_or_else(|| {
                permanent(
                    "the email's content is no longer available (deleted after the retention \
                     period, or sealed under another master key)",
                )
            })
        };
        let text = body(BodyPart::Text, &row.body_text)?;
        let html = body(BodyPart::Html, &row.body_html)?;
        let to: Address = row
            .recipient
            .parse()
            .map_err(|_| permanent("invalid recipient address"))?;
        let mut builder = Message::builder()
            .from(Mailbox::new(Some(row.from_name.clone()), self.from.clone()))
            .to(Mailbox::new(None, to))
            .subject(row.subject.clone())
            .message_id(Some(row.message_id.clone()));
        if let Some(reply_to) = &row.reply_to {
            let address: Address = reply_to
                .parse()
                .map_err(|_| permanent("invalid reply-to address"))?;
            builder = builder.reply_to(Mailbox::new(None, address));
        }
        builder
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(text),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(html),
                    ),
            )
            .map_err(|_| permanent("the message could not be built"))
    }

    pub async fn send(&self, row: &outbox_email::Model) -> Result<(), SendError> {
        let message = self.message(row)?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(classify)
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A short reason for the Notifications list and the log. lettre's errors carry the server's
/// reply or the I/O error, never our credentials.
fn classify(err: lettre::transport::smtp::Error) -> SendError {
    let mut reason = err.to_string();
    if let Some(code) = err.status() {
        reason = format!("SMTP {code}: {reason}");
    }
    let reason = shorten(&reason);
    if err.is_permanent() {
        SendError::Permanent(reason)
    } else {
        SendError::Transient(reason)
    }
}

fn shorten(reason: &str) -> String {
    let one_line: String = reason
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    match one_line.char_indices().nth(MAX_ERROR_LEN) {
        Some((cut, _)) => format!("{}…", &one_line[..cut]),
        None => one_line,
    }
}
