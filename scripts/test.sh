#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the tests need when it is
# missing, then checks formatting and lints, runs every test, and compiles the benches.
#
#   bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "format"
cargo fmt --all --check
step "lints"
cargo clippy --workspace --all-targets --release -- -D warnings
step "tests (release: the load tests measure real throughput)"
cargo test --workspace --release
step "benches compile"
cargo bench --workspace --no-run
