//! The real app binary under Xvfb, driven through tauri-driver and WebKitWebDriver.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// A virtual display, large enough for the tablet size (820×1180).
#[derive(Debug)]
pub struct Display {
    child: Child,
    pub name: String,
}

impl Display {
    pub fn start() -> Display {
        // Xvfb picks a free display itself and says which once it is ready
        // (`-displayfd`). Choosing one here raced: two tests starting at once walked past
        // the same locks that killed servers leave in /tmp, onto the same free number,
        // and the second test's app ran on the first test's server — and died with it.
        let mut child = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1400x1200x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb is installed (scripts/test installs it)");
        let mut line = String::new();
        let said = child
            .stdout
            .take()
            .map(|out| std::io::BufRead::read_line(&mut std::io::BufReader::new(out), &mut line));
        let number: u32 = line.trim().parse().unwrap_or_else(|_| {
            panic!("Xvfb did not start: it said {line:?} ({said:?})");
        });
        Display {
            child,
            name: format!(":{number}"),
        }
    }
}

impl Drop for Display {
    /// Ends Xvfb as asked (SIGTERM), so that it removes its lock and socket.
    fn drop(&mut self) {
        let ended = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        if !ended {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// The app binary, built beside the tests.
pub fn app_binary() -> PathBuf {
    let deps = std::env::current_exe().expect("the test binary has a path");
    let debug = deps
        .parent()
        .and_then(Path::parent)
        .expect("target/debug/deps/<test>");
    let app = debug.join("lagesbild-app");
    assert!(
        app.exists(),
        "{} is built with the workspace (cargo build -p lagesbild-app)",
        app.display()
    );
    app
}

/// One running app with its driver.
pub struct App {
    driver: Child,
    pub client: Client,
    /// The app's data directory: its store and the web view's files.
    pub data: PathBuf,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").finish_non_exhaustive()
    }
}

/// A loopback port free at the moment of asking.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(4444)
}

/// The environment that enrols an app with `code` on `server` when it starts.
pub fn enrolment(server: &crate::TestServer, code: &str) -> Vec<(&'static str, String)> {
    vec![
        ("LAGESBILD_SERVER", server.url()),
        ("LAGESBILD_ENROLMENT_CODE", code.to_string()),
    ]
}

/// A person of the demo workspace (`lagesbild_core::demo`), in the order of its people:
/// whose enrolment code an app is started with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Person {
    /// Samira Lind, the municipality's security coordinator, who sees every screen.
    Coordinator,
    /// Jonas Berg, a field worker (fritidsfältare) of the field group.
    FieldWorker,
    /// Elin Holm, a field worker of social services.
    SocialWorker,
    /// The community police officer.
    Police,
    /// Lisa Ek, a guard of Centrumvakterna AB.
    Guard,
    /// Omar Said, a guard of Kommunvakt Syd AB.
    OtherGuard,
    /// Per Nilsson, a night walker.
    NightWalker,
}

impl Person {
    /// The person's role, as the demo gives it.
    pub fn role(self) -> lagesbild_core::Role {
        use lagesbild_core::Role;
        match self {
            Person::Coordinator => Role::Samordnare,
            Person::FieldWorker => Role::Fritidsfaltare,
            Person::SocialWorker => Role::Socialfaltare,
            Person::Police => Role::Polis,
            Person::Guard | Person::OtherGuard => Role::Vaktare,
            Person::NightWalker => Role::Nattvandrare,
        }
    }

    /// The name of an app's data directory when the test names none.
    fn directory(self) -> &'static str {
        match self {
            Person::Coordinator => "coordinator",
            Person::FieldWorker => "field-worker",
            Person::SocialWorker => "social-worker",
            Person::Police => "police",
            Person::Guard => "guard",
            Person::OtherGuard => "other-guard",
            Person::NightWalker => "night-walker",
        }
    }
}

/// What an app test stands on: a virtual display, and a sync server (over a file in a
/// temporary directory) holding a demo workspace, with an enrolment code for each of its
/// people. Apps are opened with `app` (enrolled) or `new_app`.
#[derive(Debug)]
pub struct Demo {
    pub display: Display,
    pub server: crate::TestServer,
    pub workspace: lagesbild_core::demo::DemoWorkspace,
    codes: Vec<String>,
    /// The server's database and the apps' data directories; removed last.
    pub dir: tempfile::TempDir,
}

impl Demo {
    /// The demo workspace `name` with `reports` reports over the last six weeks.
    pub async fn start(name: &str, reports: usize) -> Demo {
        Demo::starting(name, reports, false).await
    }

