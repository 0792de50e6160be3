//! A log-linear histogram of non-negative integers (microseconds here):
//! exact below 64, then 32 buckets per power of two, so any value is
//! within about 3 % of the truth, in a fixed 15 KiB with no allocation
//! per sample.

use serde::Serialize;

const SUB_BITS: u32 = 5;
const SUB: u64 = 1 << SUB_BITS;
const BUCKETS: usize = ((64 - SUB_BITS as usize) * SUB as usize) + SUB as usize;

#[derive(Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max: u64,
    sum: u128,
}

impl Default for Histogram {
    fn default() -> Self {
        Self { counts: vec![0; BUCKETS], total: 0, max: 0, sum: 0 }
    }
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Histogram").field("total", &self.total).field("max", &self.max).finish()
    }
}

fn index(v: u64) -> usize {
    if v < 2 * SUB {
        return v as usize;
    }
    let msb = 63 - v.leading_zeros();
    let shift = msb - SUB_BITS;
    let sub = (v >> shift) - SUB;
    ((u64::from(shift) + 1) * SUB + sub) as usize
}

/// The middle of bucket `i`.
fn value(i: usize) -> u64 {
    let i = i as u64;
    if i < 2 * SUB {
        return i;
    }
    let shift = i / SUB - 1;
    let low = (SUB + i % SUB) << shift;
    low + ((1u64 << shift) - 1) / 2
}

/// Percentiles of a histogram, in the unit the samples were recorded in
/// divided by `scale` (µs samples with scale 1000 give ms).
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Summary {
    pub count: u64,
    pub mean: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Histogram {
    pub fn record(&mut self, v: u64) {
        self.counts[index(v)] += 1;
        self.total += 1;
        self.max = self.max.max(v);
        self.sum += u128::from(v);
    }

    #[cfg(test)]
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The value at or below which `p` percent of the samples lie.
    pub fn percentile(&self, p: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((p / 100.0) * self.total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return value(i).min(self.max);
            }
        }
        self.max
    }

    pub fn summary(&self, scale: f64) -> Summary {
        let mean = if self.total == 0 { 0.0 } else { self.sum as f64 / self.total as f64 };
        Summary {
            count: self.total,
            mean: mean / scale,
            p50: self.percentile(50.0) as f64 / scale,
            p95: self.percentile(95.0) as f64 / scale,
            p99: self.percentile(99.0) as f64 / scale,
            max: self.max as f64 / scale,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_contiguous_and_monotonic() {
        let mut last = 0;
        for v in [0u64, 1, 63, 64, 65, 127, 128, 1000, 1 << 20, u64::MAX] {
            let i = index(v);
            assert!(i >= last && i < BUCKETS, "{v} -> {i}");
            last = i;
        }
        assert_eq!(index(63) + 1, index(64));
        for v in [64u64, 100, 5000, 123_456_789] {
            let mid = value(index(v));
            assert!((mid as f64 - v as f64).abs() / v as f64 <= 0.04, "{v} ~ {mid}");
        }
    }

    #[test]
    fn percentiles_of_a_uniform_spread() {
        let mut h = Histogram::default();
        for v in 1..=10_000u64 {
            h.record(v);
        }
        let s = h.summary(1.0);
        assert_eq!(s.count, 10_000);
        assert!((s.p50 - 5000.0).abs() < 200.0, "{s:?}");
        assert!((s.p99 - 9900.0).abs() < 350.0, "{s:?}");
        assert_eq!(s.max, 10_000.0);
        assert!((s.mean - 5000.5).abs() < 1e-6);
        assert_eq!(Histogram::default().summary(1.0), Summary::default());
    }
}
