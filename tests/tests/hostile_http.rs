//! The HTTP edge against an attacker: a catalogue of hostile requests across every
//! endpoint, each answered with a 4xx (as the API's `{code, message}` JSON where the
//! request reached the API), nothing stored, and the server serving other devices with
//! bounded memory; a connection that sends half its headers is closed; failed
//! authentication is slowed per address.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::time::{Duration, Instant};

use lagesbild_core::sync::wire::{PushOutcome, PushRequest, PushResponse, WireChange};
use lagesbild_core::{ObservationDraft, ObservationId};
use lagesbild_tests::{Backend, Database, Device, Scenario, TestServer, memory_mb, now};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One hostile request.
struct Hostile {
    what: String,
    method: &'static str,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

fn hostile(
    what: impl Into<String>,
    method: &'static str,
    path: impl Into<String>,
    body: impl Into<Vec<u8>>,
) -> Hostile {
    Hostile {
        what: what.into(),
        method,
        path: path.into(),
        headers: vec![("content-type", "application/json".into())],
        body: body.into(),
    }
}

/// What the server holds, to check that nothing hostile was stored: in every workspace
/// the feed's entries, its erasures (each a removal in the feed), the documents, places,
/// categories and register version; the devices; and the workspaces themselves.
fn holdings(server: &TestServer) -> Vec<(&'static str, usize)> {
    server.read(|tx| {
        let mut held = vec![
            ("workspaces", 0),
            ("feed", 0),
            ("erased", 0),
            ("documents", 0),
            ("places", 0),
            ("categories", 0),
            ("register versions", 0),
            ("devices", tx.devices().unwrap().len()),
        ];
        for workspace in tx.workspaces().unwrap() {
            let ws = workspace.id;
            let feed = tx.feed(ws, 0, 1_000_000).unwrap();
            let documents = tx.documents(ws, uuid::Uuid::nil(), 1_000_000).unwrap();
            let (_, version) = tx.workspace(ws).unwrap().unwrap();
            let counts = [
                1,
                feed.len(),
                feed.iter().filter(|r| r.remove).count(),
                documents.len(),
                tx.places(ws).unwrap().len(),
                tx.categories(ws).unwrap().len(),
                usize::try_from(version).unwrap(),
            ];
            for (n, count) in counts.into_iter().enumerate() {
                held[n].1 += count;
            }
        }
        held
    })
}

/// The start of a body, for a failure message.
fn short(body: &[u8]) -> String {
    String::from_utf8_lossy(body).chars().take(300).collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Bytes that are not a change: random, truncated, and damaged copies of a real one.
fn bad_changes(real: &[u8], rng: &mut fastrand::Rng) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for n in [0, 1, 4, 8, 9, 12, 16, 64, 100, 1000, 4096, 65_536] {
        out.push((
            format!("{n} random bytes"),
            (0..n).map(|_| rng.u8(..)).collect(),
        ));
    }
    for cut in [1, 8, 9, 10, real.len() / 2, real.len() - 1] {
        out.push((format!("a change cut at {cut}"), real[..cut].to_vec()));
    }
    for i in 0..50 {
        let mut damaged = real.to_vec();
        let at = rng.usize(..damaged.len());
        damaged[at] ^= 1 << (i % 8);
        out.push((format!("a change with byte {at} flipped"), damaged));
    }
    let mut compressed_type = real.to_vec();
    compressed_type[8] = 2;
    out.push(("a change claiming to be compressed".into(), compressed_type));
    let mut document_type = real.to_vec();
    document_type[8] = 0;
    out.push(("a change claiming to be a document".into(), document_type));
    out
}

async fn two_hundred_hostile_requests_get_4xx_store_nothing_and_the_server_keeps_serving(
    backend: Backend,
) {
    let Scenario { server, codes, .. } = Scenario::on(backend)
        .named("Angrepp")
        .reports(10)
        .start()
        .await;
    let attacker = Device::enroll(&server.url(), &codes[4], "väktare").await;
    let bystander = Device::enroll(&server.url(), &codes[1], "fältare").await;
    let other = server
        .call(|s| s.create_workspace("Grannkommunen", now()))
        .unwrap();
    let draft = ObservationDraft {
        category: Some("klotter".into()),
        place: Some("Rönninge station".into()),
        grade: Some(2),
        description: Some("Tag på väggen".into()),
        ..ObservationDraft::default()
    };
    let own = attacker.store().record(&draft, now()).unwrap().id;
    attacker.sync().await;
    let real = attacker
        .store()
        .document_changes(own.as_uuid())
        .unwrap()
        .remove(0)
        .bytes;
    let bystanders_report = bystander.store().record(&draft, now()).unwrap().id;
    bystander.sync().await;

    let ws = attacker.workspace;
    let w = format!("/v1/workspaces/{ws}");
    let mut rng = fastrand::Rng::with_seed(9);
    let mut catalogue: Vec<Hostile> = Vec::new();

    // Malformed, nested, mistyped and oversized JSON to every endpoint that takes a body.
    let nested_array = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let nested_object = format!("{}1{}", "{\"a\":".repeat(20_000), "}".repeat(20_000));
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("an empty body", b"".to_vec()),
        ("an open brace", b"{".to_vec()),
        ("null", b"null".to_vec()),
        ("a number", b"123".to_vec()),
        ("a string", b"\"x\"".to_vec()),
        ("an array", b"[1,2,3]".to_vec()),
        ("a missing value", b"{\"code\":}".to_vec()),
        ("trailing garbage", b"{}garbage".to_vec()),
        ("deeply nested arrays", nested_array.into_bytes()),
        ("deeply nested objects", nested_object.into_bytes()),
        ("invalid UTF-8", b"{\"code\":\"\xff\xfe\xfd\",\"device_name\":\"\xc3\x28\"}".to_vec()),
        ("a lone surrogate", b"{\"code\":\"\\ud800\"}".to_vec()),
        ("wrong types", b"{\"code\":5,\"device_name\":[],\"actor\":{}}".to_vec()),
        ("huge numbers", b"{\"op\":\"add_place\",\"name\":\"x\",\"is_area\":false,\"lat\":1e400,\"lon\":-1e400}".to_vec()),
        ("negative counts", b"{\"changes\":-1}".to_vec()),
        ("an injection string", b"{\"code\":\"'; DROP TABLE feed; --\",\"device_name\":\"<script>alert(1)</script>\",\"actor\":\"../../etc/passwd\"}".to_vec()),
        ("a NUL in a string", b"{\"code\":\"a\\u0000b\",\"device_name\":\"x\",\"actor\":\"00\"}".to_vec()),
    ];
    for path in [
        "/v1/enroll".to_string(),
        format!("{w}/register/changes"),
        format!("{w}/push"),
    ] {
        for (what, body) in &bodies {
            catalogue.push(hostile(
                format!("{what} to {path}"),
                "POST",
                path.clone(),
                body.clone(),
            ));
        }
        let mut no_type = hostile(
            format!("no content type to {path}"),
            "POST",
            path.clone(),
            b"{}".to_vec(),
        );
        no_type.headers.clear();
        catalogue.push(no_type);
        let mut text = hostile(
            format!("text/plain to {path}"),
            "POST",
            path.clone(),
            b"{}".to_vec(),
        );
        text.headers = vec![("content-type", "text/plain".into())];
        catalogue.push(text);
        let mut gz = hostile(
            format!("a gzip body to {path}"),
            "POST",
            path.clone(),
            gzip(b"{\"changes\":[]}"),
        );
        gz.headers.push(("content-encoding", "gzip".into()));
        catalogue.push(gz);
    }
    // Enrolment with codes that are not codes.
    for code in [
        "",
        "AAAA-AAAA-AAAA",
        "' OR 1=1 --",
        &"K".repeat(10_000),
        "K7QX-M2PA-9RTW\u{0}",
    ] {
        let body = serde_json::json!({"code": code, "device_name": "telefon", "actor": "00ff"});
        catalogue.push(hostile(
            format!("enrolment with code {:.20?}", code),
            "POST",
            "/v1/enroll",
            body.to_string(),
        ));
    }
    // Register changes that are not allowed for a guard, or not valid at all.
    for body in [
        serde_json::json!({"op": "add_place", "name": "Ny plats", "is_area": false, "area": null, "lat": 59.2, "lon": 17.7}),
        serde_json::json!({"op": "retire_category", "key": "klotter"}),
        serde_json::json!({"op": "merge_place", "place": uuid::Uuid::nil(), "into": uuid::Uuid::max()}),
        serde_json::json!({"op": "drop_table"}),
        serde_json::json!({"op": "rename_place", "place": "not-a-uuid", "name": "x"}),
    ] {
        catalogue.push(hostile(
            format!("register change {body}"),
            "POST",
            format!("{w}/register/changes"),
            body.to_string(),
        ));
    }
    // Pushes: bytes that are not changes, changes for other workspaces and documents,
    // duplicated and oversized batches.
    for (what, bytes) in bad_changes(&real, &mut rng) {
        let push = PushRequest {
            changes: vec![WireChange {
                doc: uuid::Uuid::now_v7(),
                hash: "00".repeat(32),
                bytes,
            }],
        };
        catalogue.push(hostile(
            format!("push of {what}"),
            "POST",
            format!("{w}/push"),
            serde_json::to_vec(&push).unwrap(),
        ));
    }
    let copied = PushRequest {
        changes: vec![WireChange {
            doc: bystanders_report.0,
            hash: "00".repeat(32),
            bytes: real.clone(),
        }],
    };
    catalogue.push(hostile(
        "a change copied onto another report",
        "POST",
        format!("{w}/push"),
        serde_json::to_vec(&copied).unwrap(),
    ));
    let too_many = PushRequest {
        changes: (0..501)
            .map(|_| WireChange {
                doc: uuid::Uuid::now_v7(),
                hash: "00".into(),
                bytes: vec![0],
            })
            .collect(),
    };
    catalogue.push(hostile(
        "a batch of 501 changes",
        "POST",
        format!("{w}/push"),
        serde_json::to_vec(&too_many).unwrap(),
    ));
    let oversized = format!(
        "{{\"changes\":[{{\"doc\":\"{}\",\"hash\":\"00\",\"bytes\":\"{}\"}}]}}",
        uuid::Uuid::now_v7(),
        "A".repeat(17 << 20)
    );
    catalogue.push(hostile(
        "a 17 MB push",
        "POST",
        format!("{w}/push"),
        oversized,
    ));
    let big_change = PushRequest {
        changes: vec![WireChange {
            doc: uuid::Uuid::now_v7(),
            hash: "00".into(),
            bytes: vec![0x85; 300 * 1024],
        }],
    };
    catalogue.push(hostile(
        "a 300 KB change",
        "POST",
        format!("{w}/push"),
        serde_json::to_vec(&big_change).unwrap(),
    ));
    for path in [
        format!("/v1/workspaces/{}/push", other.id),
        format!("/v1/workspaces/{}/push", uuid::Uuid::nil()),
    ] {
        // A real change of the device's own report, so that a server that let the push
        // through would answer it (stored or duplicate) rather than refuse it.
        let push = PushRequest {
            changes: vec![WireChange {
                doc: own.0,
                hash: automerge::Change::from_bytes(real.clone())
                    .unwrap()
                    .hash()
                    .to_string(),
                bytes: real.clone(),
            }],
        };
        catalogue.push(hostile(
            format!("a push to a workspace it is not in ({path})"),
            "POST",
            path,
            serde_json::to_vec(&push).unwrap(),
        ));
    }
    // Reads with hostile paths and queries.
    let queries = [
        "since=-1",
        "since=99999999999999999999999",
        "since=abc",
        "limit=-5",
        "limit=1e9",
        "wait=-1",
        "wait=1e30",
        "since=1&since=2",
        "at=%00",
        "after=not-a-uuid",
        "since=%27%20OR%201%3D1",
    ];
    for q in queries {
        catalogue.push(hostile(
            format!("feed?{q}"),
            "GET",
            format!("{w}/feed?{q}"),
            Vec::new(),
        ));
        catalogue.push(hostile(
            format!("bootstrap?{q}"),
            "GET",
            format!("{w}/bootstrap?{q}"),
            Vec::new(),
        ));
        catalogue.push(hostile(
            format!("register?{q}"),
            "GET",
            format!("{w}/register?{q}"),
            Vec::new(),
        ));
    }
    let paths = [
        "/v1/workspaces/../../etc/passwd/register".to_string(),
        "/v1/workspaces/%2e%2e%2f%2e%2e/register".into(),
        "/v1/workspaces/not-a-uuid/feed".into(),
        format!("/v1/workspaces/{}/feed", other.id),
        format!("/v1/workspaces/{}/bootstrap", other.id),
        format!("/v1/workspaces/{}/register", other.id),
        format!("{w}/observations/{}/erase", ObservationId::new()),
        format!("{w}/observations/{bystanders_report}/erase"),
        format!("{w}/observations/../../../erase"),
        "/v1/admin".into(),
        "/v1/workspaces".into(),
        "/.env".into(),
        "/v1/me/../../etc/passwd".into(),
        format!("{w}/feed/../../../../etc/passwd"),
    ];
    for path in paths {
        let method = if path.ends_with("erase") {
            "POST"
        } else {
            "GET"
        };
        catalogue.push(hostile(
            format!("{method} {path}"),
            method,
            path,
            Vec::new(),
        ));
    }
    for (method, path) in [
        ("DELETE", format!("{w}/push")),
        ("PUT", "/v1/enroll".into()),
        ("GET", format!("{w}/push")),
        ("PATCH", "/v1/me".into()),
    ] {
        catalogue.push(hostile(
            format!("{method} {path}"),
            method,
            path,
            Vec::new(),
        ));
    }
    // Credentials that are not credentials.
    let credentials = [
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        &format!("Bearer {}", "A".repeat(8000)),
        "Bearer ' OR 1=1 --",
        "bearer lowercase",
    ];
    for (i, credential) in credentials.iter().enumerate() {
        let mut request = hostile(format!("credential {i}"), "GET", "/v1/me", Vec::new());
        request.headers = vec![("authorization", credential.to_string())];
        catalogue.push(request);
    }
    assert!(
        catalogue.len() >= 200,
        "{} hostile requests",
        catalogue.len()
    );

