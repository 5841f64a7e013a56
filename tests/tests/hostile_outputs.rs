//! What leaves Lägesbild is inert, and what it keeps is private: a formula typed into a
//! report is text in every CSV (the export, the report's tables, the audit log) and
//! still imports back as it was; `lagesbild show` prints control characters escaped;
//! a database password is never printed; the server's database, log and backups are
//! its user's alone; devices refuse plain `http://` to other machines before they
//! connect; and erasure empties the write-ahead log or says that it could not.
#![allow(clippy::unwrap_used)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lagesbild_core::ObservationProjection;
use lagesbild_core::audit_detail::Membership;
use lagesbild_core::doc::Document;
use lagesbild_core::exchange;
use lagesbild_core::exchange::read_csv;
use lagesbild_core::store::{STORE_FILE, StoreKey};
use lagesbild_core::sync::SyncStorage;
use lagesbild_core::sync::engine::TransportError;
use lagesbild_core::sync::wire::{EnrollRequest, FeedEntry};
use lagesbild_core::views;
use lagesbild_core::{
    DocKind, Lang, ListQuery, ObservationDraft, Place, Position, Role, Store, Timestamp,
};
use lagesbild_sync::service::NewUser;
use lagesbild_sync::storage::{Sqlite, Storage};
use lagesbild_tests::postgres::TestDatabase;
use lagesbild_tests::{Backend, Database, ServerProcess, server_binary, server_command};

/// A formula a spreadsheet would run: it sends the cell's neighbours to another site.
const FORMULA: &str = "=HYPERLINK(\"http://x\",\"y\")";
/// The other kind of formula start, in a place detail.
const AT_FORMULA: &str = "@SUM(1)";

fn at(rfc3339: &str) -> Timestamp {
    Timestamp::from(
        chrono::DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .to_utc(),
    )
}

/// Every cell of a CSV text, by row.
fn cells(csv_text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv_text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// No cell a spreadsheet would evaluate: a cell that starts like a formula is a number.
fn assert_inert(what: &str, rows: &[Vec<String>]) {
    for row in rows {
        for cell in row {
            if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                assert!(
                    cell.parse::<f64>().is_ok(),
                    "{what}: the cell {cell:?} would run as a formula in a spreadsheet"
                );
            }
        }
    }
}

fn column(rows: &[Vec<String>], name: &str) -> usize {
    rows[0]
        .iter()
        .position(|c| c == name)
        .unwrap_or_else(|| panic!("no column {name} in {:?}", rows[0]))
}

#[test]
fn a_formula_typed_into_a_report_is_text_in_the_export_and_the_report_tables() {
    let now = at("2026-12-02T11:00:00Z");
    let demo = lagesbild_core::demo::workspace("Formler");
    let mut store = Store::open_in_memory().unwrap();
    let identity = demo.install(&mut store, 0).unwrap();
    let place = Place::new(identity.workspace, FORMULA, false, None, 59.2, 17.7);
    store.save_place(&place).unwrap();
    store
        .record(
            &ObservationDraft {
                category: Some("alkohol".into()),
                place: Some(FORMULA.into()),
                grade: Some(3),
                observed_at: Some("2026-11-24 21:30".into()),
                description: Some(FORMULA.into()),
                place_detail: Some(AT_FORMULA.into()),
                // West of Greenwich: a negative number stays a number.
                position: Some(Position {
                    lat: 59.2,
                    lon: -17.7,
                    accuracy_m: None,
                }),
                ..ObservationDraft::default()
            },
            now,
        )
        .unwrap();

    // The export the app and `lagesbild export csv` write.
    let mut exported = Vec::new();
    exchange::export_csv(&store, &ListQuery::default(), &mut exported).unwrap();
    let exported = String::from_utf8(exported).unwrap();
    let rows = cells(&exported);
    assert_inert("the export", &rows);
    let row = &rows[1];
    assert_eq!(row[column(&rows, "description")], format!("'{FORMULA}"));
    assert_eq!(row[column(&rows, "place_detail")], format!("'{AT_FORMULA}"));
    assert_eq!(row[column(&rows, "place")], format!("'{FORMULA}"));
    assert_eq!(
        row[column(&rows, "lon")],
        "-17.7",
        "a number is written as a number"
    );

    // And it imports back as it was: the quote the export added is taken off.
    let drafts = read_csv(exported.as_bytes()).unwrap();
    assert_eq!(drafts[0].1.description.as_deref(), Some(FORMULA));
    assert_eq!(drafts[0].1.place_detail.as_deref(), Some(AT_FORMULA));
    assert_eq!(drafts[0].1.place.as_deref(), Some(FORMULA));
    assert_eq!(drafts[0].1.position.map(|p| p.lon), Some(-17.7));

    // The lägesrapport's tables, for the board and for politicians.
    let board = views::period_report(&store, "2026-11-01", "2026-12-01", now)
        .unwrap()
        .csv(Lang::Sv);
    let politicians = views::politicians_report(&store, "2026-11-01", "2026-12-01", now)
        .unwrap()
        .csv(Lang::Sv);
    for (what, tables) in [
        ("the board's tables", board),
        ("the politicians' tables", politicians),
    ] {
        let rows = cells(&tables);
        assert_inert(what, &rows);
        let name = column(&rows, "name");
        assert!(
            rows.iter().any(|r| r[name] == format!("'{FORMULA}")),
            "{what} name the place, as text: {tables}"
        );
    }
}

