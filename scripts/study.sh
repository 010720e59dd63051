#!/usr/bin/env bash
# The proposed_study (docs/proposed-study.md) across sessions and machines: its completed runs live
# in the committed archive results/cpu/archive/proposed_study; a session resumes from it and
# archives what it added before it ends.
#   bash scripts/study.sh resume [--db PATH]    ingest the archive, then run the rows left, in slices
#                                               (highest priority first), two one-thread workers at
#                                               the lowest CPU priority; safe to stop and restart
#   bash scripts/study.sh archive [--db PATH]   export the completed runs into the archive, then
#                                               regenerate results/cpu/ from the archives and print
#                                               the docs' interim table
#   bash scripts/study.sh copy-binary DIR       copy build/'s dfkd, its library and plugins to DIR,
#                                               for DFKD_BIN=DIR/bin/dfkd: rebuilding build/ then
#                                               leaves the running study's binary alone
# Default store: results/proposed_study.db, or $DFKD_DB. DFKD_BIN names another dfkd binary; its
# ../lib, when it exists, is loaded before the library its RUNPATH names (build/lib).
set -euo pipefail
cd "$(dirname "$0")/.."
action=${1:?usage: study.sh resume|archive [--db PATH] | copy-binary DIR}
shift
db=${DFKD_DB:-results/proposed_study.db}
if [ "${1:-}" = --db ]; then db=${2:?--db needs a path}; fi
dfkd=${DFKD_BIN:-$PWD/build/bin/dfkd}
if [ -d "$(dirname "$dfkd")/../lib" ]; then
  export LD_LIBRARY_PATH=$(cd "$(dirname "$dfkd")/../lib" && pwd)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
experiment=experiments/proposed_study.json
archive=results/cpu/archive/proposed_study

case $action in
resume)
  mkdir -p "$(dirname "$db")"
  "$dfkd" ingest "$archive" --db "$db" | tail -1
  # The whole autogroup must yield: nice alone does not lower it against the other groups (a
  # compiler's, a shell's); see docs/proposed-study.md. Start this under setsid: without it, the
  # group is the terminal's, and everything run from that terminal is lowered with it.
  echo 19 > /proc/$$/autogroup 2>/dev/null || true
  slices=(
    'R_l w=1,R_l w=0.01,R_m w=0.1,AR w=0.1'
    'VI probs L1,VI logits MSE,VI alpha=0.2,VI w=0.5,VI replacing'
    'R_m w=0.01,R_m w=1,AR w=0.01,AR w=1,DFAD fp32'
    ''  # every row left
  )
  for s in "${slices[@]}"; do
    echo "== $(date -u +%FT%TZ) slice: ${s:-every row left}"
    only=()
    [ -n "$s" ] && only=(--only "$s")
    nice -n 19 "$dfkd" run "$experiment" --profile cpu --jobs 2 --threads 2 --db "$db" \
      --no-table "${only[@]}"
  done
  "$dfkd" status proposed_study --profile cpu --summary --db "$db" | tail -2
  ;;
archive)
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  "$dfkd" export proposed_study --profile cpu --db "$db" --out "$tmp/archive"
  rm -rf "$archive"
  mv "$tmp/archive" "$archive"
  DFKD_BIN=$dfkd bash scripts/export-results.sh cpu --from-archives
  python3 scripts/study_interim_table.py results/cpu/proposed_study.json
  ;;
copy-binary)
  dir=${1:?usage: study.sh copy-binary DIR}
  rm -rf "$dir.new"
  mkdir -p "$dir.new/bin" "$dir.new/lib"
  cp build/bin/dfkd "$dir.new/bin/"
  cp -a build/lib/libdfkd_sdk.so* "$dir.new/lib/"
  (cd build && for f in plugins/*/*.so; do
    mkdir -p "$dir.new/$(dirname "$f")" && cp "$f" "$dir.new/$f"
  done)
  rm -rf "$dir" && mv "$dir.new" "$dir"  # a worker starting now sees the old copy or the new one
  echo "study.sh: DFKD_BIN=$dir/bin/dfkd"
  ;;
*)
  echo "study.sh: expected resume, archive or copy-binary, found '$action'" >&2
  exit 2
  ;;
esac
