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
        .clone()
        .oneshot(Request::get("/openapi.json").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    // The routes as the router declares them, read from its source.
    let routes = declared_routes();
    assert!(
        routes.len() >= 14,
        "the router's routes were read: {routes:?}"
    );
    for (route, method) in &routes {
        if route == "/openapi.json" {
            continue;
        }
        assert!(
            paths
                .get(route)
                .is_some_and(|p| p.get(method.as_str()).is_some()),
            "{method} {route} is described"
        );
    }
    // And every described operation is routed (the fallbacks answer anything else).
    for (path, operations) in paths {
        for method in operations.as_object().unwrap().keys() {
            assert!(
                routes.contains(&(path.clone(), method.clone())),
                "{method} {path} is described but not declared"
            );
            let concrete = path
                .replace("{workspace}", &uuid::Uuid::now_v7().to_string())
                .replace("{id}", &uuid::Uuid::now_v7().to_string());
            let request = Request::builder()
                .method(method.to_uppercase().as_str())
                .uri(&concrete)
                .body(Body::empty())
                .unwrap();
            let response = app.clone().oneshot(request).await.unwrap();
            let body = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .unwrap();
            let text = String::from_utf8_lossy(&body);
            assert!(
                !text.contains("\"not_found\"") && !text.contains("\"method_not_allowed\""),
                "{method} {path} reaches a handler: {text}"
            );
        }
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

/// Every `.route("path", method(handler))` of the router's source, as (path, method).
fn declared_routes() -> Vec<(String, String)> {
    let source =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/http/mod.rs")).unwrap();
    let mut routes = Vec::new();
    for declaration in source.split(".route(").skip(1) {
        let path = declaration.split('"').nth(1).unwrap().to_string();
        let rest = &declaration[declaration.find(',').unwrap() + 1..];
        let method = rest.trim_start().split('(').next().unwrap().to_string();
        routes.push((path, method));
    }
    routes
}
