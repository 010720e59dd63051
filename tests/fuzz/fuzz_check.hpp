#pragma once
/// What the fuzz targets share: FUZZ_CHECK, an invariant that aborts (so libFuzzer saves the input
/// as a crash artifact) with the expression and the place.
#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                                \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)