    /// The same with six months of the demo's promises and activities, as
    /// `./scripts/run` shows them.
    pub async fn start_with_efforts(name: &str, reports: usize) -> Demo {
        Demo::starting(name, reports, true).await
    }

    async fn starting(name: &str, reports: usize, efforts: bool) -> Demo {
        let display = Display::start();
        let dir = tempfile::tempdir().expect("a temporary directory");
        let server = crate::TestServer::start(&dir.path().join("server.sqlite3")).await;
        let workspace = lagesbild_core::demo::workspace(name);
        let codes = if efforts {
            server.install_demo_with_efforts(&workspace, reports)
        } else {
            server.install_demo(&workspace, reports)
        };
        Demo {
            display,
            server,
            workspace,
            codes,
            dir,
        }
    }

    /// `person`'s one-time enrolment code.
    pub fn code(&self, person: Person) -> &str {
        let index = person as usize;
        let demo = &self.workspace.people[index];
        assert_eq!(
            demo.role,
            person.role(),
            "the demo's person {index} ({}) is not the {person:?}",
            demo.name
        );
        &self.codes[index]
    }

    /// `name` in the test's temporary directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// An app enrolled as `person` when it starts; `EnrolledApp::open` starts it.
    pub fn app(&self, person: Person) -> EnrolledApp<'_> {
        EnrolledApp {
            demo: self,
            person,
            data: person.directory().to_string(),
            env: Vec::new(),
            size: None,
            theme: None,
            wait_for_sync: true,
        }
    }

    /// An app that was never enrolled, as on a new phone: it shows the enrolment form.
    pub async fn new_app(&self, data: &str) -> App {
        App::start(&self.display, &self.path(data), &[]).await
    }
}

/// An app of a demo person's, enrolled by the code it starts with (`Demo::app`), with
/// its options; `open` starts it.
#[derive(Debug)]
#[must_use = "an app is started by `open`"]
pub struct EnrolledApp<'a> {
    demo: &'a Demo,
    person: Person,
    data: String,
    env: Vec<(&'static str, String)>,
    size: Option<(u32, u32)>,
    theme: Option<&'static str>,
    wait_for_sync: bool,
}

impl EnrolledApp<'_> {
    /// The app's data directory, in the test's temporary directory (by default named for
    /// the person): the same name again is the same device started again.
    pub fn data(mut self, name: &str) -> Self {
        self.data = name.to_string();
        self
    }

    /// One more variable in the app's environment (`LAGESBILD_EXPORT_DIR`, say).
    pub fn env(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.env.push((key, value.into()));
        self
    }

    /// The window's size, width by height, once the app is open.
    pub fn size(mut self, size: (u32, u32)) -> Self {
        self.size = Some(size);
        self
    }

    /// The theme, "light" or "dark", switched to with the app's own button once it is open.
    pub fn theme(mut self, theme: &'static str) -> Self {
        self.theme = Some(theme);
        self
    }

    /// `open` returns once the app has started, without waiting for its first sync: the
    /// server is down, or the app asks for a passphrase first.
    pub fn no_wait_for_sync(mut self) -> Self {
        self.wait_for_sync = false;
        self
    }

    /// Starts the app; returns once it has enrolled and synced (its status says
    /// "Synkad"), unless told not to wait, and has its size and theme.
    pub async fn open(self) -> App {
        let demo = self.demo;
        let mut env = enrolment(&demo.server, demo.code(self.person));
        env.extend(self.env);
        let app = App::start(&demo.display, &demo.path(&self.data), &env).await;
        if self.wait_for_sync {
            app.wait_for_text("[data-testid=sync-state]", |t| t.starts_with("Synkad"))
                .await;
        }
        if let Some((width, height)) = self.size {
            app.resize(width, height).await;
        }
        if let Some(theme) = self.theme {
            app.set_theme(theme).await;
        }
        app
    }
}

impl App {
    /// Starts the app with its store in `data` and the given environment.
    pub async fn start(display: &Display, data: &Path, env: &[(&str, String)]) -> App {
        App::start_binary(display, &app_binary(), data, env).await
    }

