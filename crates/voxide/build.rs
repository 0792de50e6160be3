//! Lets this package's binaries and tests find libvosk.so at run time: the
//! `voxide-stt` build script finds the library and exports its directory.
//!
//! It also turns on the English speech-to-text test when
//! `VOXIDE_TEST_VOSK_EN_MODEL` names a model (no registry ships one), so
//! that test runs when it can and is listed as ignored, with the reason,
//! when it cannot.
fn main() {
    if let Ok(dir) = std::env::var("DEP_VOSK_LIB_DIR") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
    println!("cargo::rustc-check-cfg=cfg(vosk_en_model)");
    println!("cargo:rerun-if-env-changed=VOXIDE_TEST_VOSK_EN_MODEL");
    if std::env::var_os("VOXIDE_TEST_VOSK_EN_MODEL").is_some_and(|v| !v.is_empty()) {
        println!("cargo:rustc-cfg=vosk_en_model");
    }
}
