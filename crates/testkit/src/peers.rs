//! External SIP peers we did not write, driven as child processes.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;

/// `testdata/` at the workspace root.
pub fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

/// One SIPp run.
pub struct Sipp {
    args: Vec<String>,
    port: u16,
}

/// What a SIPp run reported.
#[derive(Debug)]
pub struct SippOutcome {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
    /// Contents of the `-trace_err` log, if any.
    pub errors: String,
}

impl Sipp {
    /// A UAC run of `testdata/sipp/<scenario>` against `target`.
    pub fn scenario(scenario: &str, target: SocketAddr) -> Sipp {
        let path = testdata().join("sipp").join(scenario);
        let port = crate::free_port();
        let local_ip = if target.is_ipv6() { "::1" } else { "127.0.0.1" };
        Sipp {
            port,
            args: vec![
                "-sf".into(),
                path.display().to_string(),
                target.to_string(),
                "-i".into(),
                local_ip.into(),
                "-p".into(),
                port.to_string(),
                "-m".into(),
                "1".into(),
                "-timeout".into(),
                "20s".into(),
                "-timeout_error".into(),
                "-max_recv_loops".into(),
                "1000".into(),
            ],
        }
    }

    pub fn arg(mut self, a: impl Into<String>) -> Self {
        self.args.push(a.into());
        self
    }

    /// Sets `flag` to `value`, replacing a value given before.
    pub fn set(mut self, flag: &str, value: impl Into<String>) -> Self {
        match self.args.iter().position(|a| a == flag) {
            Some(i) if i + 1 < self.args.len() => self.args[i + 1] = value.into(),
            _ => self.args.extend([flag.to_string(), value.into()]),
        }
        self
    }

    /// SIPp's own SIP port (`-p`): the source port of what it sends over UDP.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `-inf testdata/sipp/users.csv` and `-m calls`: users 1001… in turn.
    pub fn users(self, calls: u32) -> Self {
        let csv = testdata().join("sipp/users.csv").display().to_string();
        self.set("-inf", csv).set("-m", calls.to_string())
    }

    /// SIP over one TCP connection (`-t t1`) instead of UDP.
    pub fn tcp(self) -> Self {
        self.set("-t", "t1")
    }

    /// `-key name value` for `[name]` in the scenario.
    pub fn key(self, name: &str, value: &str) -> Self {
        self.arg("-key").arg(name).arg(value)
    }

    /// Runs to completion in a scratch directory (SIPp writes logs to cwd).
    pub fn run(self) -> SippOutcome {
        let dir = std::env::temp_dir().join(format!("sipp-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).expect("sipp dir");
        let out = Command::new("sipp")
            .args(&self.args)
            .arg("-trace_err")
            .arg("-error_file")
            .arg(dir.join("errors.log"))
            .arg("-nostdin")
            .current_dir(&dir)
            .output();
        let out = match out {
            Ok(o) => o,
            Err(e) => panic!("cannot run sipp (is sip-tester installed?): {e}"),
        };
        let errors = std::fs::read_to_string(dir.join("errors.log")).unwrap_or_default();
        let _ = std::fs::remove_dir_all(&dir);
        SippOutcome {
            success: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            errors,
        }
    }
}
