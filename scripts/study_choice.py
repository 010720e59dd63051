#!/usr/bin/env python3
"""Applies the proposed study's pre-registered choice rule (docs/proposed-study.md, "Choosing the
combination and Table 1's reading") to a validation-accuracy table, so the choice is mechanical.

    dfkd table experiments/proposed_study.json --profile cpu --compare-to DFAD \\
        --metric val_accuracy --selection best_val --format json > val.json
    python3 scripts/study_choice.py val.json [--interim] [--rows experiments/proposed_study.json]

Prints, as Markdown, each factor's levels with their differences from the factor's baseline per
column, the winning level, the best combination and Table 1's Proposed reading. Refuses (exit 2)
while a row the rule reads has fewer than 5 seeds on a column, unless --interim; a seed whose run
failed counts as a seed and keeps its row from winning (the amendment of 2026-12-06, made before
the choice). Read a table of the archives (results/cpu/proposed_study_val.json): they hold only
the failures that are outcomes, runs that diverged; a live store's table also counts a killed
worker's. With --rows, also
prints the experiment rows `Best combination` and `Proposed (validation reading)` built from the
chosen rows' own configurations in that file (one that is already a row of the file is named, not
repeated), ready to append to its "rows".
"""
import argparse
import copy
import itertools
import json
import re
import sys

# Each factor: its baseline row and its levels (rows that differ from the baseline in it alone).
AR_LEVELS = [f"{term} w={w}" for term in ("R_l", "R_m", "AR") for w in ("0.01", "0.1", "1")]
FACTORS = [
    ("generator regularizer", "DFAD", AR_LEVELS + ["R_l w=-0.1"]),
    ("class balance", "DFAD", ["balance w=5"]),
    ("VI target and loss", "VI",
     ["VI probs L1", "VI probs MSE", "VI probs KL", "VI logits MSE", "VI teacher target"]),
    ("VI alpha", "VI", ["VI alpha=0.2"]),
    ("VI weight", "VI", ["VI w=0.5", "VI w=0.1"]),
    ("VI added or replacing", "VI", ["VI replacing"]),
    ("VI partner", "VI", ["VI second batch"]),
]
VI_FACTORS = [f for f in FACTORS if f[1] == "VI"]
VI_ROWS = ["VI"] + [level for _, _, levels in VI_FACTORS for level in levels]


RULE_ROWS = ["DFAD"] + [level for _, _, levels in FACTORS for level in levels] + ["VI"]
# Rows of the study the rule does not read, by design (docs/proposed-study.md). Any other row was
# added after the rule was fixed: exploratory, reported, never part of the choice.
OTHER_ROWS = ["Teacher", "Proposed", "AR w=0.1 + balance", "DFAD fp32", "Best combination",
              "Proposed (validation reading)"]


SEEDS = 5
COLUMNS = {"MNIST", "Fashion-MNIST"}
# Δ is rounded to this many decimals (MNIST means move in steps of 0.002 points over 5 seeds), so
# that float noise never makes a zero Δ positive nor breaks a tie.
DECIMALS = 3


class Table:
    def __init__(self, data):
        if data.get("metric") != "val_accuracy" or data.get("selection") != "best_val":
            raise SystemExit(
                "study_choice: the rule reads --metric val_accuracy --selection best_val; this "
                f"table has metric {data.get('metric')!r}, selection {data.get('selection')!r}")
        self.columns = [c if isinstance(c, str) else c["name"] for c in data["columns"]]
        if (data.get("experiment"), data.get("profile")) != ("proposed_study", "cpu") or \
                set(self.columns) != COLUMNS:
            raise SystemExit(
                "study_choice: the rule is for proposed_study at profile cpu on the columns "
                f"{sorted(COLUMNS)}; this table is {data.get('experiment')!r} at "
                f"{data.get('profile')!r} on {self.columns}")
        self.rows = {r["row"]: r["cells"] for r in data["rows"]}

    def n(self, row, column):
        """Seeds with a completed run (the mean is theirs)."""
        return self.rows.get(row, {}).get(column, {}).get("n", 0)

    def failed(self, row, column):
        """Seeds whose run failed (diverged): seeds of the cell, but no value."""
        return self.rows.get(row, {}).get(column, {}).get("failed", 0)

    def seeds(self, row, column):
        return self.n(row, column) + self.failed(row, column)

    def has_failures(self, row):
        return any(self.failed(row, c) > 0 for c in self.columns)

    def short(self):
        """The rule's cells with fewer than SEEDS seeds, as "row / column (n=k)"."""
        return [f"{r} / {c} (n={self.n(r, c)}"
                + (f", {self.failed(r, c)} failed" if self.failed(r, c) else "") + ")"
                for r in RULE_ROWS for c in self.columns if self.seeds(r, c) < SEEDS]

    def deltas(self, row, baseline):
        """Row minus baseline per column, or None while either has no run (interim readings)."""
        if any(self.n(r, c) == 0 for r in (row, baseline) for c in self.columns):
            return None
        return [round(self.rows[row][c]["mean"] - self.rows[baseline][c]["mean"], DECIMALS)
                for c in self.columns]


