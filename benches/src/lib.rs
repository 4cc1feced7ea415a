//! Criterion benchmarks of the hot paths; see `benches/` and BENCHMARKS.md.
//!
//! This library is empty on purpose: the crate exists for its `[[bench]]` targets, and
//! `cargo bench -p benches` runs them all.
