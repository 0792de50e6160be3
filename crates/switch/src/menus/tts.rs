//! Text spoken by a configured command (e.g. espeak-ng), rendered once to
//! WAV and cached by the text's hash, so a menu's greeting costs one
//! rendering however many callers hear it.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// How text becomes speech.
#[derive(Debug, Clone)]
pub struct Tts {
    /// The program and its arguments; `{out}` is replaced by the WAV to
    /// write and `{text}` by the text. Empty: no text-to-speech.
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
}

impl Tts {
    /// The WAV of `text`, rendered now unless it is cached.
    pub async fn render(&self, text: &str) -> Result<PathBuf, TtsError> {
        let program = self.command.first().ok_or(TtsError::NotConfigured)?;
        let path = self.cache_dir.join(format!("{}.wav", hex::encode(&Sha256::digest(text.as_bytes())[..12])));
        if path.exists() {
            return Ok(path);
        }
        tokio::fs::create_dir_all(&self.cache_dir)
            .await
            .map_err(|e| TtsError::Cache(self.cache_dir.display().to_string(), e))?;
        // Rendered beside its final name and renamed, so a reader never
        // sees half a file.
        let partial = path.with_extension(format!("{}.part", std::process::id()));
        let args: Vec<String> = self.command[1..].iter().map(|a| fill(a, &partial, text)).collect();
        let output = tokio::process::Command::new(program)
            .args(&args)
            .output()
            .await
            .map_err(|e| TtsError::Spawn(program.clone(), e))?;
        if !output.status.success() {
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(TtsError::Failed(program.clone(), String::from_utf8_lossy(&output.stderr).trim().to_string()));
        }
        tokio::fs::rename(&partial, &path).await.map_err(|e| TtsError::Cache(path.display().to_string(), e))?;
        Ok(path)
    }
}

fn fill(arg: &str, out: &Path, text: &str) -> String {
    arg.replace("{out}", &out.display().to_string()).replace("{text}", text)
}
