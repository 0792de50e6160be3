//! Console passwords are users' passwords, hashed and checked by the API
//! crate (`voxide_api::password`), which seed 003's HTTP Basic face shares.

pub use voxide_api::password::{MIN_PASSWORD_LEN, PasswordError, hash_password, verify_password};
