#!/usr/bin/env bash
# The style, checked: every tracked C++ file is as clang-format-14 formats it with the
# repository's .clang-format (Google, 100 columns). Usage: format_test.sh SOURCE_DIR
# Fix with: clang-format-14 -i $(git ls-files '*.cpp' '*.hpp')
set -euo pipefail
root=${1:?usage: format_test.sh SOURCE_DIR}
cd "$root"
if ! command -v clang-format-14 > /dev/null; then
  echo "format: clang-format-14 not installed (bash scripts/setup.sh installs it)"
  exit 77
fi
# From git when this is a checkout, else every C++ file under the source folders.
if git rev-parse --is-inside-work-tree > /dev/null 2>&1; then
  mapfile -t files < <(git ls-files '*.cpp' '*.hpp')
else
  mapfile -t files < <(find host sdk plugins tests examples bench -name '*.cpp' -o -name '*.hpp')
fi
if ! clang-format-14 --dry-run -Werror "${files[@]}" 2> /tmp/dfkd-format.$$; then
  grep -E '^[^ ].*: error:' /tmp/dfkd-format.$$ | cut -d: -f1 | sort | uniq -c | \
    awk '{print "format: " $2 ": " $1 " line(s) differ from clang-format-14"}'
  rm -f /tmp/dfkd-format.$$
  echo "format: run clang-format-14 -i \$(git ls-files '*.cpp' '*.hpp')"
  exit 1
fi
rm -f /tmp/dfkd-format.$$
echo "format: ${#files[@]} files as clang-format-14 formats them (ok)"
