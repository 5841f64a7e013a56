//! The OpenAPI description is generated from the handlers and covers every route.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use lagesbild_sync::Service;
use lagesbild_sync::storage::Sqlite;
use tower::ServiceExt;

#[tokio::test]
async fn the_served_description_names_every_route_and_resolves_every_reference() {
    let service = Arc::new(Service::new(Sqlite::open_in_memory().unwrap()));
    let (_stop, stopping) = tokio::sync::watch::channel(false);
    let app = lagesbild_sync::router(service, stopping);
    let response = app
        .oneshot(Request::get("/openapi.json").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for route in [
        "/health",
        "/v1/enroll",
        "/v1/me",
        "/v1/workspaces/{workspace}/register",
        "/v1/workspaces/{workspace}/push",
        "/v1/workspaces/{workspace}/feed",
        "/v1/workspaces/{workspace}/bootstrap",
        "/v1/workspaces/{workspace}/observations/{id}/erase",
    ] {
        assert!(paths.contains_key(route), "{route} is described");
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    for reference in text.split("\"#/components/schemas/").skip(1) {
        let name = reference.split('"').next().unwrap();
        assert!(
            schemas.contains_key(name),
            "the reference to {name} resolves"
        );
    }
    assert!(schemas.contains_key("FeedEntry") && schemas.contains_key("ObservationProjection"));
}
