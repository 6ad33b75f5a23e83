#!/usr/bin/env bash
# Usage: prune-target.sh <cargo target dir>
# A fresh clone builds the workspace's own crates under new hashes (the checkout's path is part
# of them), so a target dir shared between clones gathers one copy of every workspace artifact
# and test binary per clone, and fills the disk. This removes the workspace's artifacts that no
# build touched for three hours, and the incremental caches; dependencies stay.
set -euo pipefail
target=$1
deps=$target/debug/deps
[ -d "$deps" ] || exit 0
names=$(cargo metadata --no-deps --format-version 1 | python3 -c '
import json, sys
meta = json.load(sys.stdin)
print("\n".join(sorted({t["name"].replace("-", "_") for p in meta["packages"] for t in p["targets"]})))')
for name in $names; do
  find "$deps" -maxdepth 1 -type f \( -name "$name-*" -o -name "lib$name-*" \) -mmin +180 -delete
done
rm -rf "$target/debug/incremental"
