use axum::Json;
use axum::http::StatusCode;
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};

/// `GET /health`: 200 when the database answers, 503 otherwise.
pub async fn health(db: DatabaseConnection) -> (StatusCode, Json<Value>) {
    match db.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({ "status": "ok", "database": "ok" })),
        ),
        Err(err) => {
            tracing::error!(error = %err, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "database": "unreachable" })),
            )
        }
    }
}