def mean(xs):
    return sum(xs) / len(xs)


def improves(table, row, baseline):
    """Positive Δ on every column, and no seed of the row diverged: a setting that fails on some
    seeds is no improvement, whatever the mean of the seeds that survived."""
    d = table.deltas(row, baseline)
    return d is not None and all(x > 0 for x in d) and not table.has_failures(row)


def winner(table, baseline, levels, must_improve=True):
    """The level that improves on the baseline (improves()), largest mean Δ; the baseline if none.
    must_improve=False: the largest mean Δ whatever its sign (a choice that must be made, step 4),
    among levels without a failed seed as well. A tie goes to the level listed first."""
    best = None
    for level in levels:
        d = table.deltas(level, baseline)
        if d is None or table.has_failures(level) or \
                (must_improve and not improves(table, level, baseline)):
            continue
        score = round(mean(d), DECIMALS)
        if best is None or score > best[0]:
            best = (score, level)
    return best[1] if best else baseline


def existing_row(parts, vi_options):
    """The study's row that already is this combination, or None."""
    non_vi = [p for p in parts if p != "VI"]
    if "VI" in parts:
        if non_vi or len(vi_options) > 1:
            return None
        return vi_options[0] if vi_options else "VI"
    if not non_vi:
        return "DFAD"
    if len(non_vi) == 1:
        return non_vi[0]
    if non_vi == ["AR w=0.1", "balance w=5"]:
        return "AR w=0.1 + balance"
    return None


def fmt_deltas(d):
    if d is None:
        return "not yet (a column of it or its baseline has no completed run)"
    return " · ".join(f"{x:+.2f}".replace("-", "−") for x in d)


def decide(table):
    """Every choice the rule makes: each factor's winner, the combination's parts, the VI options,
    and the Proposed reading's AR level and R_l sign level ("DFAD" where nothing has run)."""
    winners = {name: winner(table, baseline, levels) for name, baseline, levels in FACTORS}
    vi_rows_up = [r for r in VI_ROWS if improves(table, r, "DFAD")]
    parts = [w for w in (winners["generator regularizer"], winners["class balance"]) if w != "DFAD"]
    if vi_rows_up:
        parts.append("VI")
    return {
        "winners": winners,
        "vi_rows_up": vi_rows_up,
        "vi_options": [winners[name] for name, _, _ in VI_FACTORS if winners[name] != "VI"],
        "parts": parts,
        "ar_level": winner(table, "DFAD", ["AR w=0.01", "AR w=0.1", "AR w=1"], must_improve=False),
        "sign_level": winner(table, "DFAD", ["R_l w=0.1", "R_l w=-0.1"], must_improve=False),
    }


