//! Each room keeps to itself (ARCHITECTURE.md): the device's store is only the device's
//! store. What the wire, the server and the UI share (records, projections, queries,
//! rules, the SQLite set-up) lives outside `store/`, and nothing that the server uses
//! reaches into it. Read from the sources, so a new import that crosses fails here.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
    found
}

/// Files of `dir` whose code (not comments) names `needle`.
fn naming(dir: &Path, needle: &str) -> Vec<String> {
    sources(dir)
        .into_iter()
        .filter(|path| {
            std::fs::read_to_string(path)
                .unwrap()
                .lines()
                .any(|line| !line.trim_start().starts_with("//") && line.contains(needle))
        })
        .map(|path| path.display().to_string())
        .collect()
}

#[test]
fn the_server_uses_nothing_of_the_device_store() {
    let server = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sync-server/src");
    assert_eq!(naming(&server, "store::"), Vec::<String>::new());
}

#[test]
fn what_the_wire_the_server_and_the_ui_share_does_not_depend_on_the_store() {
    let core = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for shared in [
        "model",
        "sync/wire.rs",
        "validate",
        "permissions.rs",
        "sqlite.rs",
        "shape.rs",
        "codes.rs",
        "audit_detail.rs",
        "doc.rs",
        "effect",
    ] {
        let path = core.join(shared);
        let found = if path.is_dir() {
            naming(&path, "store::")
        } else {
            naming(path.parent().unwrap(), "store::")
                .into_iter()
                .filter(|f| f.ends_with(shared))
                .collect()
        };
        assert_eq!(
            found,
            Vec::<String>::new(),
            "{shared} reaches into the store"
        );
    }
}
