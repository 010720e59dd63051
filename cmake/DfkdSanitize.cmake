# DFKD_SANITIZE=ON: every dfkd target (host, SDK, plugins, tests) is built with AddressSanitizer and
# UndefinedBehaviorSanitizer; any report aborts the process (-fno-sanitize-recover), so a test that
# triggers one fails. LibTorch, Boost, SQLite... are Debian's uninstrumented libraries: only dfkd's
# own code is checked. scripts/test-sanitize.sh builds this into build-asan/ and runs the tests.
option(DFKD_SANITIZE "Build with -fsanitize=address,undefined (scripts/test-sanitize.sh)" OFF)
if(DFKD_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
