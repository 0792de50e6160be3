//! Soak runs: a fixed load for a long time with the switch's RSS sampled
//! at an interval, and whether memory stayed flat. The first fifth of the
//! run is warm-up (pools, caches and buffers filling); after it, the mean
//! RSS of the last third must be within `FLAT_GROWTH_PCT` of the mean of
//! the first third, and the fitted slope is reported per hour.

use serde::Serialize;

/// Growth of the late samples over the early ones still called flat.
pub const FLAT_GROWTH_PCT: f64 = 5.0;

/// The switch's RSS over a soak run.
#[derive(Debug, Default, Clone, Serialize)]
pub struct RssSeries {
    /// (seconds since the calls began, RSS in KiB, calls in progress)
    pub samples: Vec<(f64, u64, usize)>,
}

/// What a soak run found.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Verdict {
    pub samples: usize,
    pub warm_rss_kb: f64,
    pub late_rss_kb: f64,
    pub growth_pct: f64,
    /// Least-squares slope of RSS after warm-up.
    pub slope_kb_per_hour: f64,
    pub flat: bool,
}

impl RssSeries {
    pub fn push(&mut self, secs: f64, rss_kb: u64, active: usize) {
        self.samples.push((secs, rss_kb, active));
    }

    /// `None` with fewer than six samples after warm-up.
    pub fn verdict(&self) -> Option<Verdict> {
        let warm = self.samples.len() / 5;
        let kept: Vec<(f64, f64)> = self.samples[warm..].iter().map(|&(t, rss, _)| (t, rss as f64)).collect();
        if kept.len() < 6 {
            return None;
        }
        let third = kept.len() / 3;
        let mean = |s: &[(f64, f64)]| s.iter().map(|p| p.1).sum::<f64>() / s.len() as f64;
        let (early, late) = (mean(&kept[..third]), mean(&kept[kept.len() - third..]));
        let growth_pct = (late - early) / early * 100.0;
        Some(Verdict {
            samples: self.samples.len(),
            warm_rss_kb: early,
            late_rss_kb: late,
            growth_pct,
            slope_kb_per_hour: slope(&kept) * 3600.0,
            flat: growth_pct < FLAT_GROWTH_PCT,
        })
    }
}

/// Least-squares slope of y over x.
fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    let (mx, my) = (points.iter().map(|p| p.0).sum::<f64>() / n, points.iter().map(|p| p.1).sum::<f64>() / n);
    let cov: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let var: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    if var > 0.0 { cov / var } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(rss: impl Fn(f64) -> f64) -> RssSeries {
        let mut s = RssSeries::default();
        for i in 0..60 {
            let t = i as f64 * 60.0;
            s.push(t, rss(t) as u64, 200);
        }
        s
    }

    #[test]
    fn memory_that_levels_off_after_warm_up_is_flat() {
        // Fills up in the first ten minutes, then only noise.
        let v = series(|t| 40_000.0 + 20_000.0 * (t / 600.0).min(1.0) + (t * 7.0) % 300.0).verdict().unwrap();
        assert!(v.flat, "{v:?}");
        assert!(v.growth_pct.abs() < 1.0, "{v:?}");
        assert_eq!(v.samples, 60);
    }

    #[test]
    fn a_leak_is_not_flat_and_its_rate_is_measured() {
        // 10 MiB an hour on top of 60 MiB.
        let v = series(|t| 61_440.0 + 10_240.0 * t / 3600.0).verdict().unwrap();
        assert!(!v.flat, "{v:?}");
        assert!((v.slope_kb_per_hour - 10_240.0).abs() < 1.0, "{v:?}");
    }

    #[test]
    fn too_few_samples_give_no_verdict() {
        let mut s = RssSeries::default();
        for i in 0..5 {
            s.push(i as f64, 1000, 1);
        }
        assert_eq!(s.verdict(), None);
    }
}
