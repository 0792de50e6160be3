//! Lets this package's binaries and tests find libvosk.so at run time: the
//! `voxide-stt` build script finds the library and exports its directory.
fn main() {
    if let Ok(dir) = std::env::var("DEP_VOSK_LIB_DIR") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
}
