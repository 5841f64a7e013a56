//! The Debian packages (`./scripts/package`; the test command makes them from the debug
//! builds): both install on this machine, the server's package makes its user, its
//! configuration in /etc/lagesbild and its data directory; the service runs and answers
//! /health; the installed app enrols against it under Xvfb and syncs; both packages are
//! removed again, leaving the data.
//!
//! `systemd-analyze verify` checks the unit, always (the test command installs it). This
//! machine has no running systemd (tests run in a container): where it has none, the test
//! starts the service the way its unit says, as the unit's user, with its command line
//! and working directory.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use lagesbild_tests::app::{App, Display, free_port};

const UNIT: &str = "/lib/systemd/system/lagesbild-sync.service";
const CONFIG: &str = "/etc/lagesbild/sync.toml";

fn packages() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/packages");
    let found: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| {
            d.map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "deb"))
                .collect()
        })
        .unwrap_or_default();
    assert!(
        found
            .iter()
            .any(|p| p.to_string_lossy().contains("lagesbild-app_"))
            && found
                .iter()
                .any(|p| p.to_string_lossy().contains("lagesbild-sync_")),
        "no packages in {}: run ./scripts/package --debug (the test command does)",
        dir.display()
    );
    found
}

fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{program} {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The service started by hand where systemd does not run: asked to stop (TERM, which
/// runuser passes on) when the test ends, also when it fails half way, so no server
/// outlives the test.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = Command::new("kill")
                .args(["-TERM", &self.0.id().to_string()])
                .status();
            let _ = self.0.wait();
        }
    }
}

/// Purges both packages when the test ends, also when it fails half way.
struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        let _ = Command::new("dpkg")
            .args(["--purge", "lagesbild-app", "lagesbild-sync"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// The value of `key=` in the unit's [Service] section.
fn unit_value(unit: &str, key: &str) -> String {
    unit.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("the unit sets {key}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_packages_install_run_and_remove() {
    let debs = packages();
    let mut install = vec!["-i"];
    install.extend(debs.iter().map(|p| p.to_str().unwrap()));
    let installed = Installed;
    run("dpkg", &install);

    // What the server's package set up.
    let user = run("getent", &["passwd", "lagesbild"]);
    assert!(user.trim_end().ends_with(":/usr/sbin/nologin"), "{user}");
    assert!(user.contains(":/var/lib/lagesbild:"), "{user}");
    assert_eq!(
        run("stat", &["-c", "%U:%G %a", "/var/lib/lagesbild"]).trim(),
        "lagesbild:lagesbild 750"
    );
    assert_eq!(
        run("stat", &["-c", "%U:%G %a", CONFIG]).trim(),
        "root:lagesbild 640",
        "the configuration may hold a database password: only the service reads it"
    );
    let unit = std::fs::read_to_string(UNIT).unwrap();
    assert_eq!(unit_value(&unit, "User"), "lagesbild");
    assert!(Path::new("/usr/bin/lagesbild-app").exists());
    // Shipped without debug info, which is kept beside the packages and named by the
    // binary (`.gnu_debuglink`).
    for binary in ["/usr/bin/lagesbild-app", "/usr/bin/lagesbild-sync"] {
        let sections = run("readelf", &["-S", "-W", binary]);
        assert!(
            !sections.contains(".debug_info") && sections.contains(".gnu_debuglink"),
            "{binary} ships its debug info: {sections}"
        );
        let name = Path::new(binary).file_name().unwrap().to_str().unwrap();
        let kept = debs[0]
            .parent()
            .unwrap()
            .join("debug")
            .join(format!("{name}.debug"));
        let kept_sections = run("readelf", &["-S", "-W", kept.to_str().unwrap()]);
        assert!(
            kept_sections.contains(".debug_"),
            "{}: {kept_sections}",
            kept.display()
        );
    }
    assert!(
        run("dpkg-query", &["-L", "lagesbild-app"]).contains(".desktop"),
        "the app has a menu entry"
    );
    // The unit as systemd reads it, with no error and no warning (an unknown key is only
    // warned of: the command still succeeds).
    let verify = Command::new("systemd-analyze")
        .args(["verify", UNIT])
        .output()
        .expect("systemd-analyze runs (scripts/test installs Debian's systemd package)");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(
        verify.status.success() && said.trim().is_empty(),
        "systemd-analyze verify {UNIT}: {said}"
    );

    // The operator's steps: a port of this test's own, a workspace, then the service.
    let port = free_port();
    let config = std::fs::read_to_string(CONFIG).unwrap().replace(
        "listen = \"127.0.0.1:8787\"",
        &format!("listen = \"127.0.0.1:{port}\""),
    );
    std::fs::write(CONFIG, config).unwrap();
    let codes = "/var/lib/lagesbild/codes.json";
    run(
        "runuser",
        &[
            "-u",
            "lagesbild",
            "--",
            "/usr/bin/lagesbild-sync",
            "--config",
            CONFIG,
            "demo",
            "--reports",
            "5",
            "--codes",
            codes,
            "--server-url",
            &format!("http://127.0.0.1:{port}"),
        ],
    );
    let systemd = Path::new("/run/systemd/system").exists();
    let mut service = None;
    if systemd {
        run("systemctl", &["restart", "lagesbild-sync"]);
    } else {
        let exec = unit_value(&unit, "ExecStart");
        let mut words = exec.split_whitespace();
        let program = words.next().unwrap();
        service = Some(Running(
            Command::new("runuser")
                .args(["-u", &unit_value(&unit, "User"), "--", program])
                .args(words)
                .current_dir(unit_value(&unit, "WorkingDirectory"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        ));
    }
    let url = format!("http://127.0.0.1:{port}");
    let mut healthy = false;
    for _ in 0..200 {
        if let Ok(r) = reqwest::get(format!("{url}/health")).await {
            assert_eq!(r.status(), 200);
            healthy = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(healthy, "the installed service answers /health");
    assert_eq!(
        run("stat", &["-c", "%U", "/var/lib/lagesbild/sync.sqlite3"]).trim(),
        "lagesbild",
        "its data is the service user's"
    );

    // The installed app, enrolled against the installed server.
    let codes: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(codes).unwrap()).unwrap();
    let display = Display::start();
    let dir = tempfile::tempdir().unwrap();
    let app = App::start_binary(
        &display,
        Path::new("/usr/bin/lagesbild-app"),
        &dir.path().join("app"),
        &[
            ("LAGESBILD_SERVER", url.clone()),
            (
                "LAGESBILD_ENROLMENT_CODE",
                codes[0]["code"].as_str().unwrap().to_string(),
            ),
        ],
    )
    .await;
    app.wait_for_text("[data-testid=sync-state]", |t| t.starts_with("Synkad"))
        .await;
    app.quit().await;

    if systemd {
        run("systemctl", &["stop", "lagesbild-sync"]);
    } else if let Some(Running(child)) = &mut service {
        // runuser passes the signal on to the server, which shuts down cleanly.
        run("kill", &["-TERM", &child.id().to_string()]);
        child.wait().unwrap();
    }

    drop(installed);
    for gone in [
        "/usr/bin/lagesbild-app",
        "/usr/bin/lagesbild-sync",
        UNIT,
        CONFIG,
    ] {
        assert!(!Path::new(gone).exists(), "{gone} is removed");
    }
    assert!(
        Path::new("/var/lib/lagesbild/sync.sqlite3").exists(),
        "the municipality's data is kept"
    );
    std::fs::remove_dir_all("/var/lib/lagesbild").unwrap();
}
