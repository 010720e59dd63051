#!/usr/bin/env bash
# Installs every Debian package dfkd needs and builds the MNIST data: the full set in data/mnist/
# and the 10,000-digit subset in data/mnist-subset/ (idempotent: does nothing when all are present).
# libopenblas0-openmp matters: without it Debian's LibTorch runs matmuls on the reference BLAS
# (about 14x slower here).
# clang-14: the compiler of scripts/build.sh and the sanitizer stage (GCC works too, slower: see
# build.sh); libclang-rt-14-dev: libFuzzer and the sanitizer runtimes; llvm-14: llvm-symbolizer for
# their reports.
# clang-format-14: the style check (ctest format, .clang-format).
# chromium: the test suite opens `dfkd report`'s HTML in headless Chromium (tests/report_site_test.cpp).
# python3-torch and libjemalloc2 are for bench/ (the plain-PyTorch side of
# bench/compare.sh and the bench_smoke test; about 170 MB on top of the rest, which already has
# LibTorch).
set -euo pipefail
packages=(
  cmake g++ ninja-build git
  libtorch-dev libopenblas0-openmp
  libboost-dev libboost-filesystem-dev
  nlohmann-json3-dev libsqlite3-dev libsqlitecpp-dev sqlite3 libssl-dev
  libfmt-dev libcli11-dev libgtest-dev libjemalloc-dev
  gnuplot-nox
  zlib1g-dev dataset-fashion-mnist
  clang-14 libclang-rt-14-dev llvm-14 clang-format-14
  python3-torch libjemalloc2
  chromium
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# MNIST (docs/data.md): the subset (option variant "subset": smoke profiles, tests) and the full
# 60,000/10,000 set (the default: quick, cpu and paper profiles). The subset first: an older
# checkout's data/mnist holds it, and mnist-full.sh replaces that.
bash "$(dirname "$0")/mnist-subset.sh"
bash "$(dirname "$0")/mnist-full.sh"
