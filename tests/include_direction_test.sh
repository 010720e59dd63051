#!/usr/bin/env bash
# The layering, checked: plugins include only the SDK (<dfkd/...>) and their own folder; the SDK
# includes neither the host nor any plugin. Usage: include_direction_test.sh SOURCE_DIR
set -euo pipefail
root=${1:?usage: include_direction_test.sh SOURCE_DIR}
cd "$root"
host_dirs=$(find host/src -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | paste -sd'|')
fail=0
report() { echo "include direction: $1"; fail=1; }

# Plugins: no host header (host/src/<dir>/...), by any spelling.
while IFS= read -r hit; do
  report "a plugin includes a host header: $hit (plugins see only the SDK, <dfkd/...>)"
done < <(grep -rnE "^\s*#\s*include\s*[\"<]((${host_dirs})/|host/)" plugins examples 2>/dev/null || true)

# The SDK: no host header and no plugin header.
plugin_headers=$(find plugins -name '*.hpp' -printf '%f\n' | sort -u | paste -sd'|')
while IFS= read -r hit; do
  report "the SDK includes a host header: $hit (the SDK installs alone)"
done < <(grep -rnE "^\s*#\s*include\s*[\"<]((${host_dirs})/|host/)" sdk || true)
if [ -n "$plugin_headers" ]; then
  while IFS= read -r hit; do
    report "the SDK includes a plugin header: $hit"
  done < <(grep -rnE "^\s*#\s*include\s*[\"<](.*/)?(${plugin_headers})[\">]" sdk || true)
fi

# A plugin does not include another plugin's folder either.
for dir in plugins/*/*/; do
  while IFS= read -r hit; do
    report "a plugin includes another plugin's file: $hit"
  done < <(grep -rnE "^\s*#\s*include\s*\"\.\./" "$dir" || true)
done

if [ "$fail" -ne 0 ]; then exit 1; fi
echo "include direction: plugins -> SDK only; SDK -> neither host nor plugins (ok)"
