//! HTTPS in the server itself, with a certificate made at test time by a CA of the
//! test's own (as a municipality runs its own): a client that trusts the CA is served,
//! one that does not is refused in the handshake, and the server refuses to serve plain
//! HTTP on an address other machines reach unless told a TLS proxy is in front. The app
//! enrols from the link the server prints, and refuses the server without its CA.
#![allow(clippy::unwrap_used)]

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use lagesbild_core::sync::engine::Connection;
use lagesbild_core::sync::link::EnrolmentLink;
use lagesbild_core::{ListQuery, Store};
use lagesbild_tests::app::{App, Display};
use lagesbild_tests::{Backend, Database, server_binary, spawn_serving};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

/// A CA's certificate (PEM, also written to `dir` as `ca.pem`), and a certificate it
/// issued for `localhost` and 127.0.0.1 with its key, written as `server.pem` and
/// `server.key`.
fn certificates(dir: &Path, ca_name: &str) -> String {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.distinguished_name
        .push(DnType::CommonName, format!("{ca_name} CA"));
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_certificate = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    std::fs::write(dir.join("server.pem"), server.pem()).unwrap();
    std::fs::write(dir.join("server.key"), key.serialize_pem()).unwrap();
    std::fs::write(dir.join("ca.pem"), ca_certificate.pem()).unwrap();
    ca_certificate.pem()
}

/// A client as a device has it: the system's roots, plus `ca` when given.
fn client(ca: Option<&str>) -> reqwest::Client {
    let mut builder = reqwest::Client::builder().timeout(Duration::from_secs(5));
    if let Some(ca) = ca {
        builder =
            builder.add_root_certificate(reqwest::Certificate::from_pem(ca.as_bytes()).unwrap());
    }
    builder.build().unwrap()
}

struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The server over `database`, listening on `listen` (port 0: the kernel picks), and the
/// address it serves on; `Err` holds the log of a server that refused.
fn serve(
    database: &Database,
    listen: &str,
    env: &[(&str, &OsStr)],
) -> Result<(Child, u16), String> {
    let mut command = Command::new(server_binary());
    command
        .args(["--database", database.url()])
        .args(["serve", "--listen", listen]);
    for (key, value) in env {
        command.env(key, value);
    }
    spawn_serving(&mut command).map(|(child, address)| (Child(child), address.port()))
}

/// The server's certificate error, as a client reports it.
fn error_chain(e: &reqwest::Error) -> String {
    let mut chain = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        chain.push_str(&format!(": {s}"));
        source = s.source();
    }
    chain
}

