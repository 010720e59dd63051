#!/usr/bin/env bash
# The proposed_study (docs/proposed-study.md) across sessions and machines: its completed runs (and
# those that diverged) live in the committed archive results/cpu/archive/proposed_study; a session
# resumes from it and archives what it added before it ends.
#   bash scripts/study.sh resume [--db PATH]    ingest the archive, then run the rows left, in slices
#                                               (highest priority first), two one-thread workers at
#                                               the lowest CPU priority; safe to stop and restart
#                                               (start it under setsid: see below)
#   bash scripts/study.sh archive [--db PATH]   export the runs with an outcome into the archive
#                                               (which must keep every run it held), then
#                                               regenerate results/cpu/ from the archives, both
#                                               with build/'s dfkd when there is one, and print
#                                               the docs' interim table
#   bash scripts/study.sh copy-binary DIR       copy build/'s dfkd, its library and plugins to DIR,
#                                               for DFKD_BIN=DIR/bin/dfkd: rebuilding build/ then
#                                               leaves the running study's binary alone
# Default store: results/proposed_study.db, or $DFKD_DB; pass resume and archive the same one.
# DFKD_BIN names another dfkd binary; its ../lib, when it exists, is loaded before the library its
# RUNPATH names (build/lib).
set -euo pipefail
usage="usage: study.sh resume|archive [--db PATH] | copy-binary DIR"
action=${1:?$usage}
shift
# Paths the caller gave are theirs, resolved before the cd to the checkout.
absolute() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
db=${DFKD_DB:-}
dir=
case $action in
resume | archive)
  while [ $# -gt 0 ]; do
    case $1 in
    --db) db=${2:?--db needs a path}; shift 2 ;;
    --db=*) db=${1#--db=}; shift ;;
    *) echo "study.sh: unknown argument '$1'; $usage" >&2; exit 2 ;;
    esac
  done
  ;;
copy-binary)
  [ $# -eq 1 ] || { echo "study.sh: copy-binary takes one directory; $usage" >&2; exit 2; }
  dir=$(absolute "$1")
  ;;
*)
  echo "study.sh: expected resume, archive or copy-binary, found '$action'; $usage" >&2
  exit 2
  ;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "$db" ]; then db=$(absolute "$db"); else db=$root/results/proposed_study.db; fi
if [ -n "${DFKD_BIN:-}" ]; then dfkd=$(absolute "$DFKD_BIN"); else dfkd=$root/build/bin/dfkd; fi
cd "$root"
if [ -d "$(dirname "$dfkd")/../lib" ]; then
  export LD_LIBRARY_PATH=$(cd "$(dirname "$dfkd")/../lib" && pwd)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
experiment=experiments/proposed_study.json
archive=results/cpu/archive/proposed_study

# The archive's runs into the store; the lines a reader must see (a run not merged, a kept teacher
# its students did not learn from) and the summary.
ingest_archive() {
  mkdir -p "$(dirname "$db")"
  "$dfkd" ingest "$archive" --db "$db" | grep -E 'NOT INGESTED|warning|^dfkd: [0-9]+ merged'
}

archived_runs() {  # ARCHIVE_DIR: "run_key status" per run, sorted (archives before 2026-12-06
  # list no status: every run in them completed)
  python3 -c 'import json, sys
for r in json.load(open(sys.argv[1] + "/archive.json"))["runs"]:
    print(r["run_key"], r.get("status", "completed"))' "$1" | sort
}

case $action in
resume)
  ingest_archive
  # The whole autogroup must yield: nice alone does not lower it against the other groups (a
  # compiler's, a shell's); see docs/proposed-study.md. Start this under setsid: without it, the
  # group is the terminal's, and everything run from that terminal is lowered with it.
  echo 19 > /proc/$$/autogroup 2>/dev/null || true
  # Every row the choice rule reads is in the archive (2026-12-06); its two rows come next.
  slices=(
    'Best combination,Proposed (validation reading)'
    ''  # every row left: DFAD fp32 (the choice rule does not read it, and it costs 1.9x)
  )
  failed=0
  for s in "${slices[@]}"; do
    echo "== $(date -u +%FT%TZ) slice: ${s:-every row left}"
    only=()
    [ -n "$s" ] && only=(--only "$s")
    # A failed run (recorded, retried by the next resume) must not stop the other slices; Ctrl-C
    # (130) and SIGTERM (143) stop the queue.
    rc=0
    nice -n 19 "$dfkd" run "$experiment" --profile cpu --jobs 2 --threads 2 --db "$db" \
      --no-table "${only[@]}" || rc=$?
    case $rc in
    0) ;;
    130 | 143) exit "$rc" ;;
    *) echo "== slice ended with failures (exit $rc): \`dfkd status proposed_study --profile cpu --db $db\` names them"
       failed=1 ;;
    esac
  done
  "$dfkd" status proposed_study --profile cpu --summary --db "$db" | tail -2
  exit "$failed"
  ;;
