//! The HTTP edge against clients that hold on, guess or flood: every body has a
//! deadline, one address cannot take the connections from everyone else, one device
//! cannot take the long polls from other devices, someone else's failed guesses never
//! lock out a valid device, and revocation or a change of membership takes effect on
//! requests already in flight. Every case runs on both of the server's backends, with a
//! bounded count, and finishes in seconds.
#![allow(clippy::unwrap_used)]

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use lagesbild_core::sync::SyncStorage;
use lagesbild_core::sync::wire::{AdminChange, FeedEntry, FeedPage, PushRequest};
use lagesbild_core::{DeviceId, ObservationDraft, Role};
use lagesbild_tests::{Backend, Device, Scenario, now, wire_changes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

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

lagesbild_tests::on_both_backends!(
    async slow_enrolment_bodies_from_thousands_of_connections_do_not_stop_health_or_a_valid_device,
    a_body_that_does_not_arrive_in_time_is_answered_408_on_every_route,
    bad_tokens_from_one_address_do_not_lock_out_a_valid_device_behind_it,
    a_valid_enrolment_code_is_taken_from_an_address_that_guessed_too_often,
    behind_a_trusted_proxy_the_real_address_is_throttled_not_the_proxy,
    failed_enrolments_are_bounded_per_window_across_many_addresses,
    thousands_of_long_polls_from_one_device_do_not_starve_another_device,
    a_push_whose_body_arrives_after_its_device_is_revoked_stores_nothing,
    an_administrative_act_whose_body_arrives_after_its_device_is_revoked_does_nothing,
    an_open_long_poll_answers_nothing_after_revocation_deactivation_or_a_move,
);

async fn slow_enrolment_bodies_from_thousands_of_connections_do_not_stop_health_or_a_valid_device(
    backend: Backend,
) {
    let s = Scenario::on(backend).named("Segt").start().await;
    let device = s.enroll(1, "fältare").await;
    // More connections than the server holds at once, each a promise of an enrolment
    // whose body never comes, all from one address.
    let attacker: IpAddr = [127, 0, 0, 2].into();
    let started = Instant::now();
    let mut held = Vec::new();
    for _ in 0..lagesbild_sync::http::MAX_CONNECTIONS + 100 {
        let Ok(Ok(mut stream)) = tokio::time::timeout(
            Duration::from_millis(100),
            connect_from(attacker, s.server.addr),
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
        .get(format!("{}/health", s.url()))
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    assert!(
        health.is_ok_and(|r| r.status() == 200),
        "/health answers while one address holds {} slow enrolments",
        held.len()
    );
    let me = client_from([127, 0, 0, 1].into())
        .get(format!("{}/v1/me", s.url()))
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

async fn a_body_that_does_not_arrive_in_time_is_answered_408_on_every_route(backend: Backend) {
    let s = Scenario::on(backend).named("Långsamt").start().await;
    let coordinator = s.enroll(0, "samordnare").await;
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
            let addr = s.server.addr;
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

async fn bad_tokens_from_one_address_do_not_lock_out_a_valid_device_behind_it(backend: Backend) {
    let s = Scenario::on(backend).named("Delad adress").start().await;
    let device = s.enroll(1, "fältare").await;
    let client = client_from([127, 0, 0, 1].into());
    let mut statuses = Vec::new();
    for i in 0..12 {
        let response = client
            .get(format!("{}/v1/me", s.url()))
            .bearer_auth(format!("gissning-{i}"))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    assert_eq!(&statuses[10..], &[429, 429], "the guesser is slowed");
    let me = client
        .get(format!("{}/v1/me", s.url()))
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

async fn a_valid_enrolment_code_is_taken_from_an_address_that_guessed_too_often(backend: Backend) {
    // A municipality's NAT: someone behind it mistypes (or guesses) codes, then a
    // colleague behind the same address enrols with the code the coordinator gave them.
    let s = Scenario::on(backend)
        .named("Delad adress vid inskrivning")
        .start()
        .await;
    let client = client_from([127, 0, 0, 1].into());
    let enrol = |code: &str, actor: &str| serde_json::json!({"code": code, "device_name": "platta", "actor": actor});
    let mut statuses = Vec::new();
    for i in 0..12 {
        let response = client
            .post(format!("{}/v1/enroll", s.url()))
            .json(&enrol(&format!("AAAA-BBBB-CC{i:02}"), "00ff"))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    assert_eq!(&statuses[10..], &[429, 429], "the guesser is slowed");
    let valid = client
        .post(format!("{}/v1/enroll", s.url()))
        .json(&enrol(&s.codes[1], "0a0b0c0d"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        valid.status(),
        200,
        "a valid code is never refused for someone else's failures"
    );
    let again = client
        .post(format!("{}/v1/enroll", s.url()))
        .json(&enrol("AAAA-BBBB-CC99", "00fe"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 429, "and guesses are still slowed after it");
}

async fn behind_a_trusted_proxy_the_real_address_is_throttled_not_the_proxy(backend: Backend) {
    // The packaged set-up: a TLS proxy on this machine, trusted to say who the client is.
    let s = Scenario::on(backend)
        .named("Bakom proxyn")
        .trusting(vec![[127, 0, 0, 1].into()])
        .start()
        .await;
    let device = s.enroll(1, "fältare").await;
    let proxy = client_from([127, 0, 0, 1].into());
    let me = |token: String, client: &str| {
        proxy
            .get(format!("{}/v1/me", s.url()))
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
            .get(format!("{}/v1/me", s.url()))
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

async fn failed_enrolments_are_bounded_per_window_across_many_addresses(backend: Backend) {
    let s = Scenario::on(backend).named("Gissningar").start().await;
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
                .post(format!("{}/v1/enroll", s.url()))
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
        .post(format!("{}/v1/enroll", s.url()))
        .json(&serde_json::json!({"code": s.codes[1], "device_name": "fältarens telefon", "actor": actor}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        uninvolved.status(),
        200,
        "a correct code from an address that guessed nothing is still taken during the flood"
    );
}

async fn thousands_of_long_polls_from_one_device_do_not_starve_another_device(backend: Backend) {
    let s = Scenario::on(backend).named("Långa frågor").start().await;
    let greedy = s.enroll(4, "väktare").await;
    let patient = s.enroll(1, "fältare").await;
    let reporter = s.enroll(0, "samordnare").await;
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
            connect_from([127, 0, 0, 3].into(), s.server.addr),
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
    let mut oldest = TcpStream::connect(s.server.addr).await.unwrap();
    let head: FeedPage = greedy.get("feed?since=0").await;
    oldest
        .write_all(poll(head.cursor, &greedy.token).as_bytes())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut newer = Vec::new();
    for _ in 0..lagesbild_sync::http::MAX_POLLS_PER_DEVICE {
        let mut stream = TcpStream::connect(s.server.addr).await.unwrap();
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
    let s = Scenario::on(backend)
        .named("Återkallad samordnare")
        .start()
        .await;
    let coordinator = s.enroll(0, "samordnarens dator").await;
    let field = s.enroll(1, "fältarens telefon").await;
    let body = serde_json::to_vec(&AdminChange::AddOrganisation {
        name: "Under återkallelsen".into(),
        kind: lagesbild_core::OrganisationKind::Vaktbolag,
    })
    .unwrap();
    let mut stream = TcpStream::connect(s.server.addr).await.unwrap();
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
    s.call(|service| service.revoke_device(device, now()).unwrap());
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
    let s = Scenario::on(backend).named("Återkallad").start().await;
    let coordinator = s.enroll(0, "samordnare").await;
    let guard = s.enroll(4, "väktarens telefon").await;
    let report = guard
        .store()
        .record(&report("Skrivet före återkallelsen", "alla"), now())
        .unwrap();
    let body = serde_json::to_vec(&PushRequest {
        changes: wire_changes(&guard.store(), report.id.0),
    })
    .unwrap();
    let mut stream = TcpStream::connect(s.server.addr).await.unwrap();
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
    let stored = s.call(|service| {
        service
            .devices()
            .unwrap()
            .into_iter()
            .any(|d| d.id == device)
    });
    assert!(stored, "the device is still listed, revoked");
}

async fn an_open_long_poll_answers_nothing_after_revocation_deactivation_or_a_move(
    backend: Backend,
) {
    let s = Scenario::on(backend).named("Under väntan").start().await;
    let coordinator = s.enroll(0, "samordnare").await;
    let moved = s.enroll(1, "fältare").await;
    let deactivated = s.enroll(2, "socialfältare").await;
    let revoked = s.enroll(4, "väktare").await;
    // The fältare works in the coordinator's own organisation for now.
    let (own, elsewhere) = (s.demo.organisations[0].id, s.demo.organisations[1].id);
    let fieldworker = s.demo.people[1].user;
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
            user: s.demo.people[2].user,
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
