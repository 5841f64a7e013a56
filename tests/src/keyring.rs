//! A key store of the test's own: a session bus and a GNOME keyring on it, in a
//! temporary directory, that the test may lock and unlock without touching the key store
//! every other test shares (`scripts/lib.sh`, `ensure_keyring`).

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The password of the keyring: it protects only this throwaway keyring.
const PASSWORD: &str = "lagesbild-test";

#[derive(Debug)]
pub struct PrivateKeyring {
    dir: tempfile::TempDir,
    bus: Child,
    keyring: Option<Child>,
    /// `DBUS_SESSION_BUS_ADDRESS` for whatever should use it.
    pub address: String,
}

impl PrivateKeyring {
    /// A bus and an unlocked keyring on it.
    pub fn start() -> PrivateKeyring {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let address = format!("unix:path={}", dir.path().join("bus").display());
        let bus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", &format!("--address={address}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon is installed (scripts/test installs it)");
        let mut keyring = PrivateKeyring {
            dir,
            bus,
            keyring: None,
            address,
        };
        keyring.start_daemon();
        keyring
    }

    /// The keyring daemon, unlocked with its password as at login.
    fn start_daemon(&mut self) {
        let mut child = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .env("XDG_DATA_HOME", self.dir.path())
            .env("XDG_RUNTIME_DIR", self.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gnome-keyring is installed (scripts/test installs it)");
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(PASSWORD.as_bytes());
        }
        self.keyring = Some(child);
        let start = Instant::now();
        while !self.owned("org.freedesktop.secrets") {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "the private keyring did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn owned(&self, name: &str) -> bool {
        Command::new("dbus-send")
            .args([
                &format!("--bus={}", self.address),
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/",
                "org.freedesktop.DBus.NameHasOwner",
                &format!("string:{name}"),
            ])
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("boolean true"))
    }

    /// Locks the login keyring, as a screen lock or a timeout does.
    pub fn lock(&self) {
        let locked = Command::new("gdbus")
            .args([
                "call",
                "--address",
                &self.address,
                "--dest",
                "org.freedesktop.secrets",
                "--object-path",
                "/org/freedesktop/secrets",
                "--method",
                "org.freedesktop.Secret.Service.Lock",
                "['/org/freedesktop/secrets/collection/login']",
            ])
            .output()
            .expect("gdbus is installed (with GLib)");
        assert!(
            locked.status.success(),
            "lock the keyring: {}",
            String::from_utf8_lossy(&locked.stderr)
        );
    }

    /// Unlocks it again, as logging in does: the daemon started anew with the password.
    pub fn unlock(&mut self) {
        self.stop_daemon();
        self.start_daemon();
    }

    fn stop_daemon(&mut self) {
        if let Some(mut child) = self.keyring.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let start = Instant::now();
        while self.owned("org.freedesktop.secrets") && start.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for PrivateKeyring {
    fn drop(&mut self) {
        self.stop_daemon();
        let _ = self.bus.kill();
        let _ = self.bus.wait();
    }
}
