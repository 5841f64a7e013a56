//! The modules of each part depend on one another in one direction only
//! (ARCHITECTURE.md, "Rooms"): a module graph with a cycle fails here, and so does an
//! edge a room must not have (the server's storage knows nothing of the service that
//! uses it). Read from the sources: `crate::x` and `super::x` paths, and names the
//! crate root re-exports.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
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

/// The top-level module a file belongs to (`storage` for `storage/sqlite.rs`), or none
/// for the crate root and binaries' mains.
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).unwrap();
    let first = relative
        .components()
        .next()?
        .as_os_str()
        .to_str()?
        .to_string();
    let name = first.trim_end_matches(".rs").to_string();
    (name != "lib" && name != "main").then_some(name)
}

/// The code of a file, without comments and without its `#[cfg(test)]` module: a test
/// may use what it tests from above.
fn code(text: &str) -> String {
    let before_tests = text.split("#[cfg(test)]").next().unwrap_or(text);
    before_tests
        .lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Which module each name the crate root re-exports comes from (`Service` → `service`).
fn reexports(src: &Path) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    let Ok(lib) = std::fs::read_to_string(src.join("lib.rs")) else {
        return names;
    };
    for line in code(&lib).lines() {
        let Some(rest) = line.trim().strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, items)) = rest.split_once("::") else {
            continue;
        };
        for item in items
            .trim_end_matches(';')
            .trim_matches(|c| c == '{' || c == '}')
            .split(',')
        {
            let item = item.trim().rsplit("::").next().unwrap_or("").to_string();
            if !item.is_empty() {
                names.insert(item, module.to_string());
            }
        }
    }
    names
}

/// Edges `from → to` between a crate's top-level modules.
fn graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let exported = reexports(src);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in sources(src) {
        let Some(from) = module_of(src, &file) else {
            continue;
        };
        let nested = file.strip_prefix(src).unwrap().components().count() > 1;
        let text = code(&std::fs::read_to_string(&file).unwrap());
        let mut targets = BTreeSet::new();
        for (at, _) in text.match_indices("crate::") {
            let name: String = text[at + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            targets.insert(exported.get(&name).cloned().unwrap_or(name));
        }
        // `super::x` from a top-level module's file names a sibling module; from a
        // nested file it names its own module.
        if !nested {
            for (at, _) in text.match_indices("super::") {
                let name: String = text[at + "super::".len()..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                targets.insert(name);
            }
        }
        let modules: BTreeSet<String> = sources(src)
            .iter()
            .filter_map(|f| module_of(src, f))
            .collect();
        for to in targets {
            if to != from && modules.contains(&to) {
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    edges
}

/// A cycle in the graph, as the modules around it, if there is one.
fn cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut found = path[start..].to_vec();
            found.push(node.to_string());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, edges, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|node| visit(node, edges, &mut Vec::new(), &mut done))
}

fn crate_src(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(name)
        .join("src")
}

#[test]
fn the_server_client_and_command_line_have_no_module_cycles() {
    for part in ["sync-server", "client", "cli"] {
        let edges = graph(&crate_src(part));
        assert_eq!(cycle(&edges), None, "{part}: {edges:?}");
    }
}

#[test]
fn the_servers_storage_knows_nothing_above_it() {
    let edges = graph(&crate_src("sync-server"));
    let storage = edges.get("storage").cloned().unwrap_or_default();
    assert_eq!(
        storage,
        BTreeSet::new(),
        "the server's storage uses {storage:?}"
    );
    let service = edges.get("service").cloned().unwrap_or_default();
    assert!(
        !service.contains("http") && !service.contains("backup"),
        "the service uses {service:?}"
    );
}

/// The check itself: a cycle made on purpose is found, and so is a storage that
/// reaches up.
#[test]
fn a_cycle_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir(src.join("storage")).unwrap();
    std::fs::write(src.join("lib.rs"), "pub use service::Service;\n").unwrap();
    std::fs::write(src.join("storage.rs"), "mod sqlite;\n").unwrap();
    std::fs::write(
        src.join("storage/sqlite.rs"),
        "use crate::Service; // a comment naming crate::http\n",
    )
    .unwrap();
    std::fs::write(src.join("service.rs"), "use super::storage::Tx;\n").unwrap();
    let edges = graph(src);
    assert_eq!(
        edges.get("storage"),
        Some(&BTreeSet::from(["service".to_string()]))
    );
    assert_eq!(
        cycle(&edges),
        Some(vec![
            "service".to_string(),
            "storage".to_string(),
            "service".to_string()
        ])
    );
}
