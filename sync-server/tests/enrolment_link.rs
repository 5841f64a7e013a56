//! The administrator's `enroll` command prints a code, the link that carries it with the
//! server's address, and that link as a QR code a device's reader can scan.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

use lagesbild_core::sync::link::EnrolmentLink;

fn admin(db: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lagesbild-sync"))
        .arg("--database")
        .arg(db)
        .args(args)
        .env("LAGESBILD_SYNC_LOG", "warn")
        .output()
        .unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (out.status.success(), text(out.stdout), text(out.stderr))
}

fn first_line(db: &Path, args: &[&str]) -> String {
    let (ok, out, err) = admin(db, args);
    assert!(ok, "{args:?} failed: {err}");
    out.lines().next().unwrap().to_string()
}

/// Reads a QR code drawn in half blocks, light on dark as a terminal shows it, the way
/// a phone's reader sees the screen: each block half is a light module.
fn scan(drawing: &str) -> String {
    const SCALE: usize = 4;
    let rows: Vec<Vec<bool>> = drawing
        .lines()
        .flat_map(|line| {
            let halves: Vec<(bool, bool)> = line
                .chars()
                .map(|c| match c {
                    '█' => (true, true),
                    '▀' => (true, false),
                    '▄' => (false, true),
                    _ => (false, false),
                })
                .collect();
            [
                halves.iter().map(|h| h.0).collect(),
                halves.iter().map(|h| h.1).collect(),
            ]
        })
        .collect();
    let (width, height) = (rows[0].len() * SCALE, rows.len() * SCALE);
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
        let light = rows[y / SCALE].get(x / SCALE).copied().unwrap_or(true);
        if light { 255 } else { 0 }
    });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the drawing");
    grids[0].decode().unwrap().1
}

#[test]
fn enroll_prints_a_link_and_a_qr_code_that_carry_the_code_and_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sync.sqlite3");
    let workspace = first_line(&db, &["create-workspace", "Salem"]);
    let organisation = first_line(
        &db,
        &[
            "add-organisation",
            "--workspace",
            &workspace,
            "--kind",
            "kommun",
            "Fältgruppen",
        ],
    );
    let user = first_line(
        &db,
        &[
            "add-user",
            "--workspace",
            &workspace,
            "--organisation",
            &organisation,
            "--role",
            "fritidsfaltare",
            "Jonas Berg",
        ],
    );

    let (ok, out, err) = admin(
        &db,
        &[
            "enroll",
            "--user",
            &user,
            "--server-url",
            "https://lagesbild.salem.se/",
            "--qr",
        ],
    );
    assert!(ok, "{err}");
    let mut lines = out.lines();
    let code = lines.next().unwrap();
    let link = lines.next().unwrap();
    let expected = EnrolmentLink {
        server: "https://lagesbild.salem.se".into(),
        code: code.into(),
        ca: None,
    };
    assert_eq!(
        EnrolmentLink::parse(link),
        Some(expected),
        "the link carries this code"
    );
    let drawing: Vec<&str> = lines.collect();
    assert_eq!(
        scan(&drawing.join("\n")),
        link,
        "the QR code holds the link"
    );

    // Without the server's address there is no link, and a QR code is refused.
    let (ok, out, _) = admin(&db, &["enroll", "--user", &user]);
    assert!(ok && out.lines().count() == 1, "only the code: {out}");
    let (ok, _, err) = admin(&db, &["enroll", "--user", &user, "--qr"]);
    assert!(!ok && err.contains("--server-url"), "{err}");
    let (ok, _, err) = admin(&db, &["enroll", "--user", &user, "--server-url", "ftp://x"]);
    assert!(!ok && err.contains("http"), "{err}");
}