    /// Starts the app binary at `binary` (an installed one, say).
    pub async fn start_binary(
        display: &Display,
        binary: &Path,
        data: &Path,
        env: &[(&str, String)],
    ) -> App {
        let (port, native) = (free_port(), free_port());
        // tauri-driver in a process group of its own, so that ending the app ends
        // WebKitWebDriver and the app binary with it, also when a test fails before
        // `quit` (`Drop`). The group's leader watches this test process and ends the
        // group when it is gone without dropping the app: killed by a timeout, or
        // failed before the app was started.
        let mut command = Command::new("sh");
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        command
            .args([
                "-c",
                "tauri-driver \"$@\" & while kill -0 \"$LAGESBILD_TEST_PID\" 2>/dev/null; do sleep 1; done; kill -KILL 0",
                "sh",
                "--port",
                &port.to_string(),
                "--native-port",
                &native.to_string(),
            ])
            .env("LAGESBILD_TEST_PID", std::process::id().to_string())
            .env("DISPLAY", &display.name)
            .env("LAGESBILD_APP_DATA", data)
            // The web view's own storage (local storage, caches) in the app's directory
            // too: two apps at once are two devices, and share nothing.
            .env("XDG_DATA_HOME", data.join("xdg-data"))
            .env("XDG_CACHE_HOME", data.join("xdg-cache"))
            .env_remove("LAGESBILD_SERVER")
            .env_remove("LAGESBILD_ENROLMENT_CODE")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (key, value) in env {
            command.env(key, value);
        }
        let driver = command
            .spawn()
            .expect("tauri-driver is installed (scripts/test installs it)");
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "tauri-driver did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let capabilities = json!({ "tauri:options": { "application": binary } });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        // The driver's port opens a moment before it can start sessions; a first
        // attempt is sometimes cut off.
        let mut attempts = 0;
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(capabilities.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => break client,
                Err(e) if attempts < 3 => {
                    attempts += 1;
                    eprintln!("WebDriver session attempt {attempts} failed: {e}");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Err(e) => panic!("a WebDriver session with the app: {e}"),
            }
        };
        App {
            driver,
            client,
            data: data.to_path_buf(),
        }
    }

