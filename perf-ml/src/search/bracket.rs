//! What the measured points prove without a model: the highest passing load below the
//! lowest failing one. Bisection and the ramp use only this; the GP search starts from
//! it until it has three points to fit.

/// The bracket in normalised log-load `u ∈ [0, 1]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bracket {
    /// Highest passing point below `hi`, or 0 (not measured).
    pub lo: f64,
    /// Lowest failing point, or 1 (not measured).
    pub hi: f64,
    /// Whether `lo` was measured.
    pub lo_measured: bool,
    /// Whether `hi` was measured.
    pub hi_measured: bool,
}

impl Bracket {
    /// From `(u, pass)` pairs of usable points.
    pub fn new(points: &[(f64, bool)]) -> Self {
        let fail = points.iter().filter(|p| !p.1).map(|p| p.0).reduce(f64::min);
        let hi = fail.unwrap_or(1.0);
        let pass = points
            .iter()
            .filter(|p| p.1 && p.0 < hi)
            .map(|p| p.0)
            .reduce(f64::max);
        Self {
            lo: pass.unwrap_or(0.0),
            hi,
            lo_measured: pass.is_some(),
            hi_measured: fail.is_some(),
        }
    }

    /// The middle in log-load: the bisection step.
    pub fn mid(&self) -> f64 {
        0.5 * (self.lo + self.hi)
    }
}

/// The `k`-th of `steps` geometric ramp steps across the range, in `u`.
pub fn ramp_step(k: usize, steps: usize) -> f64 {
    if steps <= 1 {
        0.0
    } else {
        (k as f64 / (steps - 1) as f64).min(1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bracket_uses_the_lowest_failure_and_the_highest_pass_below_it() {
        let b = Bracket::new(&[(0.5, true), (0.75, false), (0.6, true), (0.9, true)]);
        assert_eq!(
            (b.lo, b.hi, b.lo_measured, b.hi_measured),
            (0.6, 0.75, true, true)
        );
        let open = Bracket::new(&[(0.5, true)]);
        assert_eq!((open.lo, open.hi, open.hi_measured), (0.5, 1.0, false));
        assert_eq!(open.mid(), 0.75);
        let none = Bracket::new(&[]);
        assert!(!none.lo_measured && !none.hi_measured && none.mid() == 0.5);
        assert_eq!(ramp_step(0, 5), 0.0);
        assert_eq!(ramp_step(4, 5), 1.0);
    }
}
