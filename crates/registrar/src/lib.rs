//! The registrar (sans-IO): REGISTER handling with digest authentication
//! (RFC 3261 §10 and §22, RFC 7616), bindings (the location service) and
//! brute-force throttling.
//!
//! Layout: `client` (registering the switch to a carrier), `digest` (challenges, nonces, verification, client side),
//! `location` (AOR → contacts), `register` (the REGISTER procedure),
//! `throttle` (failed attempts per source).

pub mod client;
pub mod digest;
mod location;
mod register;
mod throttle;

pub use location::{Binding, BindingChange, Location};
pub use register::{Account, Accounts, Authenticated, Origin, RegisterOutcome, Registrar, RegistrarConfig};
pub use throttle::Throttle;
