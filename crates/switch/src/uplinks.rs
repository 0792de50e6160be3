//! Registrations of the switch to carriers: one sans-IO REGISTER client per
//! trunk with `register = true`, driven by the housekeeping tick, its
//! REGISTERs sent through the transaction layer like any request.

use std::collections::HashMap;
use std::time::Instant;

use rsip::Response;
use voxide_registrar::client::{ClientState, RegisterClient};
use voxide_sip::transaction::TransactionKey;

use crate::calls::Trunk;
use crate::driver::Driver;

/// A carrier registration and the trunk it belongs to.
pub(crate) struct Uplink {
    pub(crate) trunk: Trunk,
    pub(crate) client: RegisterClient,
}

/// Uplinks and the branches of their REGISTERs in flight.
#[derive(Default)]
pub(crate) struct Uplinks {
    pub(crate) list: Vec<Uplink>,
    pub(crate) in_flight: HashMap<String, usize>,
}

impl Driver {
    /// Sends the REGISTERs that are due.
    pub(crate) fn register_uplinks(&mut self, now: Instant) {
        for i in 0..self.uplinks.list.len() {
            let branch = format!("z9hG4bK{}", voxide_sip::response::random_token());
            let Some(req) = self.uplinks.list[i].client.poll_request(now, &branch) else { continue };
            let flow = (self.uplinks.list[i].trunk.addr, self.uplinks.list[i].trunk.transport);
            match self.layer.send_request(now, req, flow.1.is_reliable()) {
                Ok(key) => {
                    self.peers.insert(key, flow);
                    self.uplinks.in_flight.insert(branch, i);
                }
                Err(e) => tracing::warn!(cause = %e, "could not send a carrier REGISTER"),
            }
        }
    }

    /// Whether `key` is one of our REGISTERs; handles its response if so.
    pub(crate) fn uplink_response(&mut self, now: Instant, key: &TransactionKey, resp: &Response) -> bool {
        let Some(&i) = self.uplinks.in_flight.get(key.branch()) else { return false };
        let status = u16::from(resp.status_code.clone());
        if status < 200 {
            return true;
        }
        self.uplinks.in_flight.remove(key.branch());
        let uplink = &mut self.uplinks.list[i];
        uplink.client.on_response(now, resp);
        match uplink.client.state() {
            ClientState::Registered { expires } => {
                tracing::info!(trunk = %uplink.trunk.name, expires, "registered to carrier")
            }
            ClientState::Failed { status } => {
                tracing::warn!(trunk = %uplink.trunk.name, status, "carrier refused our registration")
            }
            ClientState::Idle | ClientState::Waiting => {}
        }
        self.register_uplinks(now);
        true
    }

    /// Whether `key` was one of our REGISTERs that timed out.
    pub(crate) fn uplink_timeout(&mut self, now: Instant, key: &TransactionKey) -> bool {
        let Some(i) = self.uplinks.in_flight.remove(key.branch()) else { return false };
        let uplink = &mut self.uplinks.list[i];
        tracing::warn!(trunk = %uplink.trunk.name, "carrier did not answer our REGISTER");
        uplink.client.on_timeout(now);
        true
    }
}
