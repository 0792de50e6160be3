//! What the console's browser tests share: a headless chromium under
//! chromedriver, console users made with `voxide user add`, and fetching
//! what a page links to with the browser's session.
//!
//! chromedriver must be installed (`scripts/deps.sh test` installs Debian's
//! `chromium` and `chromium-driver`); without it these tests fail.
#![allow(dead_code)] // each test file uses part of it

use std::future::Future;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use voxide_testkit::{Server, free_port};

pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const PASSWORD: &str = "console-test-password";

/// `target/console-screenshots/`.
pub fn screenshots() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().expect("target directory").join("console-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot directory");
    dir
}

/// `voxide user add` with the tests' console password.
pub fn add_user(s: &Server, username: &str) {
    s.add_user(username, PASSWORD, &[]);
}
/// Headless chromium under chromedriver; both end with the value.
pub struct Chrome {
    runtime: tokio::runtime::Runtime,
    client: Option<Client>,
    driver: Child,
    shots: PathBuf,
    prefix: &'static str,
}

impl Chrome {
    pub fn start(prefix: &'static str) -> Chrome {
        assert!(
            Path::new(CHROMEDRIVER).is_file() && Path::new(CHROMIUM).is_file(),
            "the console's browser tests need Debian's chromium and chromium-driver ({CHROMIUM}, {CHROMEDRIVER}); \
             install them with `scripts/deps.sh test` or `apt-get install chromium chromium-driver`"
        );
        let port = free_port();
        let log = std::env::temp_dir().join(format!("chromedriver-{port}.log"));
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                         "--window-size=1280,1000", "--mute-audio", "--autoplay-policy=no-user-gesture-required"],
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = runtime
            .block_on(ClientBuilder::new(connector).capabilities(caps).connect(&format!("http://127.0.0.1:{port}")))
            .unwrap_or_else(|e| {
                panic!("chromedriver session: {e}\n{}", std::fs::read_to_string(&log).unwrap_or_default())
            });
        Chrome { runtime, client: Some(client), driver, shots: screenshots(), prefix }
    }

    pub fn run<T>(&self, work: impl Future<Output = T>) -> T {
        self.runtime.block_on(work)
    }

    pub fn c(&self) -> &Client {
        self.client.as_ref().expect("browser open")
    }

    pub fn goto(&self, url: &str) {
        self.run(self.c().goto(url)).unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    pub fn path(&self) -> String {
        self.run(self.c().current_url()).expect("url").path().to_string()
    }

    /// The element `css`, waiting up to `secs` for it.
    pub fn wait(&self, css: &str, secs: u64) -> Element {
        let found = self.run(
            self.c()
                .wait()
                .at_most(Duration::from_secs(secs))
                .every(Duration::from_millis(50))
                .for_element(Locator::Css(css)),
        );
        found.unwrap_or_else(|e| {
            let source = self.run(self.c().source()).unwrap_or_default();
            panic!("no {css} on {}: {e}\n{source}", self.path())
        })
    }

    pub fn all(&self, css: &str) -> Vec<Element> {
        self.run(self.c().find_all(Locator::Css(css))).unwrap_or_default()
    }

    pub fn text(&self, css: &str) -> String {
        let element = self.wait(css, 5);
        self.run(element.text()).expect("text")
    }

    /// The text of `css` now, if it is there (pages change under a poll).
    pub fn text_now(&self, css: &str) -> Option<String> {
        self.run(async {
            let element = self.c().find(Locator::Css(css)).await.ok()?;
            element.text().await.ok()
        })
    }

    pub fn text_of(&self, element: &Element) -> String {
        self.run(element.text()).expect("text")
    }

    pub fn attr(&self, element: &Element, name: &str) -> Option<String> {
        self.run(element.attr(name)).expect("attribute")
    }

    pub fn fill(&self, css: &str, value: &str) {
        let field = self.wait(css, 5);
        self.run(field.clear()).expect("clear");
        self.run(field.send_keys(value)).expect("type");
    }

    pub fn click(&self, css: &str) {
        let element = self.wait(css, 5);
        self.run(element.click()).unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    pub fn script(&self, js: &str) -> Value {
        self.run(self.c().execute(js, vec![])).unwrap_or_else(|e| panic!("script failed: {e}"))
    }

    pub fn script_async(&self, js: &str) -> Value {
        self.run(self.c().execute_async(js, vec![])).unwrap_or_else(|e| panic!("script failed: {e}"))
    }

    /// Waits up to `secs` for `ready`, failing with `what`.
    pub fn until(&self, what: &str, secs: u64, mut ready: impl FnMut(&Chrome) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while !ready(self) {
            if Instant::now() > deadline {
                let source = self.run(self.c().source()).unwrap_or_default();
                panic!("{what} did not happen within {secs} s on {}:\n{source}", self.path());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn shot(&self, name: &str) {
        let png = self.run(self.c().screenshot()).expect("screenshot");
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
        std::fs::write(self.shots.join(format!("{}-{name}.png", self.prefix)), png).expect("save screenshot");
    }

    /// The session cookie, for fetching what the page links to.
    pub fn session_cookie(&self) -> String {
        let cookie = self.run(self.c().get_named_cookie("voxide_session")).expect("session cookie");
        format!("voxide_session={}", cookie.value())
    }

    pub fn sign_in(&self, server: &Server, username: &str) {
        self.goto(&server.url("/console/"));
        self.wait("#username", 10);
        assert_eq!(self.path(), "/console/login", "signed out: the sign-in form");
        self.shot("sign-in");
        self.fill("#username", username);
        self.fill("#password", PASSWORD);
        self.click("#sign-in");
        self.until("the dashboard", 10, |c| c.text_now("main h1").as_deref() == Some("Dashboard"));
    }
}

impl Drop for Chrome {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            let _ = self.runtime.block_on(client.close());
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// GETs `url` as the signed-in browser; status, content type, body.
pub fn fetch(cookie: &str, url: &str) -> (u16, String, Vec<u8>) {
    let client = reqwest::blocking::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = client.get(url).header("Cookie", cookie).send().expect("fetch");
    let status = response.status().as_u16();
    let kind = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    (status, kind, response.bytes().expect("body").to_vec())
}

/// How long the `<audio>` element `id` says its media lasts, once it has
/// read the file's header (-1 if it could not).
pub fn audio_duration(chrome: &Chrome, id: &str) -> f64 {
    let script = format!(
        "const done = arguments[arguments.length - 1];
         const a = document.getElementById('{id}');
         if (!a) {{ done(-2); return; }}
         if (a.readyState >= 1) {{ done(a.duration); return; }}
         a.addEventListener('loadedmetadata', () => done(a.duration));
         a.addEventListener('error', () => done(-1));
         a.load();"
    );
    chrome.script_async(&script).as_f64().unwrap_or(-3.0)
}