    let before = holdings(&server);
    let peak_before = memory_mb().1;
    let client = reqwest::Client::new();
    let base = server.url();
    for (i, request) in catalogue.iter().enumerate() {
        // A body past the limit ends its connection: it gets a client of its own, so the
        // next request does not go out on the connection the server closed.
        // Pushes may be large; every other body is small (an enrolment, a register
        // change), and the deeply nested ones are past that smaller limit.
        let limit = if request.path.ends_with("/push") {
            lagesbild_sync::http::MAX_BODY_BYTES
        } else {
            lagesbild_sync::http::MAX_SMALL_BODY_BYTES
        };
        let oversized = request.body.len() > limit;
        let sender = if oversized {
            reqwest::Client::new()
        } else {
            client.clone()
        };
        let mut builder = sender
            .request(
                request.method.parse().unwrap(),
                format!("{base}{}", request.path),
            )
            .body(request.body.clone());
        let authenticated = request.path.starts_with("/v1/workspaces") || request.path == "/v1/me";
        let sets_credential = request.headers.iter().any(|(h, _)| *h == "authorization");
        if authenticated && !sets_credential {
            builder = builder.bearer_auth(&attacker.token);
        }
        for (header, value) in &request.headers {
            builder = builder.header(*header, value);
        }
        // A body past the limit is refused before it is read, and the connection
        // closed: the client may see only the close.
        let response = match builder.send().await {
            Ok(response) => response,
            Err(_) if oversized => continue,
            Err(e) => panic!("{}: {e}", request.what),
        };
        let status = response.status();
        if request
            .what
            .starts_with("a push to a workspace it is not in")
        {
            assert_eq!(status, 403, "{}", request.what);
        }
        let body = match response.bytes().await {
            Ok(body) => body,
            Err(_) if oversized && status == 413 => continue,
            Err(e) => panic!("{}: {status} {e}", request.what),
        };
        if status.is_success() {
            // Only a push answers 200 to a hostile request: each change refused.
            let pushed: PushResponse = serde_json::from_slice(&body).unwrap_or_else(|e| {
                panic!(
                    "{}: {status} but not a push response ({e}): {:?}",
                    request.what,
                    String::from_utf8_lossy(&body)
                )
            });
            assert!(
                pushed
                    .results
                    .iter()
                    .all(|r| matches!(r.outcome, PushOutcome::Refused { .. })),
                "{}: {}",
                request.what,
                short(format!("{:?}", pushed.results).as_bytes())
            );
        } else {
            assert!(status.is_client_error(), "{}: {status}", request.what);
            let error: serde_json::Value = serde_json::from_slice(&body).unwrap_or_else(|_| {
                panic!(
                    "{}: {status} without the API's JSON: {:?}",
                    request.what,
                    String::from_utf8_lossy(&body)
                )
            });
            assert!(
                error["code"].is_string() && error["message"].is_string(),
                "{}: {error}",
                request.what
            );
        }
        // Every so often the bystander must still be served, promptly.
        if i % 25 == 0 {
            let t = Instant::now();
            let me = client
                .get(format!("{base}/v1/me"))
                .bearer_auth(&bystander.token)
                .send()
                .await
                .unwrap();
            assert!(
                me.status().is_success(),
                "the server still serves after {}",
                request.what
            );
            assert!(
                t.elapsed() < Duration::from_secs(1),
                "answered within a second after {}",
                request.what
            );
        }
    }
    assert_eq!(holdings(&server), before, "nothing hostile was stored");
    assert!(
        memory_mb().1 < peak_before + 150,
        "memory stays bounded: {} → {} MB",
        peak_before,
        memory_mb().1
    );
    let status = bystander.sync().await;
    assert!(
        matches!(
            status.connection,
            lagesbild_core::sync::engine::Connection::Synced { .. }
        ),
        "the bystander syncs: {status:?}"
    );
}