archive)
  # The store gets the archive first, so the export is a superset of it even where the store was
  # started elsewhere; a run the archive held and the export lacks stops everything.
  ingest_archive
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  # The checkout's own build writes the archive (its format), not the pinned copy running the
  # study, which may predate it (before 2026-12-06 it left diverged runs out).
  results_bin=$dfkd
  [ -x build/bin/dfkd ] && results_bin=$root/build/bin/dfkd
  "$results_bin" export proposed_study --profile cpu --db "$db" --out "$tmp/archive"
  archived_runs "$archive" > "$tmp/old"
  archived_runs "$tmp/archive" > "$tmp/new"
  cut -d' ' -f1 "$tmp/old" > "$tmp/old_keys"
  cut -d' ' -f1 "$tmp/new" > "$tmp/new_keys"
  lacking=$(comm -23 "$tmp/old_keys" "$tmp/new_keys")
  if [ -n "$lacking" ]; then
    echo "study.sh: the export from $db lacks $(wc -l <<<"$lacking") of the archive's runs" \
      "(a failed one the study is training again right now is left out until it ends: archive" \
      "again then); the archive is kept as it is" >&2
    exit 1
  fi
  # New runs, and runs whose status changed (a diverged run that completed after a fix).
  added=$(comm -13 "$tmp/old_keys" "$tmp/new_keys" | wc -l)
  changed=$(join "$tmp/old" "$tmp/new" | awk '$2 != $3' | wc -l)
  if [ "$added" -eq 0 ] && [ "$changed" -eq 0 ]; then
    echo "study.sh: no run to add; the archive is kept as it is ($(wc -l < "$tmp/old") runs)"
  else
    rm -rf "$archive"
    mv "$tmp/archive" "$archive"
    echo "study.sh: $added runs added to the archive, $changed changed status" \
      "($(wc -l < "$tmp/new") in all, $(grep -c ' failed$' "$tmp/new" || true) of them diverged)"
  fi
  # results/cpu is what this checkout's code makes of the archives: its own build, not the study's
  # pinned binary, which may predate the commit (an older one once drew Fig. 2a's x wrong).
  echo "study.sh: results/cpu from the archives by $results_bin"
  DFKD_BIN=$results_bin bash scripts/export-results.sh cpu --from-archives
  python3 scripts/study_interim_table.py results/cpu/proposed_study.json
  ;;
copy-binary)
  # A study running from DIR finds its plugins beside its binary: replacing them under it would
  # mix two builds.
  for exe in /proc/[0-9]*/exe; do
    if [ "$(readlink "$exe" 2>/dev/null)" = "$dir/bin/dfkd" ]; then
      echo "study.sh: a dfkd runs from $dir (pid $(basename "$(dirname "$exe")")); copy to" \
        "another directory, or stop it first" >&2
      exit 1
    fi
  done
  [ -x build/bin/dfkd ] || { echo "study.sh: no build/bin/dfkd; run bash scripts/build.sh" >&2; exit 1; }
  rm -rf "$dir"
  mkdir -p "$dir/bin" "$dir/lib"
  cp build/bin/dfkd "$dir/bin/"
  cp -a build/lib/libdfkd_sdk.so* "$dir/lib/"
  (cd build && for f in plugins/*/*.so; do
    mkdir -p "$dir/$(dirname "$f")" && cp "$f" "$dir/$f"
  done)
  echo "study.sh: DFKD_BIN=$dir/bin/dfkd"
  ;;
esac
