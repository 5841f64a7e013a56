//! Scratch PostgreSQL databases for the tests that run on both backends: one new
//! database per test on the server `LAGESBILD_TEST_POSTGRES` names (the test command
//! starts a throwaway cluster and sets it), dropped when the test ends.
//!
//! The blocking `postgres` client runs its own small runtime: use these from plain
//! `#[test]` functions or blocking threads, not from inside an async runtime.

use std::sync::atomic::{AtomicU32, Ordering};

/// The server to make scratch databases on. Without it, a PostgreSQL test fails and
/// says how to run it, rather than passing without having run.
pub fn server_url() -> String {
    std::env::var("LAGESBILD_TEST_POSTGRES").unwrap_or_else(|_| {
        panic!(
            "LAGESBILD_TEST_POSTGRES is not set: run ./scripts/test (it starts a throwaway \
             PostgreSQL), or set it to a PostgreSQL URL whose user may create databases"
        )
    })
}

/// A database of its own, dropped (with any connections left to it) on drop.
#[derive(Debug)]
pub struct TestDatabase {
    pub url: String,
    pub name: String,
    server: String,
}

impl TestDatabase {
    /// Creates the database. Safe inside an async runtime too: the blocking client runs
    /// on a thread of its own.
    pub fn create() -> TestDatabase {
        std::thread::spawn(TestDatabase::create_here)
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e))
    }

    fn create_here() -> TestDatabase {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let server = server_url();
        let name = format!(
            "lagesbild_test_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            fastrand::u32(..)
        );
        let mut admin = postgres::Client::connect(&server, postgres::NoTls)
            .unwrap_or_else(|e| panic!("cannot reach the test PostgreSQL at {server}: {e}"));
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("the test user may create databases");
        let url = database_url(&name);
        TestDatabase { url, name, server }
    }

    /// A connection of the test's own, for looking under the storage.
    pub fn connect(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).expect("the scratch database")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        // A thread of its own: this may run inside an async runtime.
        let _ = std::thread::spawn(move || {
            if let Ok(mut admin) = postgres::Client::connect(&server, postgres::NoTls) {
                let _ =
                    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        })
        .join();
    }
}

/// A database of the given name on the test server, made anew (for benchmarks, whose
/// prepared data outlives one process); its URL.
pub fn recreate_database(name: &str) -> String {
    let server = server_url();
    let name = name.to_string();
    let url = database_url(&name);
    std::thread::spawn(move || {
        let mut admin = postgres::Client::connect(&server, postgres::NoTls).unwrap();
        // One statement at a time: neither may run inside a transaction.
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .unwrap();
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
    })
    .join()
    .unwrap_or_else(|e| std::panic::resume_unwind(e));
    url
}

/// The URL of the database `name` on the test server.
pub fn database_url(name: &str) -> String {
    match server_url().rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => panic!("LAGESBILD_TEST_POSTGRES must be a URL ending in /database"),
    }
}
