#!/usr/bin/env bash
# scripts/study_choice.py applies the proposed study's pre-registered rule (docs/proposed-study.md).
# A synthetic validation table whose answer is worked out by hand below; a short cell; a wrong table.
set -euo pipefail
src=${1:?usage: study_choice_test.sh SOURCE_DIR [DFKD_BINARY]}
dfkd=${2:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# IN OUT ROW COLUMN FIELDS_JSON: OUT is table IN with FIELDS_JSON set in one cell.
patch_cell() {
  python3 - "$@" <<'PY'
import json, sys
src, dst, row, column, fields = sys.argv[1:]
d = json.load(open(src))
for r in d["rows"]:
    if r["row"] == row: r["cells"][column].update(json.loads(fields))
json.dump(d, open(dst, "w"))
PY
}
# Runs the script on a table expected to be refused: its exit code in rc, its output in err.
refusal() {
  set +e
  err=$(python3 "$src/scripts/study_choice.py" "$1" 2>&1)
  rc=$?
  set -e
}

# Means (MNIST, Fashion-MNIST); every other rule row equals its baseline (Δ = 0, not a win).
#   R_m w=0.1 vs DFAD: +0.2, +1.0 (both up, mean 0.6)        AR w=0.1: +0.1, +3.0 (both up, mean 1.55)
#   R_l w=1: +5.0, -0.1 (largest mean 2.45, but down on one column: not a win)
#   balance w=5: -0.3, +4.0 (not a win)                     AR w=1: -1, -1; AR w=0.01: -0.5, +0.1
#   R_l w=-0.1: -0.2, -0.2 (mean -0.2) beats R_l w=0.1: -0.1, -0.4 (mean -0.25): sign negative
#   VI = DFAD - (1, 10); VI probs MSE vs VI: +0.5, +2 and VI probs KL: +0.1, +5 both win on every
#   column; KL's mean (2.55) beats MSE's (1.25), so KL wins the target-and-loss factor
#   VI w=0.1 vs VI: +1.2, +11 (win), and vs DFAD +0.2, +1 (VI enters the combination)
#   VI alpha=0.2 vs VI: +0.1, -0.1 (not a win)
python3 - "$tmp/val.json" <<'PY'
import json, sys
dfad, vi = (97.0, 60.0), (96.0, 50.0)
means = {"DFAD": dfad, "VI": vi}
rule_dfad = [f"{t} w={w}" for t in ("R_l", "R_m", "AR") for w in ("0.01", "0.1", "1")] + \
    ["R_l w=-0.1", "balance w=5"]
rule_vi = ["VI probs L1", "VI probs MSE", "VI probs KL", "VI logits MSE", "VI teacher target",
           "VI alpha=0.2", "VI w=0.5", "VI w=0.1", "VI replacing", "VI second batch"]
for r in rule_dfad: means[r] = dfad
for r in rule_vi: means[r] = vi
def off(base, d): return (base[0] + d[0], base[1] + d[1])
means.update({
    "R_m w=0.1": off(dfad, (0.2, 1.0)), "AR w=0.1": off(dfad, (0.1, 3.0)),
    "R_l w=1": off(dfad, (5.0, -0.1)), "balance w=5": off(dfad, (-0.3, 4.0)),
    "AR w=1": off(dfad, (-1, -1)), "AR w=0.01": off(dfad, (-0.5, 0.1)),
    "R_l w=-0.1": off(dfad, (-0.2, -0.2)), "R_l w=0.1": off(dfad, (-0.1, -0.4)),
    "VI probs MSE": off(vi, (0.5, 2)), "VI probs KL": off(vi, (0.1, 5)),
    "VI w=0.1": off(vi, (1.2, 11)), "VI alpha=0.2": off(vi, (0.1, -0.1))})
cols = ["MNIST", "Fashion-MNIST"]
means["VI w=0.3"] = off(vi, (9, 9))  # added after the rule was fixed: listed, never chosen
rows = [{"row": r, "cells": {c: {"mean": m[i], "n": 5} for i, c in enumerate(cols)}}
        for r, m in means.items()]
json.dump({"experiment": "proposed_study", "profile": "cpu", "metric": "val_accuracy",
           "selection": "best_val", "columns": cols, "rows": rows}, open(sys.argv[1], "w"))
PY
out=$(python3 "$src/scripts/study_choice.py" "$tmp/val.json")
expect() { grep -qF -- "$1" <<<"$out" || fail "expected '$1' in:
$out"; }
expect "- generator regularizer: **AR w=0.1**"
expect "not read by it (exploratory; they also enlarge each column's Holm family): VI w=0.3"
expect "- class balance: **DFAD**"
expect "- VI target and loss: **VI probs KL**"
expect "- VI weight: **VI w=0.1**"
expect "- VI alpha: **VI**"
expect "| generator regularizer | DFAD | R_l w=1 | +5.00 · −0.10 | no |"
expect "VI rows positive against DFAD on every column: VI w=0.1"
expect "**Best combination:** DFAD + AR w=0.1 + VI with the options of VI probs KL, VI w=0.1"
expect "**Table 1's Proposed reading:** R_l and R_m at weight 0.1 (\`AR w=0.1\`), R_l's sign negative (\`R_l w=-0.1\`), VI with VI probs KL, VI w=0.1"
grep -q INTERIM <<<"$out" && fail "a complete table is not interim"
grep -q "already the row" <<<"$out" && fail "AR w=0.1 + VI (two options) is no row of the study"

# --rows builds both rows from the file's own rows: AR w=0.1's two terms, then VI with KL on
# interpolated probabilities (VI probs KL's options) at weight 0.1 (VI w=0.1's), the rest as `VI`;
# the Proposed reading with R_l's sign flipped. dfkd plans both (they are valid rows).
experiment=$src/experiments/proposed_study.json
python3 "$src/scripts/study_choice.py" "$tmp/val.json" --rows "$experiment" > "$tmp/rows.md"
python3 - "$tmp/rows.md" "$tmp/rows.json" "$experiment" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
block = text.split("```json\n", 1)[1].split("\n```", 1)[0]
rows = {r["name"]: r for r in json.loads("[" + block + "]")}
vi = {"plugin": "virtual_interpolation", "weight": 0.1,
      "options": {"alpha": 1.0, "per_sample": False, "partner": "permutation",
                  "target": "interpolated_probabilities", "loss": "kl"}}
best, proposed = rows["Best combination"], rows["Proposed (validation reading)"]
assert best["regularizers"] == [
    {"plugin": "activation_logit", "weight": 0.1},
    {"plugin": "activation_feature", "weight": 0.1, "options": {"normalize": True}}, vi], best
assert proposed["regularizers"] == [
    {"plugin": "activation_logit", "weight": -0.1},
    {"plugin": "activation_feature", "weight": 0.1, "options": {"normalize": True}}, vi], proposed
e = json.load(open(sys.argv[3]))
dfad = next(r for r in e["rows"] if r["name"] == "DFAD")
assert best["method"] == dfad["method"] and best["generator"] == dfad["generator"], best
# The file holds the real choice's rows (2026-12-06): this test's take their place.
e["rows"] = [r for r in e["rows"] if r["name"] not in rows] + [best, proposed]
json.dump(e, open(sys.argv[2], "w"))
PY
if [ -n "$dfkd" ]; then
  set +e
  plan=$("$dfkd" run "$tmp/rows.json" --profile smoke --only 'Best combination,Proposed (validation reading)' \
           --dry-run --db "$tmp/dry.db" 2>&1)
  rc=$?
  set -e
  [ "$rc" = 0 ] || fail "dfkd does not plan the built rows (exit $rc): $plan"
  grep -qF "Best combination / " <<<"$plan" || fail "no Best combination run planned: $plan"

  # --rows finds grid rows by the names dfkd gives them: an unlabelled path is named by its last
  # key, floats in their shortest form (1000000.0 is 1000000), two paths each with its label.
  python3 - "$experiment" "$tmp/grid.json" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
dfad = next(r for r in e["rows"] if r["name"] == "DFAD")
e["rows"].append(dict(dfad, name="G", regularizers=[{"plugin": "activation_logit", "weight": 0.1}],
                      grid={"regularizers[0].weight": [0.1234567, 1000000.0, 1.0],
                            "method.options.student_steps": [2, 3]}))
json.dump(e, open(sys.argv[2], "w"))
PY
  set +e
  plan=$("$dfkd" run "$tmp/grid.json" --profile smoke --only G --dry-run --db "$tmp/dry.db" 2>&1)
  set -e
  names=$(python3 -c 'import json, sys; sys.path.insert(0, sys.argv[1])
import study_choice
print("\n".join(n for n in study_choice.expanded_rows(json.load(open(sys.argv[2]))) if n.startswith("G ")))' \
          "$src/scripts" "$tmp/grid.json")
  [ "$(wc -l <<<"$names")" = 6 ] || fail "expected 6 grid rows, got: $names"
  while read -r name; do
    grep -qF " $name / " <<<"$plan" || fail "dfkd names no row '$name': $plan"
  done <<<"$names"
fi

# A second table: every AR level below DFAD, no VI row above it, the class-balance term up on both
# columns, R_l's two signs tied up to float noise (the level listed first, the positive, wins):
#   AR w=0.01: -0.5, -0.5; AR w=0.1: -0.2, -0.2 (the largest mean, though negative); AR w=1: -1, -1
#   R_l w=0.1: -0.3, +0.3; R_l w=-0.1: the same + 1e-12 (a tie once rounded)
#   balance w=5: +0.1, +2 (the only winner: the combination is the row `balance w=5`)
python3 - "$tmp/val.json" "$tmp/val2.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
dfad = {c: x["mean"] for r in d["rows"] if r["row"] == "DFAD" for c, x in r["cells"].items()}
vi = {c: x["mean"] for r in d["rows"] if r["row"] == "VI" for c, x in r["cells"].items()}
change = {"AR w=0.01": (-0.5, -0.5), "AR w=0.1": (-0.2, -0.2), "AR w=1": (-1, -1),
          "R_l w=0.1": (-0.3, 0.3), "R_l w=-0.1": (-0.3 + 1e-12, 0.3 + 1e-12),
          "balance w=5": (0.1, 2)}
for r in d["rows"]:
    base = vi if r["row"].startswith("VI") else dfad
    delta = change.get(r["row"], (0, 0))
    for i, c in enumerate(["MNIST", "Fashion-MNIST"]):
        r["cells"][c]["mean"] = base[c] + delta[i]
json.dump(d, open(sys.argv[2], "w"))
PY
out=$(python3 "$src/scripts/study_choice.py" "$tmp/val2.json")
expect "- generator regularizer: **DFAD**"
expect "- class balance: **balance w=5**"
expect "VI rows positive against DFAD on every column: none (VI stays out of the combination)"
expect "**Best combination:** DFAD + balance w=5"
expect "(already the row \`balance w=5\`: no new row)"
expect "**Table 1's Proposed reading:** R_l and R_m at weight 0.1 (\`AR w=0.1\`), R_l's sign positive (\`R_l w=0.1\`), VI with the paper's reading (the \`VI\` row)"
out=$(python3 "$src/scripts/study_choice.py" "$tmp/val2.json" --rows "$experiment")
expect "- \`Best combination\`: already the row \`balance w=5\`; nothing to add"
expect '"name": "Proposed (validation reading)"'

# One cell short of 5 seeds: refused (exit 2) naming it; --interim reads it and says so.
patch_cell "$tmp/val.json" "$tmp/short.json" "VI replacing" Fashion-MNIST '{"n": 4}'
refusal "$tmp/short.json"
[ "$rc" = 2 ] || fail "a short cell must exit 2, got $rc"
grep -qF "VI replacing / Fashion-MNIST (n=4)" <<<"$err" || fail "the short cell is not named: $err"
out=$(python3 "$src/scripts/study_choice.py" "$tmp/short.json" --interim)
grep -q "^INTERIM (not the choice): 1 cells" <<<"$out" || fail "--interim must say it is not the choice"

# A diverged seed (a failed run) counts as a seed but keeps its row from winning: VI probs KL with
# 4 completed seeds and 1 failed on Fashion-MNIST is not refused, and VI probs MSE (the next best,
# +0.5, +2) wins the factor in its place.
patch_cell "$tmp/val.json" "$tmp/failed.json" "VI probs KL" Fashion-MNIST '{"n": 4, "failed": 1}'
out=$(python3 "$src/scripts/study_choice.py" "$tmp/failed.json")
grep -q INTERIM <<<"$out" && fail "4 completed + 1 failed seeds are 5 seeds: $out"
expect "- VI target and loss: **VI probs MSE**"
expect "| VI target and loss | VI | VI probs KL | +0.10 · +5.00 | no (1 of 5 seeds failed on Fashion-MNIST: cannot win) |"
patch_cell "$tmp/failed.json" "$tmp/failed_short.json" "VI probs KL" Fashion-MNIST '{"n": 3}'
refusal "$tmp/failed_short.json"
[ "$rc" = 2 ] || fail "3 completed + 1 failed seeds are short, got exit $rc"
grep -qF "VI probs KL / Fashion-MNIST (n=3, 1 failed)" <<<"$err" || fail "the short cell is not named: $err"

# A row with no run at all is refused too, named.
python3 - "$tmp/val.json" "$tmp/none.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["rows"] = [r for r in d["rows"] if r["row"] != "R_m w=1"]
json.dump(d, open(sys.argv[2], "w"))
PY
refusal "$tmp/none.json"
[ "$rc" = 2 ] || fail "a row without runs must exit 2, got $rc"
grep -qF "R_m w=1 / MNIST (n=0)" <<<"$err" || fail "the missing row is not named: $err"

# A table of one column, or of another experiment, is not what the rule reads.
python3 - "$tmp/val.json" "$tmp/one.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["columns"] = ["MNIST"]
json.dump(d, open(sys.argv[2], "w"))
PY
refusal "$tmp/one.json"
[ "$rc" != 0 ] || fail "a one-column table must be refused"
grep -qF "on the columns" <<<"$err" || fail "the refusal names the columns: $err"

# A test-accuracy table is not what the rule reads.
sed 's/"val_accuracy"/"test_accuracy"/' "$tmp/val.json" > "$tmp/test.json"
refusal "$tmp/test.json"
[ "$rc" != 0 ] || fail "a test_accuracy table must be refused"
grep -qF "metric 'test_accuracy'" <<<"$err" || fail "the refusal names the metric: $err"
# scripts/study_interim_table.py (the docs' interim table): markers, short cells, failed seeds.
python3 - "$tmp/interim.json" <<'PY'
import json, sys
cell = lambda **k: dict({"n": 5, "failed": 0, "mean": 90.0, "ci95": 1.0}, **k)
json.dump({"columns": ["MNIST", "Fashion-MNIST"], "compare_to": "DFAD", "rows": [
    {"row": "DFAD", "cells": {"MNIST": cell(), "Fashion-MNIST": cell()}},
    {"row": "X", "cells": {"MNIST": cell(diff=-1.5, p=0.0004, p_holm=0.004),
                           "Fashion-MNIST": cell(n=4, failed=1, diff=2.0, p=0.31)}},
    {"row": "Gone", "cells": {"MNIST": cell(n=0, failed=5, mean=None, ci95=None),
                              "Fashion-MNIST": cell(n=0, mean=None, ci95=None)}},
    {"row": "Unrun", "cells": {"MNIST": cell(n=0), "Fashion-MNIST": cell(n=0)}}]},
    open(sys.argv[1], "w"))
PY
out=$(python3 "$src/scripts/study_interim_table.py" "$tmp/interim.json")
expect "| DFAD | 90.00 ± 1.00 | 90.00 ± 1.00 |"
expect "| X | 90.00 ± 1.00 (−1.50, p<0.001*†) | 90.00 ± 1.00 (+2.00, p=0.31) (n=4, 1 failed) |"
expect "| Gone | 5 failed | not run yet |"
grep -q "Unrun" <<<"$out" && fail "a row with no run on any column is left out: $out"

echo "study_choice: ok"
