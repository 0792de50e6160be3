//! Live events: the switch publishes what happens (calls, registrations)
//! on an [`EventBus`]; API clients subscribe per tenant and resume after a
//! disconnect with the last sequence number they saw.
//!
//! Each tenant has its own sequence (1, 2, 3, … since the switch started)
//! and a bounded buffer of its latest events. Nothing is dropped silently:
//! when a reader asks for, or falls behind past, events the buffer no
//! longer holds, it gets a `gap` event naming the lost seqs and goes on.
//!
//! Layout: `event` (the JSON shape and the kinds), `bus` (publishing,
//! buffers, subscribing), `subscription` (replay, then live, with no
//! duplicates or holes between them), `webhook` (signed, retried HTTP
//! callbacks carrying events to URLs their owners named).

mod bus;
mod event;
mod subscription;
pub mod webhook;

pub use bus::{DEFAULT_BUFFER, EventBus};
pub use event::{Event, EventKind};
pub use subscription::Subscription;
pub use webhook::{CallbackError, RetryPolicy, SIGNATURE_HEADER, Webhooks, signature};

#[cfg(test)]
mod tests;