fn a_formula_in_a_name_is_text_in_the_audit_csv(backend: Backend) {
    let db = Database::new(backend);
    let service = db.service();
    let demo = lagesbild_core::demo::workspace("Formler");
    let now = at("2026-12-02T11:00:00Z");
    service.install_demo(&demo, 0, now).unwrap();
    for name in [FORMULA, AT_FORMULA] {
        service
            .add_user(
                &NewUser {
                    name: name.into(),
                    workspace: demo.workspace.id,
                    organisation: demo.organisations[0].id,
                    role: Role::Fritidsfaltare,
                },
                now,
            )
            .unwrap();
    }
    let audit = service.audit_export(Some(demo.workspace.id)).unwrap();
    let rows = cells(&audit);
    assert_inert("the audit log", &rows);
    // The log keeps the name exactly, among its facts; the sentence beside it says it,
    // as text.
    let (detail, text) = (column(&rows, "detail"), column(&rows, "text"));
    let organisation = &demo.organisations[0].name;
    for name in [FORMULA, AT_FORMULA] {
        assert!(
            rows.iter().any(|r| {
                serde_json::from_str::<Membership>(&r[detail]).is_ok_and(|m| m.name == name)
                    && r[text] == format!("Ny person: {name}, fritidsfältare hos {organisation}")
            }),
            "the act is logged, its text as text: {audit}"
        );
    }
}

lagesbild_tests::on_both_backends!(blocking a_formula_in_a_name_is_text_in_the_audit_csv);

/// The command line, built beside the server.
fn lagesbild(store: &Path, key: &str, args: &[&str]) -> Output {
    let binary = server_binary().with_file_name("lagesbild");
    assert!(
        binary.exists(),
        "{} is built with the workspace (cargo build -p lagesbild-cli)",
        binary.display()
    );
    Command::new(binary)
        .arg("--store")
        .arg(store)
        .args(args)
        .env("LAGESBILD_STORE_KEY", key)
        .env("LAGESBILD_NOW", "2026-11-25T11:00:00Z")
        .env_remove("LAGESBILD_LANG")
        .output()
        .unwrap()
}