async fn a_connection_that_sends_half_its_headers_is_closed(backend: Backend) {
    let server = TestServer::on(Database::new(backend)).await;
    let mut socket = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    socket
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let mut buffer = [0u8; 1024];
    let read = tokio::time::timeout(
        lagesbild_sync::http::HEADER_TIMEOUT + Duration::from_secs(5),
        socket.read(&mut buffer),
    )
    .await
    .expect("the server closes the connection rather than wait for ever");
    // Closed: end of stream, a reset, or a 408 before the close.
    let answered = match read {
        Ok(0) | Err(_) => String::new(),
        Ok(n) => String::from_utf8_lossy(&buffer[..n]).into_owned(),
    };
    assert!(
        answered.is_empty() || answered.starts_with("HTTP/1.1 408"),
        "{answered}"
    );
    assert!(
        started.elapsed() >= lagesbild_sync::http::HEADER_TIMEOUT - Duration::from_secs(1),
        "the client had its time: {:?}",
        started.elapsed()
    );
}

async fn failed_authentication_is_slowed_per_address(backend: Backend) {
    let server = TestServer::on(Database::new(backend)).await;
    let client = reqwest::Client::new();
    let mut statuses = Vec::new();
    for i in 0..12 {
        let response = client
            .get(format!("{}/v1/me", server.url()))
            .bearer_auth(format!("gissning-{i}"))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    assert_eq!(&statuses[..10], &[401; 10], "ten guesses are answered");
    assert_eq!(&statuses[10..], &[429, 429], "then the address must wait");
    let enrol = client
        .post(format!("{}/v1/enroll", server.url()))
        .json(&serde_json::json!({"code": "AAAA-BBBB-CCCC", "device_name": "x", "actor": "00"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        enrol.status(),
        429,
        "enrolment attempts from the address wait too"
    );
    assert!(enrol.headers().contains_key("retry-after"));
}

lagesbild_tests::on_both_backends!(
    async(4) two_hundred_hostile_requests_get_4xx_store_nothing_and_the_server_keeps_serving,
);

lagesbild_tests::on_both_backends!(
    async a_connection_that_sends_half_its_headers_is_closed,
    failed_authentication_is_slowed_per_address,
);
