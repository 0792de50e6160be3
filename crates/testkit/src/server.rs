//! A `voxide serve` child process with its own directory and ports.

use std::future::Future;
use std::io::Write;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use voxide_store::{SecretBox, Store};

/// A port free on 127.0.0.1 for both UDP and TCP (checked by binding both).
pub fn free_port() -> u16 {
    loop {
        let port: u16 = rand::random_range(20_000..60_000);
        let tcp = TcpListener::bind(("127.0.0.1", port));
        let udp = UdpSocket::bind(("127.0.0.1", port));
        if tcp.is_ok() && udp.is_ok() {
            return port;
        }
    }
}

/// Waits (up to 5 s) until something listens on UDP `ip:port`, such as a
/// SIPp phone just started in the background; panics if nothing does.
pub fn wait_udp_bound(ip: std::net::Ipv4Addr, port: u16) {
    // /proc/net/udp writes a local address as the IPv4 address's bytes in
    // host (little-endian) order, then the port, both in hex.
    let wanted = format!("{:08X}:{port:04X}", u32::from_le_bytes(ip.octets()));
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let table = std::fs::read_to_string("/proc/net/udp").unwrap_or_default();
        if table.lines().skip(1).any(|l| l.split_whitespace().nth(1) == Some(wanted.as_str())) {
            return;
        }
        assert!(Instant::now() < deadline, "nothing listens on UDP {ip}:{port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A running switch. Killed (SIGKILL) on drop; its directory is removed.
pub struct Server {
    bin: PathBuf,
    pub dir: PathBuf,
    pub http: SocketAddr,
    pub sip: SocketAddr,
    /// The bootstrap super-admin token.
    pub token: String,
    env: Vec<(String, String)>,
    child: Option<Child>,
    pub client: reqwest::blocking::Client,
}

impl Server {
    /// Starts `bin` with SIP and HTTP on free loopback ports, SQLite in a
    /// scratch directory, and `env` as extra `VOXIDE_…` settings.
    /// When `env` sets `VOXIDE_SIP_LISTEN` (e.g. `[::1]:PORT`), `sip` is
    /// that address.
    pub fn start(bin: &str, env: &[(&str, &str)]) -> Server {
        let dir = std::env::temp_dir().join(format!("voxide-test-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).expect("scratch directory");
        let sip_port = free_port();
        let http_port = free_port();
        let token = format!("test-token-{:016x}", rand::random::<u64>());
        let mut all: Vec<(String, String)> = vec![
            ("VOXIDE_SIP_LISTEN".into(), format!("127.0.0.1:{sip_port}")),
            ("VOXIDE_HTTP_LISTEN".into(), format!("127.0.0.1:{http_port}")),
            ("VOXIDE_API_BOOTSTRAP_TOKEN".into(), token.clone()),
            ("VOXIDE_LOG_LEVEL".into(), "info".into()),
        ];
        for (k, v) in env {
            all.retain(|(name, _)| name != k);
            all.push((k.to_string(), v.to_string()));
        }
        let sip = all
            .iter()
            .find(|(k, _)| k == "VOXIDE_SIP_LISTEN")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], sip_port)));
        let client = reqwest::blocking::Client::builder().timeout(Duration::from_secs(10)).build().expect("client");
        let mut server = Server {
            bin: PathBuf::from(bin),
            dir,
            http: format!("127.0.0.1:{http_port}").parse().expect("addr"),
            sip,
            token,
            env: all,
            child: None,
            client,
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let log =
            std::fs::OpenOptions::new().create(true).append(true).open(self.dir.join("voxide.log")).expect("log file");
        let child = Command::new(&self.bin)
            .arg("serve")
            .current_dir(&self.dir)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env(
                "VOXIDE_STORE_URL",
                std::env::var("VOXIDE_TEST_STORE_URL").unwrap_or_else(|_| "sqlite://data/voxide.db".into()),
            )
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("spawn voxide");
        self.child = Some(child);
        self.wait_healthy();
    }

    fn wait_healthy(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!("voxide exited early ({status}):\n{}", self.log());
            }
            if self.client.get(self.url("/healthz")).send().is_ok_and(|r| r.status().is_success()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("voxide did not become healthy:\n{}", self.log());
    }

    /// Everything the server logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("voxide.log")).unwrap_or_default()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.http, path)
    }

    /// SIGKILL: no shutdown code runs, as in a crash.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Graceful stop (SIGTERM) and wait.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
            let _ = child.wait();
        }
    }

    /// Starts again on the same directory, ports and token.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// A request with the admin token.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::blocking::RequestBuilder {
        self.client.request(method, self.url(path)).header("Authorization", format!("Token {}", self.token))
    }

    /// GET with the admin token; returns status and JSON (Null if not JSON).
    pub fn get(&self, path: &str) -> (u16, Value) {
        let resp = self.request(reqwest::Method::GET, path).send().expect("GET");
        let status = resp.status().as_u16();
        (status, resp.json().unwrap_or(Value::Null))
    }

    /// Sends JSON with the admin token.
    pub fn send_json(&self, method: reqwest::Method, path: &str, body: &Value) -> (u16, Value) {
        let resp = self.request(method, path).json(body).send().expect("request");
        let status = resp.status().as_u16();
        (status, resp.json().unwrap_or(Value::Null))
    }

    /// Sends `body` (if any) as JSON with `token` instead of the admin token.
    pub fn send_as(&self, token: &str, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self.client.request(method, self.url(path)).header("Authorization", format!("Token {token}"));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().expect("request");
        let status = resp.status().as_u16();
        (status, resp.json().unwrap_or(Value::Null))
    }

    /// Creates an extension and returns its JSON.
    pub fn create_extension(&self, user: &str, password: &str) -> Value {
        let (status, body) = self.send_json(
            reqwest::Method::POST,
            "/api/extensions/",
            &serde_json::json!({ "sip_username": user, "sip_password": password }),
        );
        assert_eq!(status, 201, "creating extension {user}: {body}");
        body
    }

    /// Runs `voxide` with `args` (e.g. `token create`) against this
    /// server's directory and settings; returns stdout.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = Command::new(&self.bin)
            .args(args)
            .current_dir(&self.dir)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env(
                "VOXIDE_STORE_URL",
                std::env::var("VOXIDE_TEST_STORE_URL").unwrap_or_else(|_| "sqlite://data/voxide.db".into()),
            )
            .output()
            .expect("run voxide cli");
        assert!(out.status.success(), "voxide {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// The server's database: `VOXIDE_TEST_STORE_URL`, or its SQLite file.
    pub fn store_url(&self) -> String {
        std::env::var("VOXIDE_TEST_STORE_URL")
            .unwrap_or_else(|_| format!("sqlite://{}", self.dir.join("data/voxide.db").display()))
    }

    /// `voxide user add` on the server's database, the password on stdin as
    /// an operator would type it; `extra` are more arguments (`--tenant …`).
    pub fn add_user(&self, username: &str, password: &str, extra: &[&str]) {
        let mut child = Command::new(&self.bin)
            .args(["user", "add", "--username", username, "--password-stdin"])
            .args(extra)
            .current_dir(&self.dir)
            .env("VOXIDE_STORE_URL", self.store_url())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run voxide user add");
        child.stdin.take().expect("stdin").write_all(format!("{password}\n").as_bytes()).expect("password");
        let out = child.wait_with_output().expect("voxide user add");
        assert!(out.status.success(), "user add failed: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Runs `work` on the server's own database.
    pub fn with_store<F, Fut, T>(&self, work: F) -> T
    where
        F: FnOnce(Store) -> Fut,
        Fut: Future<Output = T>,
    {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async {
            let store =
                Store::connect(&self.store_url(), SecretBox::from_key_material("unused here")).await.expect("store");
            let out = work(store.clone()).await;
            store.close().await;
            out
        })
    }

    /// The value of a Prometheus metric without labels (0 when absent).
    pub fn metric(&self, name: &str) -> f64 {
        let text = self.client.get(self.url("/metrics")).send().expect("metrics").text().expect("metrics text");
        let prefix = format!("{name} ");
        text.lines().find_map(|l| l.strip_prefix(&prefix).and_then(|v| v.trim().parse().ok())).unwrap_or(0.0)
    }

    /// The newest CDR, once it has a hangup cause (or after 10 s, as it is).
    /// Waits up to 10 s for `user` to have a live binding; panics with
    /// `peer_log` (the phone's side of the story) and the switch's log.
    pub fn wait_for_binding(&self, user: &str, peer_log: &str) {
        let aor = format!("sip:{user}@voxide.local");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let (status, body) = self.get("/api/registrations/");
            assert_eq!(status, 200, "{body}");
            if body.as_array().is_some_and(|list| list.iter().any(|b| b["aor"] == aor.as_str())) {
                return;
            }
            assert!(Instant::now() < deadline, "{aor} never registered\n{peer_log}\n{}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn last_cdr(&self) -> Value {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let (status, page) = self.get("/api/cdrs/?ordering=-created_at&limit=1");
            assert_eq!(status, 200, "{page}");
            let cdr = page["results"][0].clone();
            if !cdr["hangup_cause"].is_null() || std::time::Instant::now() > deadline {
                return cdr;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
