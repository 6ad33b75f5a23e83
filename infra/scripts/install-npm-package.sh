#!/usr/bin/env bash
# Usage: install-npm-package.sh <name> <version> <sha512 integrity> <dest>
# Downloads one pinned package from the npm registry (no node needed), checks it against the
# registry's published `sha512-…` integrity, and unpacks its files into <dest>.
set -euo pipefail
name=$1 version=$2 integrity=$3 dest=$4
work=$(mktemp -d -t npm-package.XXXXXX)
trap 'rm -rf "$work"' EXIT
curl --fail --silent --show-error --location --output "$work/package.tgz" \
  "https://registry.npmjs.org/$name/-/${name##*/}-$version.tgz"
actual="sha512-$(openssl dgst -sha512 -binary "$work/package.tgz" | base64 -w0)"
[ "$actual" = "$integrity" ] || { echo "$name@$version: integrity $actual, expected $integrity" >&2; exit 1; }
tar -xzf "$work/package.tgz" -C "$work"
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
mv "$work/package" "$dest"
