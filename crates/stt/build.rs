//! Points the linker at libvosk.so.
//!
//! The `vosk` crate links `libvosk` but ships no build script, so the search
//! path comes from here: `VOSK_LIB_DIR`, or the `.tools/vosk/lib` directory
//! that `scripts/deps.sh` fills at the workspace root. The rpath lets this
//! crate's tests and examples run without `LD_LIBRARY_PATH`; link arguments
//! do not reach dependents, so the directory is also exported as
//! `DEP_VOSK_LIB_DIR` for a binary's build script to set its own rpath.

use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=VOSK_LIB_DIR");
    let lib_dir = match env::var_os("VOSK_LIB_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
            // crates/stt -> workspace root
            manifest_dir.join("../../.tools/vosk/lib")
        }
    };
    let lib_dir = lib_dir.canonicalize().unwrap_or(lib_dir);
    let library = lib_dir.join("libvosk.so");
    println!("cargo:rerun-if-changed={}", library.display());
    if !library.is_file() {
        println!(
            "cargo::error=libvosk.so not found in {}; run scripts/deps.sh run (or set VOSK_LIB_DIR)",
            lib_dir.display()
        );
        return;
    }
    println!("cargo:rustc-link-search=native={}", lib_dir.display());
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib_dir.display());
    println!("cargo:lib_dir={}", lib_dir.display());
}
