//! The HTTP edge against clients that hold on, guess or flood: every body has a
//! deadline, one address cannot take the connections from everyone else, one device
//! cannot take the long polls from other devices, someone else's failed guesses never
//! lock out a valid device, and revocation or a change of membership takes effect on
//! requests already in flight — on both of the server's backends where it concerns
//! storage. Every case runs with a bounded count and finishes in seconds.
#![allow(clippy::unwrap_used)]

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lagesbild_core::sync::SyncStorage;
use lagesbild_core::sync::wire::{AdminChange, FeedEntry, FeedPage, PushRequest};
use lagesbild_core::{DeviceId, ObservationDraft, Role};
use lagesbild_sync::Service;
use lagesbild_sync::storage::{Postgres, Sqlite, Storage};
use lagesbild_tests::postgres::TestDatabase;
use lagesbild_tests::{Device, now, wire_changes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::watch;

/// The backends a case runs on.
#[derive(Debug, Clone, Copy)]
enum Backend {
    Sqlite,
    Postgres,
}

/// A server in this process on a loopback port, over either backend.
struct Server {
    service: Arc<Service>,
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    _dir: tempfile::TempDir,
    _database: Option<TestDatabase>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}

impl Server {
    async fn start(backend: Backend) -> Server {
        Server::start_with(backend, Vec::new()).await
    }

    /// Serves with `trusted_proxies`, whose `X-Forwarded-For` says who the client is.
    async fn start_with(backend: Backend, trusted_proxies: Vec<IpAddr>) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let (storage, database): (Box<dyn Storage>, _) = match backend {
            Backend::Sqlite => (
                Box::new(Sqlite::open(&dir.path().join("server.sqlite3")).unwrap()),
                None,
            ),
            Backend::Postgres => {
                let database = TestDatabase::create();
                let url = database.url.clone();
                // The blocking client runs a runtime of its own: not on this one's threads.
                let storage = tokio::task::spawn_blocking(move || Postgres::open(&url).unwrap())
                    .await
                    .unwrap();
                (Box::new(storage), Some(database))
            }
        };
        let service = Arc::new(Service::with_storage(storage));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, mut stopping) = watch::channel(false);
        let serving = Arc::clone(&service);
        tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopping.wait_for(|s| *s).await;
            };
            let edge = lagesbild_sync::http::Edge {
                tls: None,
                trusted_proxies,
            };
            lagesbild_sync::http::serve_with(listener, serving, edge, shutdown)
                .await
                .unwrap();
        });
        Server {
            service,
            addr,
            stop,
            _dir: dir,
            _database: database,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Runs `f` on the service from a blocking thread (the PostgreSQL client blocks).
    async fn run<T: Send + 'static>(&self, f: impl FnOnce(&Service) -> T + Send + 'static) -> T {
        let service = Arc::clone(&self.service);
        tokio::task::spawn_blocking(move || f(&service))
            .await
            .unwrap()
    }

    /// The demo workspace, and an enrolment code per demo person.
    async fn demo(&self, name: &str) -> (lagesbild_core::demo::DemoWorkspace, Vec<String>) {
        let demo = lagesbild_core::demo::workspace(name);
        let people = demo.clone();
        let codes = self
            .run(move |s| {
                s.install_demo(&people, 0, now()).unwrap();
                people
                    .people
                    .iter()
                    .map(|p| {
                        s.enrolment_code(p.user, chrono::Duration::hours(1), now())
                            .unwrap()
                    })
                    .collect()
            })
            .await;
        (demo, codes)
    }
}

/// The device's id, as the server knows it.
fn device_id(device: &Device) -> DeviceId {
    device.store().credential().unwrap().unwrap().device
}

/// A connection from `source` (any loopback address: 127.0.0.0/8 is all this machine).
async fn connect_from(source: IpAddr, to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(source, 0))?;
    socket.connect(to).await
}

