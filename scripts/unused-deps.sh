#!/usr/bin/env bash
# Unused dependencies, found the way cargo-machete finds them: a dependency of a crate
# whose name (with - as _) appears in none of that crate's Rust files is reported, and
# the script fails. perf-scenarios also compiles scenarios/*.rs and plugins/*.rs.
#
#   bash scripts/unused-deps.sh
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
for toml in */Cargo.toml; do
  crate=$(dirname "$toml")
  sources=("$crate")
  [ "$crate" = perf-scenarios ] && sources+=(scenarios plugins)
  # Names in [dependencies], [dev-dependencies] and [build-dependencies].
  deps=$(awk '
    /^\[/ { in_deps = ($0 ~ /^\[(dev-|build-)?dependencies\]$/); next }
    in_deps && /^[A-Za-z0-9_-]+[ \t]*[.=]/ { sub(/[ \t]*[.=].*/, ""); print }
  ' "$toml")
  for dep in $deps; do
    ident=${dep//-/_}
    if ! grep -rqE "\b${ident}\b" --include='*.rs' "${sources[@]}"; then
      echo "$crate: '$dep' is a dependency that no Rust file of the crate names" >&2
      status=1
    fi
  done
done
[ $status = 0 ] && echo "no unused dependencies"
exit $status
