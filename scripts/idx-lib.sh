# Shared by scripts/mnist-full.sh and scripts/mnist-subset.sh (sourced, not run). The caller sets
#   tag    the message prefix (mnist-full, mnist-subset)
#   sums   its checksum file: "<sha256 of the decompressed file>  <name>" lines
#   names  the four IDX file names

# idx_checksum NAME: the expected sha256 of NAME from $sums.
idx_checksum() {
  local want
  want="$(awk -v n="$1" '$2 == n { print $1 }' "$sums")"
  if [ -z "$want" ]; then
    echo "$tag: $sums has no checksum for $1" >&2
    exit 2
  fi
  echo "$want"
}

# idx_verify DIR [quiet]: the file the reader would use for each name (raw when present, else
# .gz) has the expected decompressed checksum (the gzip bytes depend on the zlib build, the
# contents must not).
idx_verify() {
  local dir="$1" quiet="${2:-}" ok=0 name want got file what
  for name in "${names[@]}"; do
    want="$(idx_checksum "$name")"
    if [ -f "$dir/$name" ]; then
      file="$dir/$name" what="sha256"
      got="$(sha256sum < "$file" | cut -d' ' -f1)"
    elif [ -f "$dir/$name.gz" ]; then
      file="$dir/$name.gz" what="decompressed sha256"
      got="$(gzip -dc "$file" | sha256sum | cut -d' ' -f1)" || got="(not a valid gzip file)"
    else
      [ -n "$quiet" ] || echo "$tag: $dir/$name[.gz]: missing" >&2
      ok=1
      continue
    fi
    if [ "$got" != "$want" ]; then
      [ -n "$quiet" ] || echo "$tag: $file: $what expected $want, found $got" >&2
      ok=1
    fi
  done
  return $ok
}

# idx_ensure_node: Debian's nodejs and npm, which fetch the npm packages the data comes from.
idx_ensure_node() {
  command -v node >/dev/null && command -v npm >/dev/null && return 0
  echo "$tag: installing nodejs and npm"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nodejs npm
}