/// One HTTP response read off a raw connection: its status and body. None when the
/// connection closed without one or nothing came within `within`.
async fn response(stream: &mut TcpStream, within: Duration) -> Option<(u16, String)> {
    let mut bytes = Vec::new();
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let mut buffer = [0u8; 4096];
        let read = tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await;
        match read {
            Ok(Ok(n)) if n > 0 => bytes.extend_from_slice(&buffer[..n]),
            _ => break,
        }
        let text = String::from_utf8_lossy(&bytes);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if body.len() >= length {
                break;
            }
        }
    }
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let status = text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string())?;
    Some((status, body))
}

/// The API's error code in a response body.
fn code(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["code"].as_str().map(str::to_string))
        .unwrap_or_else(|| format!("(no code in {body:?})"))
}

fn report(text: &str, visibility: &str) -> ObservationDraft {
    ObservationDraft {
        category: Some("klotter".into()),
        place: Some("Rönninge station".into()),
        grade: Some(2),
        visibility: Some(visibility.into()),
        description: Some(text.into()),
        ..ObservationDraft::default()
    }
}

async fn administer(coordinator: &Device, change: AdminChange) {
    let response = coordinator
        .request(reqwest::Method::POST, "admin/changes")
        .json(&change)
        .send()
        .await
        .unwrap();
    let status = response.status();
    assert!(
        status.is_success(),
        "{change:?}: {status} {}",
        response.text().await.unwrap()
    );
}

/// A client whose connections come from `source`.
fn client_from(source: IpAddr) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(source)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() { super::$case(super::Backend::Sqlite).await; })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() { super::$case(super::Backend::Postgres).await; })*
        }
    };
}

