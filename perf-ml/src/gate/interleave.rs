//! The run order of an A/B gate: the reference (A) and the judged target (B) each run
//! `k` times, interleaved in counterbalanced pairs — A B, B A, A B, … — so that drift of
//! the machine (a neighbour, thermal state, a cache filling) falls on both sides alike
//! and a linear drift cancels within each pair of pairs (Chromium Pinpoint's practice).

/// The two sides of an A/B gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// A: the reference.
    Reference,
    /// B: the target judged against it.
    Candidate,
}

/// The order of `2k` runs: counterbalanced pairs A B, B A, A B, …
pub fn order(k: usize) -> impl Iterator<Item = Side> {
    (0..k).flat_map(|pair| {
        if pair % 2 == 0 {
            [Side::Reference, Side::Candidate]
        } else {
            [Side::Candidate, Side::Reference]
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_alternate_in_counterbalanced_pairs() {
        use Side::{Candidate as B, Reference as A};
        let o: Vec<Side> = order(3).collect();
        assert_eq!(o, [A, B, B, A, A, B]);
        assert_eq!(order(5).filter(|s| *s == A).count(), 5);
        assert_eq!(order(5).filter(|s| *s == B).count(), 5);
        // A linear drift d·t over four runs A B B A: both sides sum to the same 3d.
        let t_of = |side| {
            order(2)
                .enumerate()
                .filter(|(_, s)| *s == side)
                .map(|(t, _)| t)
                .sum::<usize>()
        };
        assert_eq!(t_of(A), t_of(B));
    }
}
