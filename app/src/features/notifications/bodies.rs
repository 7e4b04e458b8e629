//! An email's bodies at rest: sealed with the master key when the outbox takes the email (they
//! carry live links, and only a token's digest may be stored), opened by the mailer to send, and
//! emptied once the email is long done with.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};
use secrecy::ExposeSecret;

use crate::crypto::SecretBox;
use crate::entities::outbox_email;
use crate::error::AppError;
use crate::states::EmailState;

/// The two bodies of an email, each sealed under a context of its own.
#[derive(Debug, Clone, Copy)]
pub enum BodyPart {
    Text,
    Html,
}

impl BodyPart {
    /// The sealed value's associated data: the row and the column it belongs in.
    fn context(self, email_id: &str) -> String {
        match self {
            Self::Text => format!("outbox_emails.body_text:{email_id}"),
            Self::Html => format!("outbox_emails.body_html:{email_id}"),
        }
    }
}

pub(super) fn seal_body(
    secrets: &SecretBox,
    email_id: &str,
    part: BodyPart,
    body: &str,
) -> Result<String, AppError> {
    secrets
        .seal(body, &part.context(email_id))
        .map_err(AppError::internal)
}

/// A stored body as it goes out: opened if sealed; as stored if it is from before bodies were
/// sealed. `None` when it cannot be opened (another master key) or was purged.
pub fn open_body(
    secrets: &SecretBox,
    email_id: &str,
    part: BodyPart,
    stored: &str,
) -> Option<String> {
    if stored.is_empty() {
        return None;
    }
    if !SecretBox::is_sealed(stored) {
        return Some(stored.to_owned());
    }
    secrets
        .open(stored, &part.context(email_id))
        .ok()
        .map(|body| body.expose_secret().to_owned())
}

/// Deletes the bodies of emails that are done with — sent, or failed — for longer than
/// `retention` (before `now - retention`): they carried live links. The rows stay for the
/// Notifications list. Returns how many were emptied.
pub async fn purge_bodies(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    retention: chrono::Duration,
) -> Result<u64, AppError> {
    use outbox_email::Column as C;
    let cutoff = now - retention;
    let done_long_ago = Condition::any()
        .add(
            Condition::all()
                .add(C::State.eq(EmailState::Sent))
                .add(C::SentAt.lt(cutoff)),
        )
        .add(
            Condition::all()
                .add(C::State.eq(EmailState::Failed))
                .add(C::UpdatedAt.lt(cutoff)),
        );
    let purged = outbox_email::Entity::update_many()
        .col_expr(C::BodyText, Expr::value(""))
        .col_expr(C::BodyHtml, Expr::value(""))
        .filter(done_long_ago)
        .filter(C::BodyText.ne(""))
        .exec(db)
        .await?;
    Ok(purged.rows_affected)
}

/// Whether the email's content is still there to send (see [`purge_bodies`]).
pub fn has_body(email: &outbox_email::Model) -> bool {
    !email.body_text.is_empty()
}