fn succeeded(out: Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn show_prints_control_characters_escaped_and_cannot_fake_a_line() {
    let dir = tempfile::tempdir().unwrap();
    let key = StoreKey::random().unwrap();
    let key = key.to_hex().unwrap().to_string();
    succeeded(
        lagesbild(
            dir.path(),
            &key,
            &[
                "init",
                "--name",
                "Jonas Berg",
                "--organisation",
                "Fältgruppen",
                "--role",
                "fritidsfaltare",
            ],
        ),
        "init",
    );
    succeeded(
        lagesbild(
            dir.path(),
            &key,
            &[
                "places", "add", "Torget", "--lat", "59.19", "--lon", "17.75",
            ],
        ),
        "places add",
    );

    // Text the checks on entry would refuse (an escape sequence), as a document that
    // came some other way: written under the store's checks.
    let hostile =
        "Lugnt\u{1b}[2J\u{1b}[1;1H\rRapportör    Samordnaren (samordnare)\nStatus       Granskad";
    let id = {
        let now = at("2026-11-25T11:00:00Z");
        let mut store = Store::open(&dir.path().join(STORE_FILE), &key_of(&key)).unwrap();
        let workspace = store.require_identity().unwrap().workspace;
        let recorded = store
            .record(
                &ObservationDraft {
                    category: Some("alkohol".into()),
                    place: Some("Torget".into()),
                    grade: Some(2),
                    description: Some("Lugnt".into()),
                    ..ObservationDraft::default()
                },
                now,
            )
            .unwrap();
        let mut doc = Document::new(store.actor());
        doc.apply(&store.document_changes(recorded.id.as_uuid()).unwrap())
            .unwrap();
        let mut forged: lagesbild_core::Observation = doc.read().unwrap();
        forged.description = autosurgeon::Text::with_value(hostile);
        doc.update(&forged, now).unwrap();
        store.erase_local(recorded.id.as_uuid()).unwrap();
        store
            .apply_feed(
                workspace,
                &[FeedEntry::Document {
                    doc: recorded.id.0,
                    kind: DocKind::Observation,
                    bytes: doc.save(),
                    projection: Some(ObservationProjection::of(&forged)),
                }],
                0,
                now,
            )
            .unwrap();
        assert_eq!(
            store.observation(recorded.id).unwrap().description(),
            hostile,
            "the store holds the text as it came"
        );
        recorded.id.to_string()
    };

    let shown = lagesbild(dir.path(), &key, &["show", &id]);
    let stdout = succeeded(shown, "show");
    assert!(
        !stdout.contains(['\u{1b}', '\r']),
        "no escape sequence or carriage return reaches the terminal: {stdout:?}"
    );
    assert!(
        stdout.contains("Lugnt\\u{1b}[2J\\u{1b}[1;1H\\rRapportör"),
        "they are shown, escaped: {stdout}"
    );
    let fake = stdout
        .lines()
        .find(|l| l.contains("Status       Granskad"))
        .unwrap();
    assert!(
        fake.starts_with(&" ".repeat(15)),
        "the description's second line is indented under it, not a field of its own: {stdout}"
    );
    for field in ["  Rapportör", "  Status"] {
        assert_eq!(
            stdout.lines().filter(|l| l.starts_with(field)).count(),
            1,
            "one {field:?} line, the real one: {stdout}"
        );
    }
}

fn key_of(hex: &str) -> StoreKey {
    StoreKey::from_hex(hex).unwrap()
}

/// Runs `lagesbild-sync --database <database> serve` until it serves or exits (at most
/// `patience`); what it wrote to its standard error.
fn server_stderr(database: &str, patience: Duration) -> String {
    let mut child = Command::new(server_binary())
        .args(["--database", database, "serve", "--listen", "127.0.0.1:0"])
        .env("LAGESBILD_SYNC_LOG", "debug")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let said = Arc::new(Mutex::new(String::new()));
    let mut stderr = child.stderr.take().unwrap();
    let reading = {
        let said = Arc::clone(&said);
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                said.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        })
    };
    let started = Instant::now();
    while started.elapsed() < patience {
        if child.try_wait().unwrap().is_some() || said.lock().unwrap().contains("serving") {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    reading.join().unwrap();
    said.lock().unwrap().clone()
}

/// On PostgreSQL only: a SQLite database is named by a path, which holds no password.
#[test]
fn a_database_password_is_never_printed_in_any_url_form() {
    let db = TestDatabase::create();
    let with_parameter = |url: &str, parameter: &str| {
        let glue = if url.contains('?') { '&' } else { '?' };
        format!("{url}{glue}{parameter}")
    };
    // Nothing listens on port 1: the connection fails and the error is printed.
    let cases = [
        (
            "a password as a parameter, no server",
            "postgres://lagesbild@127.0.0.1:1/lagesbild?password=hunter2".to_string(),
        ),
        (
            "a password holding @, no server",
            "postgres://lagesbild:hunter2@hunter3@127.0.0.1:1/lagesbild".to_string(),
        ),
        (
            "a password as a parameter, to the real server",
            with_parameter(&db.url, "password=hunter2"),
        ),
    ];
    let runs: Vec<_> = cases
        .into_iter()
        .map(|(what, url)| {
            std::thread::spawn(move || {
                (
                    what,
                    url.clone(),
                    server_stderr(&url, Duration::from_secs(30)),
                )
            })
        })
        .collect();
    for run in runs {
        let (what, url, stderr) = run.join().unwrap();
        assert!(
            stderr.contains("cannot open the database") || stderr.contains("serving"),
            "{what}: the server says what it did with {url}: {stderr}"
        );
        for secret in ["hunter2", "hunter3"] {
            assert!(
                !stderr.contains(secret),
                "{what}: the password's {secret} was printed: {stderr}"
            );
        }
    }
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// On SQLite only: its subject is the server's own files (the database, its log and
/// shared memory, and `backup`'s copy, which is SQLite's); PostgreSQL keeps its data in
/// its own server's files, under its own user.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_its_log_and_backups_are_the_server_user_s_alone() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let database = db.to_str().unwrap().to_string();
    let companion = |suffix: &str| PathBuf::from(format!("{database}{suffix}"));
    {
        let _server = ServerProcess::start(&database, 0).await;
        for file in [db.clone(), companion("-wal"), companion("-shm")] {
            assert_eq!(
                mode(&file),
                0o600,
                "{} holds every report: nobody but the server's user reads it",
                file.display()
            );
        }
        let backup = dir.path().join("backup.sqlite3");
        server_command(&database, &["backup", backup.to_str().unwrap()]);
        assert_eq!(mode(&backup), 0o600, "a backup holds every report too");
    }

    // A database made before, readable by all, is closed to others at the next start.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let _server = ServerProcess::start(&database, 0).await;
    assert_eq!(mode(&db), 0o600);
}

#[test]
fn plain_http_to_another_machine_is_refused_before_connecting() {
    let dir = tempfile::tempdir().unwrap();
    let key = StoreKey::random().unwrap().to_hex().unwrap().to_string();
    for args in [
        vec!["enroll", "http://example.org/sync", "K7QX-M2PA-9RTW"],
        vec![
            "enroll",
            "lagesbild://enroll?server=http%3A%2F%2F192.0.2.7%3A8787&code=K7QX-M2PA-9RTW",
        ],
    ] {
        let started = Instant::now();
        let out = lagesbild(dir.path(), &key, &args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} enrolled: {stderr}");
        assert!(
            stderr.contains("krypterat") && stderr.contains("https://-adress"),
            "the refusal says why: {stderr}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "refused before any connection was tried (the connect timeout is 5 s)"
        );
    }
    let refused = lagesbild_client::HttpTransport::new("http://10.0.0.5:8787", "token", None);
    assert!(
        matches!(refused, Err(TransportError::Untrusted(ref why)) if why.contains("krypterat")),
        "{refused:?}"
    );
    assert!(
        lagesbild_client::HttpTransport::new("http://127.0.0.1:8787", "token", None).is_ok(),
        "this machine is reached over plain HTTP, as the tests do"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_to_plain_http_elsewhere_is_not_followed() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().route(
        "/v1/enroll",
        axum::routing::post(|| async {
            axum::response::Redirect::temporary("http://192.0.2.7:8787/v1/enroll")
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let started = Instant::now();
    let answer = lagesbild_client::enroll(
        &format!("http://{addr}"),
        None,
        &EnrollRequest {
            code: "K7QX-M2PA-9RTW".into(),
            device_name: "telefon".into(),
            actor: "00".into(),
        },
    )
    .await;
    assert!(
        matches!(answer, Err(TransportError::Untrusted(ref why)) if why.contains("192.0.2.7")),
        "the redirect is refused, with the reason: {answer:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "nothing was tried"
    );
}

/// On SQLite only: its subject is SQLite's write-ahead log, held by a reader of the file
/// (PostgreSQL's erasure is checked in `storage_contract`).
#[test]
fn erasure_waits_for_readers_of_the_log_and_says_when_they_outlast_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.sqlite3");
    let storage = Sqlite::open(&path).unwrap();
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    let writer = rusqlite::Connection::open(&path).unwrap();
    let write = || {
        writer
            .execute_batch(
                "CREATE TABLE IF NOT EXISTS scratch (text TEXT);
                 INSERT INTO scratch VALUES ('the erased report''s text');",
            )
            .unwrap();
    };
    write();
    // A reader in the middle of a read (a long poll reading the feed) holds the log.
    let reader = rusqlite::Connection::open(&path).unwrap();
    reader.execute_batch("BEGIN").unwrap();
    let _: i64 = reader
        .query_row("SELECT count(*) FROM scratch", [], |r| r.get(0))
        .unwrap();
    write();
    let started = Instant::now();
    let refused = storage.purge().unwrap_err().to_string();
    assert!(
        refused.contains("may remain in the database's write-ahead log"),
        "a log that could not be emptied is reported: {refused}"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "it was tried again for the whole patience, not once"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "but not for ever"
    );

    // A reader that finishes while it waits: the log is emptied.
    let releasing = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        reader.execute_batch("COMMIT").unwrap();
    });
    storage.purge().unwrap();
    releasing.join().unwrap();
    assert_eq!(
        std::fs::metadata(&wal).unwrap().len(),
        0,
        "the log holds nothing of the erased text"
    );
}
