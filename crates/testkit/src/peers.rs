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
        Sipp {
            args: vec![
                "-sf".into(),
                path.display().to_string(),
                target.to_string(),
                "-i".into(),
                "127.0.0.1".into(),
                "-p".into(),
                crate::free_port().to_string(),
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