    pub async fn click(&self, css: &str) {
        // A main tab the narrow bar keeps under "Mer" is reached through it, as a person
        // reaches it.
        if css.starts_with("[data-testid=tab-")
            && css != "[data-testid=tab-more]"
            && self.count(css).await == 0
            && self.count("[data-testid=tab-more]").await > 0
        {
            Box::pin(self.click("[data-testid=tab-more]")).await;
        }
        let element = self.wait_for(css).await;
        self.scroll_to(&element).await;
        element
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Taps the first element matching `css` as a person does: at once if it is on the
    /// screen and nothing covers its top, middle or bottom, else after scrolling it into
    /// view. Answers whether
    /// that took a scroll, so a test can count them.
    pub async fn tap(&self, css: &str) -> bool {
        let element = self.wait_for(css).await;
        let reachable = self
            .client
            .execute(
                "const e = arguments[0], r = e.getBoundingClientRect();
                 if (r.top < 0 || r.left < 0 || r.bottom > innerHeight || r.right > innerWidth) return false;
                 const x = r.left + r.width / 2;
                 return [r.top + 3, r.top + r.height / 2, r.bottom - 3].every((y) => {
                   const hit = document.elementFromPoint(x, y);
                   return hit !== null && (hit === e || e.contains(hit));
                 });",
                vec![serde_json::to_value(&element).expect("an element reference")],
            )
            .await
            .expect("where the element is")
            .as_bool()
            .unwrap_or(false);
        if !reachable {
            self.scroll_to(&element).await;
        }
        element
            .click()
            .await
            .unwrap_or_else(|e| panic!("tap {css}: {e}"));
        !reachable
    }

    /// The serious and critical accessibility violations axe-core finds on the page as
    /// it is now, as "rule: help (where)".
    pub async fn accessibility_violations(&self) -> Vec<String> {
        static AXE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let axe = AXE.get_or_init(|| {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../ui/node_modules/axe-core/axe.min.js");
            std::fs::read_to_string(&path).unwrap_or_else(|e| {
                panic!(
                    "{}: {e} (scripts/test installs the UI's packages)",
                    path.display()
                )
            })
        });
        let loaded = self
            .client
            .execute("return typeof window.axe === 'object';", vec![])
            .await
            .expect("look for axe");
        if loaded.as_bool() != Some(true) {
            self.client
                .execute(&format!("{axe}\nreturn typeof window.axe;"), vec![])
                .await
                .expect("load axe-core into the page");
        }
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] })
                   .then((r) => done(r.violations
                     .filter((v) => v.impact === 'serious' || v.impact === 'critical')
                     .map((v) => v.id + ': ' + v.help + ' (' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ') + ')')))
                   .catch((e) => done(['axe failed: ' + e]));",
                vec![],
            )
            .await
            .expect("axe-core runs");
        serde_json::from_value(found).expect("a list of violations")
    }

    /// Scrolls `element` to the middle of the screen, as a person scrolls to what they
    /// tap: the driver's own scrolling leaves it at an edge, under the phone's tab bar.
    async fn scroll_to(&self, element: &fantoccini::elements::Element) {
        let _ = self
            .client
            .execute(
                "arguments[0].scrollIntoView({ block: 'center', inline: 'nearest' });",
                vec![serde_json::to_value(element).expect("an element reference")],
            )
            .await;
    }

    /// Records a report through the report screen, as a user would.
    pub async fn record(&self, place: &str, category: &str, grade: u8, description: Option<&str>) {
        self.click("[data-testid=tab-report]").await;
        // The form offers a few places; the rest are found by searching, as people do.
        self.type_into("[data-testid=place-search]", place).await;
        self.click_text("[data-testid=place]", place).await;
        self.type_into("[data-testid=place-search]", "").await;
        self.click_text("[data-testid=category]", category).await;
        self.click(&format!("[data-testid=grade-{grade}]")).await;
        if let Some(description) = description {
            self.click("[data-testid=more]").await;
            self.type_into("[data-testid=description]", description)
                .await;
        }
        self.click("[data-testid=save]").await;
        self.wait_for("[data-testid=saved]").await;
    }

    /// Clicks the `n`th (from 0) element matching `css`, once there are that many.
    pub async fn click_nth(&self, css: &str, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let all = self
                .client
                .find_all(Locator::Css(css))
                .await
                .unwrap_or_default();
            if let Some(element) = all.get(n) {
                self.scroll_to(element).await;
                element
                    .click()
                    .await
                    .unwrap_or_else(|e| panic!("click {css} #{n}: {e}"));
                return;
            }
            assert!(Instant::now() < deadline, "no {css} #{n}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks the first element matching `css` whose text contains `text`.
    pub async fn click_text(&self, css: &str, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            for element in self
                .client
                .find_all(Locator::Css(css))
                .await
                .unwrap_or_default()
            {
                if element.text().await.unwrap_or_default().contains(text) {
                    self.scroll_to(&element).await;
                    element
                        .click()
                        .await
                        .unwrap_or_else(|e| panic!("click {css} {text}: {e}"));
                    return;
                }
            }
            assert!(Instant::now() < deadline, "no {css} with text {text}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Types `text` into the field `css`, replacing what it held.
    pub async fn type_into(&self, css: &str, text: &str) {
        let field = self.wait_for(css).await;
        field
            .clear()
            .await
            .unwrap_or_else(|e| panic!("clear {css}: {e}"));
        if !text.is_empty() {
            field
                .send_keys(text)
                .await
                .unwrap_or_else(|e| panic!("type into {css}: {e}"));
        }
    }

    /// Puts `text` into the field `css` at once, as a paste or a date picker does: the
    /// value changes and one `input` event follows.
    pub async fn paste(&self, css: &str, text: &str) {
        self.wait_for(css).await;
        self.client
            .execute(
                "const field = document.querySelector(arguments[0]);
                 field.focus();
                 field.value = arguments[1];
                 field.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertFromPaste', data: arguments[1] }));",
                vec![json!(css), json!(text)],
            )
            .await
            .unwrap_or_else(|e| panic!("paste into {css}: {e}"));
    }

    /// The current value of the field `css`.
    pub async fn value(&self, css: &str) -> String {
        self.wait_for(css)
            .await
            .prop("value")
            .await
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// Waits until the field `css` holds a value `check` accepts; returns it.
    pub async fn wait_for_value(&self, css: &str, check: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let value = self.value(css).await;
            if check(&value) {
                return value;
            }
            assert!(
                Instant::now() < deadline,
                "{css} never held the expected value (last: {value:?})"
            );
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Picks the option labelled `label` in the first `select` matching `css`.
    pub async fn select(&self, css: &str, label: &str) {
        let element = self.wait_for(css).await;
        self.scroll_to(&element).await;
        element
            .select_by_label(label)
            .await
            .unwrap_or_else(|e| panic!("select {label} in {css}: {e}"));
    }

    pub async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("waiting for {css}: {e}"))
    }

    /// Waits until the text of `css` satisfies `check`; returns it.
    pub async fn wait_for_text(&self, css: &str, check: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut last = None;
        loop {
            match self.client.find(Locator::Css(css)).await {
                Ok(element) => match element.text().await {
                    Ok(text) if check(&text) => return text,
                    Ok(text) => last = Some(text),
                    Err(e) => page_crash(&e),
                },
                Err(e) => page_crash(&e),
            }
            assert!(
                Instant::now() < deadline,
                "{css} never showed the expected text (last: {last:?})"
            );
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Resizes the window, and waits until the page has the new width: the resize
    /// reaches it a moment later, later still when the machine is busy.
    pub async fn resize(&self, width: u32, height: u32) {
        self.client
            .set_window_rect(0, 0, width, height)
            .await
            .expect("resize the window");
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            let laid_out = self
                .client
                .execute("return window.innerWidth;", vec![])
                .await
                .ok()
                .and_then(|w| w.as_u64());
            if laid_out == Some(u64::from(width)) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the page never took the width {width}");
    }

    /// Resizes the window and saves a screenshot under `target/screenshots`.
    pub async fn screenshot(&self, name: &str, size: (u32, u32)) -> PathBuf {
        self.screenshot_showing(name, size, None).await
    }

    /// The same, scrolled so that `css` is in the middle of the screen.
    pub async fn screenshot_of(&self, name: &str, size: (u32, u32), css: &str) -> PathBuf {
        self.screenshot_showing(name, size, Some(css)).await
    }

    async fn screenshot_showing(
        &self,
        name: &str,
        (width, height): (u32, u32),
        css: Option<&str>,
    ) -> PathBuf {
        self.resize(width, height).await;
        // From the top of the screen, as a person opening it sees it, or at `css`.
        self.client
            .execute("window.scrollTo(0, 0);", vec![])
            .await
            .expect("scroll to the top");
        tokio::time::sleep(Duration::from_millis(400)).await;
        if let Some(css) = css {
            self.client
                .execute(
                    "document.querySelector(arguments[0]).scrollIntoView({block: 'center'});",
                    vec![serde_json::json!(css)],
                )
                .await
                .expect("scroll to the element");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let png = self.client.screenshot().await.expect("screenshot");
        let path = screenshots_dir().join(format!("{name}-{width}x{height}.png"));
        std::fs::create_dir_all(path.parent().expect("a directory")).expect("screenshot dir");
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    /// Clicks `x`, `y` pixels from the middle of `css` (right and down), as a tap on a
    /// map somewhere other than its centre.
    pub async fn click_at(&self, css: &str, x: f64, y: f64) {
        use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
        let element = self.wait_for(css).await;
        self.scroll_to(&element).await;
        let tap = MouseActions::new("mouse".to_owned())
            .then(PointerAction::MoveToElement {
                element,
                duration: None,
                x,
                y,
            })
            .then(PointerAction::Down {
                button: MOUSE_BUTTON_LEFT,
            })
            .then(PointerAction::Up {
                button: MOUSE_BUTTON_LEFT,
            });
        self.client
            .perform_actions(tap)
            .await
            .unwrap_or_else(|e| panic!("click in {css} at {x}, {y}: {e}"));
    }

    /// Chooses the file at `path` in the file input `css`, as the file picker does.
    pub async fn choose_file(&self, css: &str, path: &Path) {
        self.wait_for(css)
            .await
            .send_keys(&path.display().to_string())
            .await
            .unwrap_or_else(|e| panic!("choose {} in {css}: {e}", path.display()));
    }

    /// How many elements match `css` now.
    pub async fn count(&self, css: &str) -> usize {
        self.client
            .find_all(Locator::Css(css))
            .await
            .map(|all| all.len())
            .unwrap_or(0)
    }

    /// Waits until exactly `n` elements match `css` (the page answers a click a moment
    /// later, never at once).
    pub async fn wait_for_count(&self, css: &str, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let count = self.count(css).await;
            if count == n {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{css} matched {count} elements, never {n}"
            );
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// The attribute `name` of the first element matching `css`.
    pub async fn attribute(&self, css: &str, name: &str) -> String {
        self.wait_for(css)
            .await
            .attr(name)
            .await
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// What `script` (the body of a function) returns in the page.
    pub async fn evaluate(&self, script: &str) -> serde_json::Value {
        self.client
            .execute(script, vec![])
            .await
            .expect("a script in the page")
    }

    /// Switches the theme with the app's own button.
    pub async fn set_theme(&self, theme: &str) {
        let current = self
            .client
            .execute(
                "return document.documentElement.dataset.theme || 'light';",
                vec![],
            )
            .await
            .expect("theme");
        if current.as_str() != Some(theme) {
            self.click("[data-testid=theme]").await;
        }
    }

    /// Every visible text on the page whose contrast with what lies behind it is below
    /// WCAG AA (4.5:1; 3:1 for large text), as "text: ratio". Disabled controls are
    /// exempt, as WCAG says.
    pub async fn contrast_failures(&self) -> Vec<String> {
        let found = self
            .client
            .execute(CONTRAST_SCRIPT, vec![])
            .await
            .expect("contrast script");
        serde_json::from_value(found).expect("a list of failures")
    }

    /// Visible controls smaller than a 44 × 44 px touch target, as "label: w×h".
    pub async fn small_targets(&self) -> Vec<String> {
        let found = self
            .client
            .execute(
                r#"return [...document.querySelectorAll("button, input, select, textarea, a, summary")]
                    .map((e) => [e, e.getBoundingClientRect()])
                    .filter(([, r]) => r.width > 0 && r.height > 0 && (r.width < 44 || r.height < 44))
                    .map(([e, r]) => (e.textContent || e.getAttribute("data-testid") || e.tagName).trim().slice(0, 30)
                        + ": " + Math.round(r.width) + "x" + Math.round(r.height));"#,
                vec![],
            )
            .await
            .expect("touch target script");
        serde_json::from_value(found).expect("a list of small targets")
    }

    /// Text that does not fit its box, as "what: why": a control or cell whose own text
    /// is wider than it (cut off, or sticking out), a field whose value is cut, and any
    /// element that scrolls sideways. Hidden elements, the map's canvas and the printed
    /// file's own tables (the full report's, which scroll on a phone by design, each
    /// in a focusable region) are left out.
    pub async fn overflows(&self) -> Vec<String> {
        let found = self
            .client
            .execute(
                r#"const out = [];
                const name = (e) => (e.getAttribute("data-testid") || e.tagName.toLowerCase())
                    + " '" + (e.value || e.textContent || "").trim().replace(/\s+/g, " ").slice(0, 40) + "'";
                for (const e of document.querySelectorAll("body *")) {
                    const r = e.getBoundingClientRect();
                    if (r.width === 0 || r.height === 0) continue;
                    if (e.closest(".maplibregl-map, svg, .sheet-frame .period-report:not(.politicians)")) continue;
                    const s = getComputedStyle(e);
                    const wider = e.scrollWidth > e.clientWidth + 1;
                    if (!wider) continue;
                    if (s.overflowX === "auto" || s.overflowX === "scroll") {
                        out.push(name(e) + ": scrolls sideways");
                        continue;
                    }
                    const ownText = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
                    const field = e.matches("input:not([type=checkbox]):not([type=radio]), select, textarea");
                    if (field || (ownText && (s.overflowX !== "visible" || e.matches("button, th, td, label, a, summary, h1, h2, h3, p, li, span")))) {
                        out.push(name(e) + ": text " + e.scrollWidth + " px in " + e.clientWidth + " px");
                    }
                }
                return out;"#,
                vec![],
            )
            .await
            .expect("overflow script");
        serde_json::from_value(found).expect("a list of overflows")
    }

    /// Asserts that the screen as it is now fits the window (no sideways scrolling) and
    /// that every target is at least 44 px; `what` names it in the failure.
    pub async fn assert_fits(&self, what: &str) {
        assert!(!self.scrolls_sideways().await, "{what} scrolls sideways");
        let small = self.small_targets().await;
        assert!(
            small.is_empty(),
            "{what}: touch targets under 44 px: {small:?}"
        );
    }

    /// Whether the page is wider than the window (horizontal scrolling).
    pub async fn scrolls_sideways(&self) -> bool {
        let wider = self
            .client
            .execute(
                "return document.documentElement.scrollWidth > window.innerWidth + 1;",
                vec![],
            )
            .await
            .expect("script");
        wider.as_bool().unwrap_or(true)
    }

    pub async fn quit(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for App {
    /// Ends the driver's whole process group (tauri-driver, WebKitWebDriver, the app),
    /// whether the test quit the app or failed on the way.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .status();
        let _ = self.driver.wait();
    }
}

/// Walks the text nodes of the page; for each, the colour of its element against the
/// first opaque background behind it (the element's, or an ancestor's; `opacity` of the
/// element and its ancestors blends the text towards the background).
const CONTRAST_SCRIPT: &str = r#"
const parse = (c) => { const m = c.match(/[\d.]+/g); return m ? m.map(Number) : [0,0,0,0]; };
const lum = ([r, g, b]) => {
  const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
};
const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
const background = (el) => {
  for (let e = el; e; e = e.parentElement) {
    const c = parse(getComputedStyle(e).backgroundColor);
    if (c.length < 4 || c[3] > 0.9) return c.slice(0, 3);
  }
  return parse(getComputedStyle(document.body).backgroundColor).slice(0, 3);
};
const opacity = (el) => { let o = 1; for (let e = el; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity); return o; };
const failures = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
while (walker.nextNode()) {
  const node = walker.currentNode;
  const el = node.parentElement;
  if (!el || !node.textContent.trim() || el.closest("svg") || el.closest(":disabled")) continue;
  const rect = el.getBoundingClientRect();
  if (rect.width === 0 || rect.height === 0) continue;
  const style = getComputedStyle(el);
  if (style.visibility === "hidden") continue;
  const bg = background(el);
  const a = opacity(el);
  const fg = parse(style.color).slice(0, 3).map((v, i) => v * a + bg[i] * (1 - a));
  const size = parseFloat(style.fontSize);
  const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
  const r = ratio(fg, bg);
  if (r < (large ? 3 : 4.5)) failures.push(node.textContent.trim().slice(0, 40) + ": " + r.toFixed(2));
}
return failures;
"#;

/// A map tile server on loopback: answers every `/{z}/{x}/{y}.png` with a small grey
/// PNG and records the paths asked for.
#[derive(Debug)]
pub struct TileServer {
    pub url: String,
    pub requested: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

/// A 1×1 grey PNG; the map scales it to the tile.
const GREY_PNG: [u8; 67] = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x3a, 0x7e, 0x9b,
    0x55, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x38, 0x01, 0x00, 0x00,
    0xca, 0x00, 0xc9, 0x99, 0xca, 0x5d, 0x7e, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

impl TileServer {
    pub async fn start() -> TileServer {
        use axum::extract::{Path as UrlPath, State};
        let requested = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let app = axum::Router::new()
            .route(
                "/{z}/{x}/{file}",
                axum::routing::get(
                    |State(seen): State<std::sync::Arc<std::sync::Mutex<Vec<String>>>>,
                     UrlPath((z, x, file)): UrlPath<(u32, u32, String)>| async move {
                        seen.lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .push(format!("{z}/{x}/{file}"));
                        ([("content-type", "image/png")], GREY_PNG.to_vec())
                    },
                ),
            )
            .with_state(requested.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the tile server");
        let address = listener.local_addr().expect("tile server address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        TileServer {
            url: format!("http://{address}/{{z}}/{{x}}/{{y}}.png"),
            requested,
        }
    }

    pub fn requested(&self) -> Vec<String> {
        self.requested
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// An MBTiles file (SQLite, rows counted from the south) of one solid `colour` tile
/// everywhere in the box west, south, east, north at zooms `zooms`, as the coordinator
/// would export one from QGIS for the municipality.
pub fn make_mbtiles(
    path: &Path,
    name: &str,
    [west, south, east, north]: [f64; 4],
    zooms: std::ops::RangeInclusive<u8>,
    colour: [u8; 3],
) {
    let mut tile = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut tile, 256, 256);
        encoder.set_color(png::ColorType::Rgb);
        let mut writer = encoder.write_header().expect("PNG header");
        writer
            .write_image_data(&colour.repeat(256 * 256))
            .expect("PNG data");
    }
    let conn = rusqlite::Connection::open(path).expect("create the MBTiles file");
    conn.execute_batch(
        "CREATE TABLE metadata (name TEXT, value TEXT);
         CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
         CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);",
    )
    .expect("MBTiles schema");
    let bounds = format!("{west},{south},{east},{north}");
    for (key, value) in [("name", name), ("format", "png"), ("bounds", &bounds)] {
        conn.execute("INSERT INTO metadata VALUES (?1, ?2)", [key, value])
            .expect("metadata");
    }
    for z in zooms {
        let n = f64::from(1u32 << z);
        let column = |lon: f64| ((lon + 180.0) / 360.0 * n).floor() as u32;
        let row = |lat: f64| {
            let lat = lat.to_radians();
            ((1.0 - lat.tan().asinh() / std::f64::consts::PI) / 2.0 * n).floor() as u32
        };
        for x in column(west)..=column(east) {
            for y in row(north)..=row(south) {
                conn.execute(
                    "INSERT INTO tiles VALUES (?1, ?2, ?3, ?4)",
                    rusqlite::params![z, x, (1u32 << z) - 1 - y, tile],
                )
                .expect("a tile");
            }
        }
    }
}

/// The share of the pixels inside `rect` (left, top, width, height) of a PNG screenshot
/// that are within a few steps of `colour`.
pub fn share_of_colour(
    png_path: &Path,
    [left, top, width, height]: [usize; 4],
    colour: [u8; 3],
) -> f64 {
    let file = std::fs::File::open(png_path).expect("the screenshot exists");
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a sane size")];
    let frame = reader.next_frame(&mut pixels).expect("the PNG's pixels");
    let channels = frame.color_type.samples();
    let (mut like, mut all) = (0usize, 0usize);
    for y in top..(top + height).min(frame.height as usize) {
        for x in left..(left + width).min(frame.width as usize) {
            let p = y * frame.line_size + x * channels;
            all += 1;
            if (0..3).all(|c| pixels[p + c].abs_diff(colour[c]) <= 6) {
                like += 1;
            }
        }
    }
    like as f64 / all.max(1) as f64
}

/// The texts of the QR codes in a PNG screenshot, read as a phone's camera would: the
/// image's luminance, then a QR decoder.
pub fn read_qr_codes(png_path: &Path) -> Vec<String> {
    let file = std::fs::File::open(png_path).expect("the screenshot exists");
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a sane size")];
    let frame = reader.next_frame(&mut pixels).expect("the PNG's pixels");
    let channels = frame.color_type.samples();
    let (width, height) = (frame.width as usize, frame.height as usize);
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
        let p = y * frame.line_size + x * channels;
        if channels >= 3 {
            let [r, g, b] = [pixels[p], pixels[p + 1], pixels[p + 2]].map(u32::from);
            ((r * 299 + g * 587 + b * 114) / 1000) as u8
        } else {
            pixels[p]
        }
    });
    image
        .detect_grids()
        .into_iter()
        .filter_map(|grid| grid.decode().ok().map(|(_, text)| text))
        .collect()
}

/// What WebDriver answers once WebKit's web process has crashed under a session: a
/// fault outside the app, seen about once in sixty runs under Xvfb.
pub const PAGE_CRASH: &str = "page crash";

/// Ends the test at once, naming the crash, when `error` says the web process crashed;
/// other errors (an element not there yet) are for the caller to wait out.
fn page_crash(error: &impl std::fmt::Display) {
    let text = error.to_string();
    if text.contains(PAGE_CRASH) || text.contains("session deleted") {
        panic!("WebKit's web process crashed ({PAGE_CRASH}): {text}");
    }
}

/// Runs an app test, and once more only if it failed because WebKit's web process
/// crashed under it (`PAGE_CRASH` in the failure); any other failure fails at once.
/// Used through `app_test!`.
pub async fn retry_on_page_crash<F, Fut>(test: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    for attempt in 1..=2 {
        let failure = match tokio::spawn(test()).await {
            Ok(()) => return,
            Err(e) if e.is_panic() => e.into_panic(),
            Err(e) => panic!("the test was cancelled: {e}"),
        };
        let message = failure
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| failure.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if attempt == 1 && message.contains(PAGE_CRASH) {
            eprintln!("running the test once more after WebKit's crash: {message}");
            continue;
        }
        std::panic::resume_unwind(failure);
    }
}

/// An app test (`#[tokio::test]` with two worker threads) that is run once more only
/// when WebKit's web process crashed under it (`retry_on_page_crash`).
/// Where screenshots are saved for people to look at: `target/screenshots`.
pub fn screenshots_dir() -> PathBuf {
    app_binary()
        .parent()
        .and_then(Path::parent)
        .map(|t| t.join("screenshots"))
        .expect("target dir")
}

#[macro_export]
macro_rules! app_test {
    ($(#[$meta:meta])* async fn $name:ident() $body:block) => {
        $(#[$meta])*
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            $crate::app::retry_on_page_crash(|| async $body).await;
        }
    };
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::{PAGE_CRASH, retry_on_page_crash};

    #[tokio::test]
    async fn a_test_is_run_once_more_only_after_a_page_crash() {
        static CRASHED: AtomicUsize = AtomicUsize::new(0);
        retry_on_page_crash(|| async {
            if CRASHED.fetch_add(1, Ordering::SeqCst) == 0 {
                panic!("click #save: session deleted because of {PAGE_CRASH}");
            }
        })
        .await;
        assert_eq!(
            CRASHED.load(Ordering::SeqCst),
            2,
            "run again after the crash"
        );

        static FAILED: AtomicUsize = AtomicUsize::new(0);
        let outcome = tokio::spawn(retry_on_page_crash(|| async {
            FAILED.fetch_add(1, Ordering::SeqCst);
            panic!("#grade never showed the expected text");
        }))
        .await;
        assert!(
            outcome.is_err_and(|e| e.is_panic()),
            "another failure fails"
        );
        assert_eq!(FAILED.load(Ordering::SeqCst), 1, "and is not run again");

        static TWICE: AtomicUsize = AtomicUsize::new(0);
        let outcome = tokio::spawn(retry_on_page_crash(|| async {
            TWICE.fetch_add(1, Ordering::SeqCst);
            panic!("{PAGE_CRASH}");
        }))
        .await;
        assert!(outcome.is_err(), "a second crash fails the test");
        assert_eq!(TWICE.load(Ordering::SeqCst), 2);
    }
}