def report(table):
    out = []
    out.append(f"Δ per column ({', '.join(table.columns)}), mean validation accuracy at each run's "
               "best validation epoch, row minus the factor's baseline, in points.\n")
    out.append("| factor | baseline | level | Δ | positive on every column |")
    out.append("|---|---|---|---|---|")
    for name, baseline, levels in FACTORS:
        for level in levels:
            d = table.deltas(level, baseline)
            ok = "yes" if improves(table, level, baseline) else "no"
            failed = [f"{table.failed(level, c)} of {table.seeds(level, c)} seeds failed on {c}"
                      for c in table.columns if table.failed(level, c)]
            if failed:
                ok += " (" + "; ".join(failed) + ": cannot win)"
            out.append(f"| {name} | {baseline} | {level} | {fmt_deltas(d)} | {ok} |")
    choice = decide(table)
    winners = choice["winners"]
    out.append("")
    out.append("Winners (the baseline where no level is positive on every column):\n")
    for name, baseline, _ in FACTORS:
        out.append(f"- {name}: **{winners[name]}**")

    vi_rows_up, vi_options, parts = choice["vi_rows_up"], choice["vi_options"], choice["parts"]
    out.append("")
    out.append("VI rows positive against DFAD on every column: "
               + (", ".join(vi_rows_up) if vi_rows_up else "none (VI stays out of the combination)"))
    out.append("")
    described = [p if p != "VI" else "VI" + (f" with the options of {', '.join(vi_options)}"
                                             if vi_options else " as the `VI` row")
                 for p in parts]
    out.append("**Best combination:** DFAD" + (" + " + " + ".join(described) if described else
                                               " itself (no factor has a winning level)"))
    same = existing_row(parts, vi_options)
    if same:
        out.append(f"(already the row `{same}`: no new row)")

    ar_weight, sign = choice["ar_level"], choice["sign_level"]
    weight = (f"at weight {ar_weight.split('w=')[1]} (`{ar_weight}`)" if ar_weight != "DFAD"
              else "at a weight not decided yet (no `AR w=…` row has run without a failed seed)")
    sign = ("not decided yet (no `R_l w=±0.1` row has run without a failed seed)"
            if sign == "DFAD"
            else f"{'negative' if sign == 'R_l w=-0.1' else 'positive'} (`{sign}`)")
    vi = ", ".join(vi_options) if vi_options else "the paper's reading (the `VI` row)"
    out.append("")
    out.append(f"**Table 1's Proposed reading:** R_l and R_m {weight}, R_l's sign {sign}, "
               f"VI with {vi}")
    added = [r for r in table.rows if r not in RULE_ROWS and r not in OTHER_ROWS]
    if added:
        out.append("")
        out.append("Rows added after the rule was fixed, not read by it (exploratory; they also "
                   "enlarge each column's Holm family): " + ", ".join(added))
    return "\n".join(out)


# --rows: the chosen rows as experiment rows, from the rows' own configurations in the file.
GRID_PATH = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def set_path(config, path, value):
    """config at path ("regularizers[0].weight", the grid syntax) = value; missing objects on the
    way are created, as dfkd does (a plugin's "options")."""
    keys = [int(i) if i else k for k, i in GRID_PATH.findall(path)]
    for k in keys[:-1]:
        if isinstance(k, str) and k not in config:
            config[k] = {}
        config = config[k]
    config[keys[-1]] = value


def grid_label(path, labels):
    """A grid path's label in a row name, as dfkd gives it (host/src/config/grid.cpp): the row's
    grid_labels entry, else the path after its last '.'."""
    return labels.get(path, path.rsplit(".", 1)[-1])


