#!/usr/bin/env bash
# Import circles between modules: for every folder of every crate's src/, which of its
# sibling modules (files and sub-folders) use which (`crate::path::sibling` or
# `super::sibling`, outside comments and `#[cfg(test)]` code); the edges go to
# coreutils' `tsort`, which names any loop. Exit 1 when there is one.
#
#   bash scripts/module-cycles.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# The code of a file without its tests and comment lines.
code() { awk '/#\[cfg\(test\)\]/ { exit } { print }' "$1" | grep -v '^[[:space:]]*//' || true; }

status=0
for src in */src; do
  while IFS= read -r dir; do
    rel=${dir#"$src"}
    rel=${rel#/}
    prefix="crate::${rel//\//::}${rel:+::}"
    mapfile -t mods < <(
      find "$dir" -mindepth 1 -maxdepth 1 \( -name '*.rs' -o -type d \) \
        ! -name mod.rs ! -name lib.rs ! -name main.rs -printf '%f\n' | sed 's/\.rs$//' | sort
    )
    [ "${#mods[@]}" -gt 1 ] || continue
    edges=""
    for m in "${mods[@]}"; do
      if [ -f "$dir/$m.rs" ]; then files=("$dir/$m.rs"); else mapfile -t files < <(find "$dir/$m" -name '*.rs'); fi
      for f in "${files[@]}"; do
        # `super::` from this file up to `dir`: one step per folder below it, one more
        # unless the file is a folder's mod.rs.
        sub=${f#"$dir/"}
        depth=$(tr -cd '/' <<<"$sub" | wc -c)
        [ "$(basename "$f")" = mod.rs ] || depth=$((depth + 1))
        [ "$depth" -ge 1 ] || depth=1
        up=$(printf 'super::%.0s' $(seq "$depth"))
        body=$(code "$f")
        for o in "${mods[@]}"; do
          [ "$o" != "$m" ] || continue
          if grep -qE "(${prefix}${o}|(^|[^:a-z_])${up}${o})\b" <<<"$body"; then
            edges+="$m $o"$'\n'
          fi
        done
      done
    done
    [ -n "$edges" ] || continue
    if ! out=$(sort -u <<<"$edges" | tsort 2>&1 >/dev/null); then
      echo "import circle in $dir:"
      sed 's/^tsort: /  /' <<<"$out"
      status=1
    fi
  done < <(find "$src" -type d)
done
[ "$status" = 0 ] && echo "no import circles between modules"
exit "$status"
