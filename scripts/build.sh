#!/usr/bin/env bash
# Set-up + Release build into ./build (Ninja, all cores), with clang++-14: GCC redoes the
# LibTorch precompiled header's template instantiations in every translation unit (about 10 s
# each, over 100 units); clang does them once, in the header (CMake's PCH_INSTANTIATE_TEMPLATES).
# GCC builds the same tree (cmake -S . -B build-gcc -G Ninja), only slower: docs/testing.md has
# the numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_COMPILER=clang++-14 >/dev/null
cmake --build build --parallel "$(nproc)"
