use crate::world::spawn_app;

#[tokio::test]
async fn health_reports_the_database_as_ok() {
    let app = spawn_app().await;
    let response = reqwest::get(format!("{}/health", app.address))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["database"], "ok");
}
