//! Text spoken by a configured command (e.g. espeak-ng), rendered once to
//! WAV and cached by the text's hash, so a menu's greeting costs one
//! rendering however many callers hear it.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// How text becomes speech.
#[derive(Debug, Clone)]
pub struct Tts {
    /// The program and its arguments; `{out}` is replaced by the WAV to
    /// write. The text goes to the program's standard input, so no text can
    /// be taken for an option (an argument `{text}` is refused). Empty: no
    /// text-to-speech.
    pub command: Vec<String>,
    /// Where rendered WAVs are kept.
    pub cache_dir: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum TtsError {
    #[error("no text-to-speech command is configured")]
    NotConfigured,
    #[error("running {0}: {1}")]
    Spawn(String, std::io::Error),
    #[error("{0} failed: {1}")]
    Failed(String, String),
    #[error("cache {0}: {1}")]
    Cache(String, std::io::Error),
    #[error("{0} took longer than {1} s")]
    TimedOut(String, u64),
    #[error("the text-to-speech command may not take the text as an argument ({{text}}); it reads standard input")]
    TextArgument,
}

/// Longest a rendering may take.
const RENDER_LIMIT_SECS: u64 = 30;

impl Tts {
    /// The WAV of `text`, rendered now unless it is cached.
    pub async fn render(&self, text: &str) -> Result<PathBuf, TtsError> {
        let program = self.command.first().ok_or(TtsError::NotConfigured)?;
        if self.command.iter().any(|a| a.contains("{text}")) {
            return Err(TtsError::TextArgument);
        }
        let path = self.cache_dir.join(format!("{}.wav", hex::encode(&Sha256::digest(text.as_bytes())[..12])));
        if path.exists() {
            return Ok(path);
        }
        tokio::fs::create_dir_all(&self.cache_dir)
            .await
            .map_err(|e| TtsError::Cache(self.cache_dir.display().to_string(), e))?;
        // Rendered beside its final name and renamed, so a reader never
        // sees half a file.
        let unique = format!("{}-{:x}.part", std::process::id(), rand_suffix());
        let partial = path.with_extension(unique);
        let args: Vec<String> = self.command[1..].iter().map(|a| fill(a, &partial)).collect();
        let mut child = tokio::process::Command::new(program)
            .args(&args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| TtsError::Spawn(program.clone(), e))?;
        if let Some(mut stdin) = child.stdin.take() {
            use tokio::io::AsyncWriteExt;
            stdin.write_all(text.as_bytes()).await.map_err(|e| TtsError::Spawn(program.clone(), e))?;
        }
        let limit = std::time::Duration::from_secs(RENDER_LIMIT_SECS);
        let output = match tokio::time::timeout(limit, child.wait_with_output()).await {
            Ok(done) => done.map_err(|e| TtsError::Spawn(program.clone(), e))?,
            Err(_) => {
                let _ = tokio::fs::remove_file(&partial).await;
                return Err(TtsError::TimedOut(program.clone(), RENDER_LIMIT_SECS));
            }
        };
        if !output.status.success() {
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(TtsError::Failed(program.clone(), String::from_utf8_lossy(&output.stderr).trim().to_string()));
        }
        tokio::fs::rename(&partial, &path).await.map_err(|e| TtsError::Cache(path.display().to_string(), e))?;
        Ok(path)
    }
}

fn fill(arg: &str, out: &Path) -> String {
    arg.replace("{out}", &out.display().to_string())
}

/// A few random bits for a temporary name (two renderings of one new text
/// at once must not share a file).
fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    h.finish()
}
