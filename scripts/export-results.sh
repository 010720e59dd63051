#!/usr/bin/env bash
# Writes a profile's tables, figures and per-run numbers from a results store into results/<profile>/,
# the directory the README's measured results are committed in.
#   bash scripts/export-results.sh cpu [--db PATH]        (default store: results/results.db)
#   bash scripts/export-results.sh cpu --from-archives    (the committed results/cpu/archive/*/ only:
#                                                           regenerates every committed file from them)
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${1:?usage: export-results.sh PROFILE [--db PATH | --from-archives]}
shift
dfkd=${DFKD_BIN:-$PWD/build/bin/dfkd}  # DFKD_BIN: another binary, e.g. a running study's copy
# A copy (scripts/study.sh copy-binary) loads its own SDK library, not build/lib's (its RUNPATH).
if [ -d "$(dirname "$dfkd")/../lib" ]; then
  export LD_LIBRARY_PATH=$(cd "$(dirname "$dfkd")/../lib" && pwd)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
out=results/$profile
mkdir -p "$out/figures"
if [ "${1:-}" = --from-archives ]; then
  # One temporary store with every archive of the profile (archives that share runs link both
  # experiments' cells to them); read through DFKD_DB so the files' fill commands name no temp path.
  shift
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  for a in "$out"/archive/*/; do
    [ -f "$a/archive.json" ] || continue
    "$dfkd" ingest "$a" --db "$tmp/results.db" | tail -1 | sed "s|^dfkd:|export-results: $(basename "$a"):|"
  done
  export DFKD_DB=$tmp/results.db
fi
# An experiment with no completed run of the profile in this store keeps its committed files: a store
# that holds only some experiments must not overwrite the others' results with empty tables.
has_runs() {  # EXPERIMENT [--db PATH]
  local e=$1 n
  shift
  n=$("$dfkd" query "SELECT count(*) AS n FROM cell c JOIN run r USING (run_key)
                     WHERE c.experiment = '$e' AND c.profile = '$profile' AND r.status = 'completed'" \
        --format csv "$@" | tail -1)
  [ "$n" -gt 0 ] || {
    echo "export-results: $e has no completed $profile run in the store; its files are kept" >&2
    return 1
  }
}
# Table 1 against its data-free baseline (DFAL), the ablation against DFAD: the tests the README
# quotes, in the files (LaTeX stays the paper's plain table).
for spec in table1:DFAL ablation:DFAD labelled_data:; do
  e=${spec%%:*} ref=${spec#*:}
  has_runs "$e" "$@" || continue
  for f in md json csv latex; do
    ext=$f args=(--format "$f")
    [ -n "$ref" ] && args+=(--compare-to "$ref")
    [ "$f" = latex ] && ext=tex args=(--format latex)
    "$dfkd" table "experiments/$e.json" --profile "$profile" "${args[@]}" "$@" > "$out/$e.$ext"
  done
  "$dfkd" plot "experiments/$e.json" --profile "$profile" --out "$out/figures" "$@" > /dev/null
done
# The proposed study (docs/proposed-study.md): every row against DFAD at the table's selection, at the
# final epoch, and on validation accuracy (what scripts/study_choice.py reads).
if has_runs proposed_study "$@"; then
  study=(table experiments/proposed_study.json --profile "$profile" --compare-to DFAD)
  "$dfkd" "${study[@]}" "$@" > "$out/proposed_study.md"
  "$dfkd" "${study[@]}" --format json "$@" > "$out/proposed_study.json"
  "$dfkd" "${study[@]}" --selection final "$@" > "$out/proposed_study_final.md"
  # The VI options against their own baseline, the VI row (the design's one-factor comparisons).
  "$dfkd" table experiments/proposed_study.json --profile "$profile" --compare-to VI "$@" \
    > "$out/proposed_study_vs_VI.md"
  "$dfkd" "${study[@]}" --metric val_accuracy --selection best_val --format json "$@" \
    > "$out/proposed_study_val.json"
  # The choice rule's reading of that table: the choice once every cell it reads has 5 seeds;
  # before, --interim heads it "INTERIM (not the choice)" and names the short cells.
  python3 scripts/study_choice.py "$out/proposed_study_val.json" --interim \
    > "$out/proposed_study_choice.md"
  # The hypotheses' evidence (H1, H3, H4): what each run logs beside its accuracy, at the final epoch.
  for m in discrepancy teacher_top_class_fraction teacher_pred_entropy reg_activation_logit; do
    "$dfkd" "${study[@]}" --metric "$m" --selection final "$@"
    echo
  done > "$out/proposed_study_diagnostics.md"
  "$dfkd" plot experiments/proposed_study.json --profile "$profile" --out "$out/figures" "$@" > /dev/null
fi
# The related papers' experiments, each row tested against the student trained without a teacher.
for spec in kd_augmentation:Scratch knowledge_representing:Student kd_pruning:Scratch; do
  e=${spec%%:*}
  has_runs "$e" "$@" || continue
  for f in md json; do
    "$dfkd" table "experiments/$e.json" --profile "$profile" --format "$f" \
      --compare-to "${spec#*:}" "$@" > "$out/$e.$f"
  done
  if [ "$e" = knowledge_representing ]; then  # does Ψ make the student sparser? (README, E3)
    "$dfkd" table "experiments/$e.json" --profile "$profile" --metric conv_weights_near_zero \
      --compare-to Student "$@" > "$out/${e}_sparsity.md"
  fi
  if grep -q '"figures"' "experiments/$e.json"; then
    "$dfkd" plot "experiments/$e.json" --profile "$profile" --out "$out/figures" "$@" > /dev/null
  fi
done
"$dfkd" query "SELECT c.experiment, c.row, c.column_name AS col, c.seed, r.run_key, r.attempt,
                 s.final_value AS final_test_accuracy, s.best_value AS best_test_accuracy,
                 round(r.wall_seconds, 1) AS wall_seconds, e.threads, e.git_commit,
                 (SELECT t.value FROM metric t WHERE t.run_id = r.run_id AND t.key = 'test_accuracy'
                    AND t.epoch = (SELECT v.epoch FROM metric v
                                   WHERE v.run_id = r.run_id AND v.key = 'val_accuracy'
                                   ORDER BY v.value DESC, v.epoch LIMIT 1)) AS best_val_test_accuracy,
                 e.git_dirty
               FROM cell c JOIN run r USING (run_key)
               JOIN metric_summary s ON s.run_id = r.run_id AND s.key = 'test_accuracy'
               LEFT JOIN environment e ON e.environment_id = r.environment_id
               WHERE c.profile = '$profile' AND r.status = 'completed'
               ORDER BY c.experiment, c.column_name, c.row, c.seed" --format csv "$@" > "$out/runs.csv"
echo "wrote $out: $(ls "$out" | tr '\n' ' ')"
