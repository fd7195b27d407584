//! The reconnection delay of the reference client: exponential (factor 2) between
//! `min` and `max`, randomised by `jitter`.
use std::time::Duration;

use rand::Rng;

/// Exponential backoff with jitter.
#[derive(Debug, Clone)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    jitter: f64,
    attempts: u32,
}

impl Backoff {
    /// A backoff between `min` and `max` with `jitter` in `0.0..=1.0`.
    pub fn new(min: Duration, max: Duration, jitter: f64) -> Self {
        Backoff { min, max, jitter: jitter.clamp(0.0, 1.0), attempts: 0 }
    }

    /// Changes the bounds and jitter (the attempt count stays).
    pub fn set(&mut self, min: Duration, max: Duration, jitter: f64) {
        *self = Backoff { min, max, jitter: jitter.clamp(0.0, 1.0), attempts: self.attempts };
    }

    /// Attempts made since the last reset.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Starts over.
    pub fn reset(&mut self) {
        self.attempts = 0;
    }

    /// The delay before the next attempt (and counts it).
    pub fn duration(&mut self) -> Duration {
        let base = self.min.as_millis() as f64 * 2f64.powi(self.attempts.min(62) as i32);
        self.attempts += 1;
        let mut ms = base;
        if self.jitter > 0.0 {
            let rand: f64 = rand::rng().random();
            let deviation = (rand * self.jitter * ms).floor();
            ms = if ((rand * 10.0).floor() as u64) & 1 == 0 { ms - deviation } else { ms + deviation };
        }
        Duration::from_millis(ms.min(self.max.as_millis() as f64).max(0.0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_exponentially_within_bounds() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(1000), 0.0);
        let d: Vec<u64> = (0..6).map(|_| b.duration().as_millis() as u64).collect();
        assert_eq!(d, vec![100, 200, 400, 800, 1000, 1000]);
        b.reset();
        assert_eq!(b.duration(), Duration::from_millis(100));
    }

    #[test]
    fn jitter_stays_within_the_factor() {
        let mut b = Backoff::new(Duration::from_millis(1000), Duration::from_millis(5000), 0.5);
        for _ in 0..200 {
            b.reset();
            let d = b.duration().as_millis();
            assert!((500..=1500).contains(&d), "{d}");
        }
    }
}
