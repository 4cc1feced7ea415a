//! Criterion benchmarks of the hot paths; see `benches/` and BENCHMARKS.md.
//!
//! `cargo bench -p benches` runs them all. The library holds what several benchmark
//! binaries share: [`families`], the synthetic targets of the search's benchmarks.

pub mod families;