async fn the_server_speaks_https_to_devices_that_trust_its_ca_and_to_no_others(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let database = Database::new(backend);
    let ca = certificates(dir.path(), "Salems kommun");
    let (certificate, key) = (dir.path().join("server.pem"), dir.path().join("server.key"));
    let (mut server, port) = serve(
        &database,
        "127.0.0.1:0",
        &[
            ("LAGESBILD_SYNC_TLS_CERTIFICATE", certificate.as_os_str()),
            ("LAGESBILD_SYNC_TLS_KEY", key.as_os_str()),
        ],
    )
    .unwrap();
    let trusting = client(Some(&ca));
    let url = format!("https://localhost:{port}/health");
    let mut up = false;
    for _ in 0..400 {
        if let Ok(r) = trusting.get(&url).send().await {
            assert_eq!(r.status(), 200);
            up = true;
            break;
        }
        assert!(server.0.try_wait().unwrap().is_none(), "the server exited");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(up, "the server did not answer over HTTPS in 10 s");
    let by_address = trusting
        .get(format!("https://127.0.0.1:{port}/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        by_address.status(),
        200,
        "the certificate names the address"
    );

    // The system's roots alone do not know the municipality's CA; nor does another CA.
    let untrusted = client(None).get(&url).send().await.unwrap_err();
    let why = error_chain(&untrusted);
    assert!(why.to_lowercase().contains("certificate"), "{why}");
    let other = tempfile::tempdir().unwrap();
    let other_ca = certificates(other.path(), "Någon annan");
    let refused = client(Some(&other_ca)).get(&url).send().await.unwrap_err();
    assert!(error_chain(&refused).to_lowercase().contains("certificate"));

    // Plain HTTP to the HTTPS port gets no answer.
    assert!(
        client(None)
            .get(format!("http://127.0.0.1:{port}/health"))
            .send()
            .await
            .is_err()
    );

    // A device enrols from the link the server prints, which carries the CA, and syncs.
    let codes = dir.path().join("codes.json");
    let demo = Command::new(server_binary())
        .args(["--database", database.url()])
        .args([
            "demo",
            "--reports",
            "3",
            "--server-url",
            &format!("https://localhost:{port}"),
        ])
        .args(["--codes", &codes.display().to_string()])
        .env("LAGESBILD_SYNC_LOG", "warn")
        .env("LAGESBILD_SYNC_TLS_CA", dir.path().join("ca.pem"))
        .output()
        .unwrap();
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let codes: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&codes).unwrap()).unwrap();
    let links: Vec<EnrolmentLink> = codes
        .iter()
        .map(|c| EnrolmentLink::parse(c["link"].as_str().unwrap()).unwrap())
        .collect();
    assert!(
        links.iter().all(|l| l.ca.is_some()),
        "every link carries the CA"
    );
    let store = std::sync::Mutex::new(Store::open_in_memory().unwrap());
    let link = &links[1];
    lagesbild_client::enrol(
        &store,
        &link.server,
        &link.code,
        link.ca.as_deref(),
        "telefon",
    )
    .await
    .unwrap();
    let credential = store.lock().unwrap().credential().unwrap().unwrap();
    assert_eq!(
        credential.ca, link.ca,
        "the device keeps the CA for this server"
    );
    let transport = lagesbild_client::credential_transport(&credential).unwrap();
    let workspace = store.lock().unwrap().memberships().unwrap()[0].workspace.id;
    let status = lagesbild_client::sync_once(&store, &transport, workspace)
        .await
        .unwrap();
    assert!(
        matches!(status.connection, Connection::Synced { .. }),
        "{status:?}"
    );
    let held = store
        .lock()
        .unwrap()
        .list(&ListQuery::default())
        .unwrap()
        .len();
    assert!(held >= 3, "the reports came over HTTPS: {held}");

    // The same code through a link without the CA: the device refuses the server, and
    // says why in Swedish.
    let refused = lagesbild_client::enrol(
        &std::sync::Mutex::new(Store::open_in_memory().unwrap()),
        &links[2].server,
        &links[2].code,
        None,
        "telefon",
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(refused.contains("certifikat är inte betrott"), "{refused}");

    // The same in the app: a link without the CA is refused with the Swedish text; the
    // link the server printed enrols the app, which then syncs over HTTPS.
    let display = Display::start();
    let app = App::start(&display, &dir.path().join("app"), &[]).await;
    let printed = codes[3]["link"].as_str().unwrap();
    let without_ca = printed.split("&ca=").next().unwrap();
    assert_ne!(without_ca, printed, "the printed link carries the CA");
    app.paste("[data-testid=code]", without_ca).await;
    app.click("[data-testid=enrol]").await;
    let error = app.wait_for_text(".enrol .error", |t| !t.is_empty()).await;
    assert!(
        error.starts_with("Servern kunde inte styrka att den är den rätta"),
        "{error}"
    );
    app.paste("[data-testid=code]", printed).await;
    app.click("[data-testid=enrol]").await;
    app.wait_for_text("[data-testid=sync-state]", |t| t.starts_with("Synkad"))
        .await;
    app.quit().await;
}

fn plain_http_is_refused_where_other_machines_reach_it_unless_a_proxy_is_in_front(
    backend: Backend,
) {
    let database = Database::new(backend);
    let refused = serve(&database, "0.0.0.0:0", &[]).map(|(_, port)| port);
    let stderr = refused.expect_err("plain HTTP on every address is refused");
    assert!(stderr.contains("refusing to serve plain HTTP"), "{stderr}");

    // Told that a TLS proxy terminates HTTPS in front, it serves.
    let (mut proxied, port) = serve(
        &database,
        "0.0.0.0:0",
        &[("LAGESBILD_SYNC_BEHIND_TLS_PROXY", "true".as_ref())],
    )
    .unwrap();
    let mut answered = false;
    for _ in 0..400 {
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::{Read, Write};
            stream
                .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .unwrap();
            let mut answer = String::new();
            let _ = stream.read_to_string(&mut answer);
            answered = answer.starts_with("HTTP/1.1 200");
            break;
        }
        assert!(proxied.0.try_wait().unwrap().is_none(), "the server exited");
        std::thread::sleep(Duration::from_millis(25));
    }
    assert!(answered, "served behind a TLS proxy");
}

lagesbild_tests::on_both_backends!(
    async the_server_speaks_https_to_devices_that_trust_its_ca_and_to_no_others
);
lagesbild_tests::on_both_backends!(
    blocking plain_http_is_refused_where_other_machines_reach_it_unless_a_proxy_is_in_front
);
