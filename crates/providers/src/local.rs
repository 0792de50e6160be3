//! In-process number pool.
//!
//! Used in development, demos and tests, and by installs that assign numbers
//! they obtained out of band. Ownership lives in memory only; the database
//! behind the admin API is the durable record, and
//! [`LocalProvider::restore_owned`] re-seeds the pool from it at start-up.

use std::collections::BTreeSet;
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::number::{clamp_limit, normalize_number, validate_npa, validate_sms_body};
use crate::{AvailableNumber, LocalConfig, ProviderError};

/// A fixed pool of numbers; purchases are tracked in memory.
#[derive(Debug)]
pub struct LocalProvider {
    /// Every number of the pool, normalised. A `BTreeSet` keeps search
    /// results in a stable, sorted order and removes duplicates.
    pool: BTreeSet<String>,
    monthly_cost: f64,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    owned: BTreeSet<String>,
}

impl LocalProvider {
    /// Builds the pool from `config`.
    ///
    /// # Errors
    /// [`ProviderError::Config`] if a configured number is malformed or the
    /// monthly cost is negative or not finite: a typo in the pool should stop
    /// start-up rather than silently shrink what is offered.
    pub fn new(config: &LocalConfig) -> Result<Self, ProviderError> {
        if !config.monthly_cost.is_finite() || config.monthly_cost < 0.0 {
            return Err(ProviderError::Config(format!(
                "local monthly_cost must be a non-negative amount, got {}",
                config.monthly_cost
            )));
        }
        let pool = config
            .numbers
            .iter()
            .map(|n| {
                normalize_number(n)
                    .map_err(|_| ProviderError::Config(format!("local pool number {n:?} is not a NANP number")))
            })
            .collect::<Result<BTreeSet<_>, _>>()?;
        Ok(Self { pool, monthly_cost: config.monthly_cost, state: Mutex::new(State::default()) })
    }

    /// Locks the state. The state is a plain set that every
    /// critical section leaves consistent, so a poisoned lock is still safe
    /// to use and recovering beats failing every later request.
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Size of the whole pool, owned numbers included.
    pub fn pool_size(&self) -> usize {
        self.pool.len()
    }

    /// Numbers currently owned, sorted.
    pub fn owned(&self) -> Vec<String> {
        self.state().owned.iter().cloned().collect()
    }

    /// Lists up to `limit` unowned numbers, optionally within area code
    /// `npa`, in ascending order.
    ///
    /// # Errors
    /// [`ProviderError::InvalidInput`] for a malformed area code.
    pub fn search(&self, npa: Option<&str>, limit: u32) -> Result<Vec<AvailableNumber>, ProviderError> {
        let prefix = match npa {
            Some(npa) => format!("1{}", validate_npa(npa)?),
            None => String::new(),
        };
        let limit = usize::try_from(clamp_limit(limit)).unwrap_or(usize::MAX);
        let state = self.state();
        Ok(self
            .pool
            .iter()
            .filter(|n| n.starts_with(&prefix) && !state.owned.contains(*n))
            .take(limit)
            .map(|n| AvailableNumber { number: n.clone(), monthly_cost: self.monthly_cost })
            .collect())
    }

    /// Marks `number` as owned.
    ///
    /// # Errors
    /// [`ProviderError::InvalidInput`] for a malformed number;
    /// [`ProviderError::NotAvailable`] if it is outside the pool or already
    /// owned.
    pub fn purchase(&self, number: &str) -> Result<(), ProviderError> {
        let number = normalize_number(number)?;
        if !self.pool.contains(&number) {
            return Err(ProviderError::NotAvailable(number));
        }
        let mut state = self.state();
        if !state.owned.insert(number.clone()) {
            return Err(ProviderError::NotAvailable(number));
        }
        tracing::info!(%number, "local pool: number purchased");
        Ok(())
    }

    /// Returns `number` to the pool.
    ///
    /// # Errors
    /// [`ProviderError::InvalidInput`] for a malformed number;
    /// [`ProviderError::NotOwned`] if it is not currently owned.
    pub fn release(&self, number: &str) -> Result<(), ProviderError> {
        let number = normalize_number(number)?;
        if !self.state().owned.remove(&number) {
            return Err(ProviderError::NotOwned(number));
        }
        tracing::info!(%number, "local pool: number released");
        Ok(())
    }

    /// Refuses: the pool has no carrier behind it, so a message could only
    /// be pretended sent. Input is still checked first, so a caller learns
    /// about a bad number or body before learning that SMS needs a carrier.
    ///
    /// # Errors
    /// [`ProviderError::InvalidInput`] for bad numbers or body, otherwise
    /// always [`ProviderError::Unsupported`].
    pub fn send_sms(&self, from: &str, to: &str, body: &str) -> Result<String, ProviderError> {
        normalize_number(from)?;
        normalize_number(to)?;
        validate_sms_body(body)?;
        Err(ProviderError::Unsupported {
            provider: "local",
            what: "the local number pool cannot send SMS to outside numbers; configure a carrier such as Flowroute",
        })
    }

    /// Marks numbers the database already records as owned. Numbers outside
    /// the pool or malformed are skipped: they may have been assigned by hand
    /// and are simply never offered. Returns how many were newly marked.
    pub fn restore_owned<I, S>(&self, numbers: I) -> usize
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut state = self.state();
        numbers
            .into_iter()
            .filter_map(|n| normalize_number(n.as_ref()).ok())
            .filter(|n| self.pool.contains(n))
            .filter(|n| state.owned.insert(n.clone()))
            .count()
    }
}