on_both_backends!(
    a_push_whose_body_arrives_after_its_device_is_revoked_stores_nothing,
    an_administrative_act_whose_body_arrives_after_its_device_is_revoked_does_nothing,
    an_open_long_poll_answers_nothing_after_revocation_deactivation_or_a_move,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_enrolment_bodies_from_thousands_of_connections_do_not_stop_health_or_a_valid_device()
{
    let server = Server::start(Backend::Sqlite).await;
    let (_, codes) = server.demo("Segt").await;
    let device = Device::enroll(&server.url(), &codes[1], "fältare").await;
    // More connections than the server holds at once, each a promise of an enrolment
    // whose body never comes, all from one address.
    let attacker: IpAddr = [127, 0, 0, 2].into();
    let started = Instant::now();
    let mut held = Vec::new();
    for _ in 0..lagesbild_sync::http::MAX_CONNECTIONS + 100 {
        let Ok(Ok(mut stream)) = tokio::time::timeout(
            Duration::from_millis(100),
            connect_from(attacker, server.addr),
        )
        .await
        else {
            continue;
        };
        let _ = stream
            .write_all(
                b"POST /v1/enroll HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                  Content-Length: 100\r\n\r\n{\"co",
            )
            .await;
        held.push(stream);
    }
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the attack itself is quick"
    );
    let t = Instant::now();
    let health = client_from([127, 0, 0, 1].into())
        .get(format!("{}/health", server.url()))
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    assert!(
        health.is_ok_and(|r| r.status() == 200),
        "/health answers while one address holds {} slow enrolments",
        held.len()
    );
    let me = client_from([127, 0, 0, 1].into())
        .get(format!("{}/v1/me", server.url()))
        .bearer_auth(&device.token)
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    assert!(
        me.is_ok_and(|r| r.status() == 200),
        "a valid device is served while one address holds slow enrolments"
    );
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "and promptly: {:?}",
        t.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_does_not_arrive_in_time_is_answered_408_on_every_route() {
    let server = Server::start(Backend::Sqlite).await;
    let (_, codes) = server.demo("Långsamt").await;
    let coordinator = Device::enroll(&server.url(), &codes[0], "samordnare").await;
    let ws = coordinator.workspace;
    let routes = [
        ("/v1/enroll".to_string(), None),
        (
            format!("/v1/workspaces/{ws}/register/changes"),
            Some(coordinator.token.clone()),
        ),
        (
            format!("/v1/workspaces/{ws}/admin/changes"),
            Some(coordinator.token.clone()),
        ),
    ];
    let started = Instant::now();
    let waits: Vec<_> = routes
        .into_iter()
        .map(|(path, token)| {
            let addr = server.addr;
            tokio::spawn(async move {
                let mut stream = TcpStream::connect(addr).await.unwrap();
                let credential = token
                    .map(|t| format!("Authorization: Bearer {t}\r\n"))
                    .unwrap_or_default();
                let head = format!(
                    "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                 {credential}Content-Length: 100\r\n\r\n{{\"op"
                );
                stream.write_all(head.as_bytes()).await.unwrap();
                let answer = response(
                    &mut stream,
                    lagesbild_sync::http::BODY_TIMEOUT + Duration::from_secs(5),
                )
                .await;
                (path, answer)
            })
        })
        .collect();
    for wait in waits {
        let (path, answer) = wait.await.unwrap();
        let (status, body) = answer.unwrap_or_else(|| {
            panic!("{path}: a body that never arrives is answered, not waited for for ever")
        });
        assert_eq!(status, 408, "{path}: {body}");
        assert_eq!(code(&body), "timeout", "{path}: {body}");
    }
    assert!(
        started.elapsed() < lagesbild_sync::http::BODY_TIMEOUT + Duration::from_secs(5),
        "within the body's deadline: {:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tokens_from_one_address_do_not_lock_out_a_valid_device_behind_it() {
    let server = Server::start(Backend::Sqlite).await;
    let (_, codes) = server.demo("Delad adress").await;
    let device = Device::enroll(&server.url(), &codes[1], "fältare").await;
    let client = client_from([127, 0, 0, 1].into());
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
    assert_eq!(&statuses[10..], &[429, 429], "the guesser is slowed");
    let me = client
        .get(format!("{}/v1/me", server.url()))
        .bearer_auth(&device.token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        me.status(),
        200,
        "a valid credential is never refused for someone else's failures"
    );
    let status = device.sync().await;
    assert!(
        matches!(
            status.connection,
            lagesbild_core::sync::engine::Connection::Synced { .. }
        ),
        "the device behind the guesser's address syncs: {status:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_enrolment_code_is_taken_from_an_address_that_guessed_too_often() {
    // A municipality's NAT: someone behind it mistypes (or guesses) codes, then a
    // colleague behind the same address enrols with the code the coordinator gave them.
    let server = Server::start(Backend::Sqlite).await;
    let (_, codes) = server.demo("Delad adress vid inskrivning").await;
    let client = client_from([127, 0, 0, 1].into());
    let enrol = |code: &str, actor: &str| serde_json::json!({"code": code, "device_name": "platta", "actor": actor});
    let mut statuses = Vec::new();
    for i in 0..12 {
        let response = client
            .post(format!("{}/v1/enroll", server.url()))
            .json(&enrol(&format!("AAAA-BBBB-CC{i:02}"), "00ff"))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    assert_eq!(&statuses[10..], &[429, 429], "the guesser is slowed");
    let valid = client
        .post(format!("{}/v1/enroll", server.url()))
        .json(&enrol(&codes[1], "0a0b0c0d"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        valid.status(),
        200,
        "a valid code is never refused for someone else's failures"
    );
    let again = client
        .post(format!("{}/v1/enroll", server.url()))
        .json(&enrol("AAAA-BBBB-CC99", "00fe"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 429, "and guesses are still slowed after it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_the_real_address_is_throttled_not_the_proxy() {
    // The packaged set-up: a TLS proxy on this machine, trusted to say who the client is.
    let server = Server::start_with(Backend::Sqlite, vec![[127, 0, 0, 1].into()]).await;
    let (_, codes) = server.demo("Bakom proxyn").await;
    let device = Device::enroll(&server.url(), &codes[1], "fältare").await;
    let proxy = client_from([127, 0, 0, 1].into());
    let me = |token: String, client: &str| {
        proxy
            .get(format!("{}/v1/me", server.url()))
            .bearer_auth(token)
            .header("x-forwarded-for", format!("{client}, 127.0.0.1"))
            .send()
    };
    let mut statuses = Vec::new();
    for i in 0..12 {
        statuses.push(
            me(format!("gissning-{i}"), "198.51.100.7")
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    assert_eq!(&statuses[..10], &[401; 10], "ten guesses are answered");
    assert_eq!(&statuses[10..], &[429, 429], "then the guesser must wait");
    let other = me("gissning-x".into(), "198.51.100.8").await.unwrap();
    assert_eq!(
        other.status(),
        401,
        "another client of the same proxy is not held to the guesser's failures"
    );
    let valid = me(device.token.clone(), "198.51.100.7").await.unwrap();
    assert_eq!(
        valid.status(),
        200,
        "a valid device at the guesser's own address is served"
    );
    // Someone not trusted as a proxy cannot choose the address it is counted under.
    let direct = client_from([127, 0, 0, 9].into());
    let mut forged = Vec::new();
    for i in 0..11 {
        let response = direct
            .get(format!("{}/v1/me", server.url()))
            .bearer_auth(format!("gissning-{i}"))
            .header("x-forwarded-for", format!("203.0.113.{i}"))
            .send()
            .await
            .unwrap();
        forged.push(response.status().as_u16());
    }
    assert_eq!(
        forged[10], 429,
        "an untrusted peer's X-Forwarded-For is ignored: {forged:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_enrolments_are_bounded_per_window_across_many_addresses() {
    let server = Server::start(Backend::Sqlite).await;
    let (_, codes) = server.demo("Gissningar").await;
    let guess = serde_json::json!({"code": "AAAA-BBBB-CCCC", "device_name": "x", "actor": "00ff"});
    let mut answered = 0;
    let mut slowed = 0;
    // 500 guesses from 50 addresses, ten each, taking turns.
    let clients: Vec<_> = (1..=50u8)
        .map(|n| client_from([127, 0, 1, n].into()))
        .collect();
    let started = Instant::now();
    for _ in 0..10 {
        for client in &clients {
            let response = client
                .post(format!("{}/v1/enroll", server.url()))
                .json(&guess)
                .send()
                .await
                .unwrap();
            match response.status().as_u16() {
                401 => answered += 1,
                429 => slowed += 1,
                other => panic!("a guess answered {other}"),
            }
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert!(
        answered <= 150,
        "at most the window's budget of failures and one per fresh address are tried: \
         {answered} tried, {slowed} slowed"
    );
    let actor = automerge::ActorId::random().to_hex_string();
    let uninvolved = client_from([127, 0, 2, 1].into())
        .post(format!("{}/v1/enroll", server.url()))
        .json(&serde_json::json!({"code": codes[1], "device_name": "fältarens telefon", "actor": actor}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        uninvolved.status(),
        200,
        "a correct code from an address that guessed nothing is still taken during the flood"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_long_polls_from_one_device_do_not_starve_another_device() {
    let server = Server::start(Backend::Sqlite).await;
    let (_, codes) = server.demo("Långa frågor").await;
    let greedy = Device::enroll(&server.url(), &codes[4], "väktare").await;
    let patient = Device::enroll(&server.url(), &codes[1], "fältare").await;
    let reporter = Device::enroll(&server.url(), &codes[0], "samordnare").await;
    let ws = greedy.workspace;
    let poll = |since: i64, token: &str| {
        format!(
            "GET /v1/workspaces/{ws}/feed?since={since}&wait=25 HTTP/1.1\r\nHost: x\r\n\
             Authorization: Bearer {token}\r\n\r\n"
        )
    };
    let head: FeedPage = greedy.get("feed?since=0").await;
    let request = poll(head.cursor, &greedy.token);
    let mut held = Vec::new();
    for _ in 0..lagesbild_sync::http::MAX_CONNECTIONS + 100 {
        let Ok(Ok(mut stream)) = tokio::time::timeout(
            Duration::from_millis(100),
            connect_from([127, 0, 0, 3].into(), server.addr),
        )
        .await
        else {
            continue;
        };
        let _ = stream.write_all(request.as_bytes()).await;
        held.push(stream);
    }
    // The other device's long poll is answered when a report lands.
    let since = patient
        .store()
        .sync_state(patient.workspace)
        .unwrap()
        .cursor;
    let waiting = {
        let patient = patient.clone();
        tokio::spawn(async move {
            tokio::time::timeout(
                Duration::from_secs(10),
                patient
                    .request(reqwest::Method::GET, &format!("feed?since={since}&wait=20"))
                    .send(),
            )
            .await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let news = reporter
        .store()
        .record(&report("Nytt", "alla"), now())
        .unwrap();
    reporter.sync().await;
    let page: FeedPage = waiting
        .await
        .unwrap()
        .expect("the other device's long poll is answered, not starved")
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        page.entries
            .iter()
            .any(|e| matches!(e, FeedEntry::Document { doc, .. } if *doc == news.id.0)),
        "with the new report"
    );

    // One device holds at most its share of long polls: a new one answers the oldest.
    drop(held);
    let mut oldest = TcpStream::connect(server.addr).await.unwrap();
    let head: FeedPage = greedy.get("feed?since=0").await;
    oldest
        .write_all(poll(head.cursor, &greedy.token).as_bytes())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut newer = Vec::new();
    for _ in 0..lagesbild_sync::http::MAX_POLLS_PER_DEVICE {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream
            .write_all(poll(head.cursor, &greedy.token).as_bytes())
            .await
            .unwrap();
        newer.push(stream);
    }
    let answer = response(&mut oldest, Duration::from_secs(5)).await;
    let (status, body) = answer.expect("the oldest long poll is answered at once");
    assert_eq!(status, 200, "{body}");
    let page: FeedPage = serde_json::from_str(&body).unwrap();
    assert!(page.entries.is_empty(), "with nothing new: {body}");
}

async fn an_administrative_act_whose_body_arrives_after_its_device_is_revoked_does_nothing(
    backend: Backend,
) {
    let server = Server::start(backend).await;
    let (_, codes) = server.demo("Återkallad samordnare").await;
    let coordinator = Device::enroll(&server.url(), &codes[0], "samordnarens dator").await;
    let field = Device::enroll(&server.url(), &codes[1], "fältarens telefon").await;
    let body = serde_json::to_vec(&AdminChange::AddOrganisation {
        name: "Under återkallelsen".into(),
        kind: lagesbild_core::OrganisationKind::Vaktbolag,
    })
    .unwrap();
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST /v1/workspaces/{}/admin/changes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Authorization: Bearer {}\r\nContent-Length: {}\r\n\r\n",
        coordinator.workspace,
        coordinator.token,
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let half = body.len() / 2;
    stream.write_all(&body[..half]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The operator revokes the coordinator's device (stolen) while its act is on the way.
    let device = device_id(&coordinator);
    server
        .run(move |s| s.revoke_device(device, now()).unwrap())
        .await;
    stream.write_all(&body[half..]).await.unwrap();
    let (status, answer) = response(&mut stream, Duration::from_secs(10))
        .await
        .expect("the act is answered");
    assert_eq!(status, 401, "{answer}");
    assert_eq!(code(&answer), "revoked", "{answer}");
    let register: lagesbild_core::sync::wire::Register = field.get("register").await;
    assert!(
        register
            .organisations
            .iter()
            .all(|o| o.name != "Under återkallelsen"),
        "an act from a device revoked before it committed is not done"
    );
}

async fn a_push_whose_body_arrives_after_its_device_is_revoked_stores_nothing(backend: Backend) {
    let server = Server::start(backend).await;
    let (_, codes) = server.demo("Återkallad").await;
    let coordinator = Device::enroll(&server.url(), &codes[0], "samordnare").await;
    let guard = Device::enroll(&server.url(), &codes[4], "väktarens telefon").await;
    let report = guard
        .store()
        .record(&report("Skrivet före återkallelsen", "alla"), now())
        .unwrap();
    let body = serde_json::to_vec(&PushRequest {
        changes: wire_changes(&guard.store(), report.id.0),
    })
    .unwrap();
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST /v1/workspaces/{}/push HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Authorization: Bearer {}\r\nContent-Length: {}\r\n\r\n",
        guard.workspace,
        guard.token,
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let half = body.len() / 2;
    stream.write_all(&body[..half]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The coordinator revokes the device while its push is on the way.
    let device = device_id(&guard);
    administer(&coordinator, AdminChange::RevokeDevice { device }).await;
    stream.write_all(&body[half..]).await.unwrap();
    let (status, answer) = response(&mut stream, Duration::from_secs(10))
        .await
        .expect("the push is answered");
    assert_eq!(status, 401, "{answer}");
    assert_eq!(code(&answer), "revoked", "{answer}");
    coordinator.sync().await;
    assert!(
        !coordinator.report_ids().contains(&report.id.0),
        "a push from a device revoked before it was stored is not stored"
    );
    let stored = server
        .run(move |s| s.devices().unwrap().into_iter().any(|d| d.id == device))
        .await;
    assert!(stored, "the device is still listed, revoked");
}

async fn an_open_long_poll_answers_nothing_after_revocation_deactivation_or_a_move(
    backend: Backend,
) {
    let server = Server::start(backend).await;
    let (demo, codes) = server.demo("Under väntan").await;
    let coordinator = Device::enroll(&server.url(), &codes[0], "samordnare").await;
    let moved = Device::enroll(&server.url(), &codes[1], "fältare").await;
    let deactivated = Device::enroll(&server.url(), &codes[2], "socialfältare").await;
    let revoked = Device::enroll(&server.url(), &codes[4], "väktare").await;
    // The fältare works in the coordinator's own organisation for now.
    let (own, elsewhere) = (demo.organisations[0].id, demo.organisations[1].id);
    let fieldworker = demo.people[1].user;
    administer(
        &coordinator,
        AdminChange::ChangePerson {
            user: fieldworker,
            organisation: own,
            role: Role::Fritidsfaltare,
        },
    )
    .await;
    let polls: Vec<_> = [&moved, &deactivated, &revoked]
        .into_iter()
        .map(|device| {
            let device = device.clone();
            tokio::spawn(async move {
                device.sync().await;
                let since = device.store().sync_state(device.workspace).unwrap().cursor;
                let response = device
                    .request(reqwest::Method::GET, &format!("feed?since={since}&wait=20"))
                    .send()
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                (status, response.text().await.unwrap())
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    administer(
        &coordinator,
        AdminChange::ChangePerson {
            user: fieldworker,
            organisation: elsewhere,
            role: Role::Fritidsfaltare,
        },
    )
    .await;
    administer(
        &coordinator,
        AdminChange::Deactivate {
            user: demo.people[2].user,
        },
    )
    .await;
    administer(
        &coordinator,
        AdminChange::RevokeDevice {
            device: device_id(&revoked),
        },
    )
    .await;
    let secret = coordinator
        .store()
        .record(
            &report("Bara för vår organisation", "egen-organisation"),
            now(),
        )
        .unwrap();
    coordinator.sync().await;
    let mut answers = Vec::new();
    for poll in polls {
        answers.push(
            tokio::time::timeout(Duration::from_secs(25), poll)
                .await
                .expect("every long poll is answered")
                .unwrap(),
        );
    }
    let (status, body) = &answers[0];
    assert_eq!(*status, 200, "the moved person may still poll: {body}");
    let page: FeedPage = serde_json::from_str(body).unwrap();
    assert!(
        !page.entries.iter().any(|e| matches!(e,
            FeedEntry::Change { doc, .. } | FeedEntry::Document { doc, .. } if *doc == secret.id.0)),
        "a long poll opened in the old organisation does not deliver its report's text: {body}"
    );
    let (status, body) = &answers[1];
    assert_eq!(
        (*status, code(body).as_str()),
        (403, "deactivated"),
        "{body}"
    );
    let (status, body) = &answers[2];
    assert_eq!((*status, code(body).as_str()), (401, "revoked"), "{body}");
}