def grid_value_label(value):
    """A grid value in a row name, as dfkd prints it: strings as they are, floats in the shortest
    form that reads back (1.0 is 1), the rest as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    return json.dumps(value)


def expanded_rows(experiment):
    """Every row of the file by its name, grids expanded and named as dfkd names them
    ("R_l w=0.1"; one " label=value" per grid path, paths in sorted order)."""
    rows = {}
    for row in experiment["rows"]:
        grid = row.get("grid")
        if not grid:
            rows[row["name"]] = row
            continue
        labels = row.get("grid_labels", {})
        paths = sorted(grid)
        for values in itertools.product(*(grid[p] for p in paths)):
            r = {k: copy.deepcopy(x) for k, x in row.items() if k not in ("grid", "grid_labels")}
            name = row["name"]
            for path, v in zip(paths, values):
                set_path(r, path, v)
                name += f" {grid_label(path, labels)}={grid_value_label(v)}"
            r["name"] = name
            rows[name] = r
    return rows


def config_of(row):
    """What a run of the row trains: everything but its name and description."""
    return {k: v for k, v in row.items() if k not in ("name", "description")}


def vi_term(rows, options):
    """The VI row's regularizer and method options with each chosen option row's changes to them
    (each option row differs from `VI` in its own keys only)."""
    vi = rows["VI"]
    term, method = copy.deepcopy(vi["regularizers"][0]), copy.deepcopy(vi["method"]["options"])
    for name in options:
        r = rows[name]
        own = r["regularizers"][0]
        if own.get("weight") != vi["regularizers"][0].get("weight"):
            term["weight"] = own["weight"]
        for k, v in own.get("options", {}).items():
            if vi["regularizers"][0]["options"].get(k) != v:
                term["options"][k] = v
        for k, v in r["method"]["options"].items():
            if vi["method"]["options"].get(k) != v:
                method[k] = v
    return term, method


def chosen_rows(choice, experiment):
    """The rows `Best combination` and `Proposed (validation reading)`, or the existing row each
    equals: [(name, row or None, existing row name or None)]."""
    rows = expanded_rows(experiment)
    missing = [r for r in RULE_ROWS + ["Proposed"] if r not in rows]
    if missing:
        raise SystemExit(f"study_choice: --rows: the file has no row {', '.join(missing)}")
    vi_reg, vi_method = vi_term(rows, choice["vi_options"])

    best = copy.deepcopy(rows["DFAD"])
    best["regularizers"] = [copy.deepcopy(t) for p in choice["parts"] if p != "VI"
                            for t in rows[p].get("regularizers", [])]
    if "VI" in choice["parts"]:
        best["regularizers"].append(vi_reg)
        best["method"]["options"] = vi_method
    if not best["regularizers"]:
        del best["regularizers"]
    best["name"] = "Best combination"
    best["description"] = ("chosen on validation by scripts/study_choice.py: DFAD + "
                           + (" + ".join(choice["parts"]) or "nothing") + " (docs/proposed-study.md)")

    proposed = copy.deepcopy(rows["Proposed"])
    ar = rows[choice["ar_level"]]["regularizers"] if choice["ar_level"] != "DFAD" else None
    if ar is None or choice["sign_level"] == "DFAD":
        proposed = None  # nothing to read the weight or the sign from yet
    else:
        terms = copy.deepcopy(ar)
        if choice["sign_level"] == "R_l w=-0.1":
            for t in terms:
                if t["plugin"] == "activation_logit":
                    t["weight"] = -t["weight"]
        proposed["regularizers"] = terms + [vi_reg]
        proposed["method"]["options"] = vi_method
        proposed["name"] = "Proposed (validation reading)"
        proposed["description"] = (
            f"Table 1's Proposed chosen on validation by scripts/study_choice.py: R_l and R_m as "
            f"{choice['ar_level']}, R_l's sign as {choice['sign_level']}, VI with "
            + (", ".join(choice["vi_options"]) or "the VI row's options")
            + " (docs/proposed-study.md)")

    out = []
    for new in (best, proposed):
        if new is None:
            out.append(("Proposed (validation reading)", None, None, None))
            continue
        same = next((n for n, r in rows.items()
                     if n != new["name"] and config_of(r) == config_of(new)), None)
        # A row of this name already in the file (from an earlier reading): kept if it is this
        # choice, else to be replaced (or removed, where the choice is another row).
        old = rows.get(new["name"])
        stale = old is not None and config_of(old) != config_of(new)
        if old is not None and not stale:
            out.append((new["name"], None, new["name"], False))
        else:
            out.append((new["name"], None if same else new, same, stale))
    return out


def rows_report(choice, experiment, path, interim):
    head = (f"INTERIM rows for {path}: not the choice; do not add them to the file"
            if interim else
            f"Rows for {path} (append to its \"rows\"; `dfkd run {path} --only NAME` runs them)")
    out = ["", head + ":", ""]
    rows = []
    for name, row, same, stale in chosen_rows(choice, experiment):
        if same == name:
            out.append(f"- `{name}`: already in the file as chosen; nothing to add")
        elif same:
            out.append(f"- `{name}`: already the row `{same}`; nothing to add"
                       + (f" (remove the file's `{name}` row: it is another configuration)"
                          if stale else ""))
        elif row is None:
            out.append(f"- `{name}`: not decided yet (no `AR w=…` or R_l sign row has run "
                       "without a failed seed)")
        else:
            if stale:
                out.append(f"- `{name}`: the file's row of this name is another configuration; "
                           "replace it with the one below")
            rows.append(row)
    if rows:
        out.append("```json")
        out.append(",\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
        out.append("```")
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("table", help="JSON of dfkd table --metric val_accuracy --selection best_val")
    parser.add_argument("--interim", action="store_true",
                        help="decide on what has run so far (rows with no run are left out)")
    parser.add_argument("--rows", metavar="EXPERIMENT_JSON",
                        help="also print the chosen rows, built from this experiment file's rows")
    args = parser.parse_args()
    with open(args.table) as f:
        table = Table(json.load(f))
    experiment = None
    if args.rows:
        with open(args.rows) as f:
            experiment = json.load(f)
    short = table.short()
    if short and not args.interim:
        print(f"study_choice: the rule needs every row it reads at n >= {SEEDS} on every "
              f"column; short: {'; '.join(short)}. Run the study to the end, or pass --interim "
              "for a reading that is not the choice.", file=sys.stderr)
        return 2
    if short:
        print(f"INTERIM (not the choice): {len(short)} cells below {SEEDS} seeds: "
              + "; ".join(short) + "\n")
    print(report(table))
    if experiment is not None:
        print(rows_report(decide(table), experiment, args.rows, bool(short)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
