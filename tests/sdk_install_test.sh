#!/usr/bin/env bash
# Out-of-tree SDK test (ctest `sdk_install`): installs the SDK of a dfkd build tree into a temp
# prefix, builds examples/out_of_tree_plugin against it with find_package(dfkd), then checks that
# the host loads the result: `dfkd plugins --json` must list it (or, when no dfkd executable is
# given, the host test PluginHost.LoadsTheFileNamedByTheEnvironment must pass on it).
#
# Usage: sdk_install_test.sh <source dir> <build dir> <dfkd executable|-> <dfkd_tests executable>
# Environment: CMAKE_COMMAND (default cmake), DFKD_CMAKE_GENERATOR (default: cmake's default).
set -euo pipefail
src=$1 build=$2 dfkd=$3 tests=$4
cmake=${CMAKE_COMMAND:-cmake}
name=example_logit_norm

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dfkd_sdk_install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
tmp=$(realpath "$tmp")  # the host reports canonical plugin paths
run() {  # runs a step quietly, showing its output only when it fails
  local log=$tmp/step.log
  if ! "$@" >"$log" 2>&1; then
    echo "sdk_install_test: FAILED: $*" >&2
    cat "$log" >&2
    exit 1
  fi
}

echo "== install the SDK into $tmp/prefix"
run "$cmake" --install "$build" --prefix "$tmp/prefix"
test -f "$tmp/prefix/include/dfkd/plugin.hpp"

echo "== configure and build examples/out_of_tree_plugin against it"
generator=()
[[ -n ${DFKD_CMAKE_GENERATOR:-} ]] && generator=(-G "$DFKD_CMAKE_GENERATOR")
run "$cmake" -S "$src/examples/out_of_tree_plugin" -B "$tmp/example" "${generator[@]}" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$tmp/prefix"
# The example must have found the installed package, not a build tree or a system copy.
grep -q "dfkd_DIR:PATH=$tmp/prefix/" "$tmp/example/CMakeCache.txt" || {
  echo "sdk_install_test: the example did not use the installed SDK:" >&2
  grep dfkd_DIR "$tmp/example/CMakeCache.txt" >&2
  exit 1
}
run "$cmake" --build "$tmp/example"
plugin=$tmp/example/plugins/regularizer/$name.so
test -f "$plugin" || { echo "sdk_install_test: $plugin was not built" >&2; exit 1; }

echo "== load it through the host"
if [[ $dfkd != - && -x $dfkd ]]; then
  json=$(DFKD_PLUGIN_PATH="$tmp/example/plugins" "$dfkd" plugins --json)
  if command -v jq >/dev/null; then
    if ! jq -e --arg n "$name" --arg f "$plugin" \
        '.plugins[] | select(.name == $n and .kind == "regularizer" and .file == $f)' \
        <<<"$json" >/dev/null; then
      echo "sdk_install_test: '$name' is not listed by dfkd plugins --json:" >&2
      echo "$json" >&2
      exit 1
    fi
  elif ! grep -q "\"name\": \"$name\"" <<<"$json"; then
    echo "sdk_install_test: '$name' is not listed by dfkd plugins --json:" >&2
    echo "$json" >&2
    exit 1
  fi
else
  out=$(DFKD_EXPECT_PLUGIN_FILE=$plugin "$tests" \
          --gtest_filter=PluginHost.LoadsTheFileNamedByTheEnvironment 2>&1) || {
    echo "$out" >&2
    exit 1
  }
  grep -q "PASSED.* 1 test" <<<"$out" && ! grep -q "SKIPPED" <<<"$out" || {
    echo "$out" >&2
    exit 1
  }
fi
echo "sdk_install_test: OK ($plugin)"
