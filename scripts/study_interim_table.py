#!/usr/bin/env python3
"""The interim table of docs/proposed-study.md from `dfkd table --format json` of the study
(results/cpu/proposed_study.json): per cell mean ± 95 % CI, then the difference from the
reference row and Welch's p with the table's markers (* p < 0.05; † also after Holm), (n=k)
where a cell has fewer completed seeds than the profile's, and "k failed" for seeds whose run
failed (diverged: recorded, no value). Rows with no run on any column are left out.

    python3 scripts/study_interim_table.py results/cpu/proposed_study.json [--seeds 5]
"""
import argparse
import json
import sys


def p_text(p):
    # As the docs quote them: three decimals above 0.1, two significant digits below.
    if p < 0.001:
        return "p<0.001"
    if p < 0.1:
        return f"p={p:.2g}"
    return "p=" + f"{p:.3f}".rstrip("0").rstrip(".")


def signed(x):
    return f"{x:+.2f}".replace("-", "\u2212")


def cell_text(cell, reference, seeds, row_says_n1):
    n, failed = cell.get("n", 0), cell.get("failed", 0)
    if n == 0:
        return f"{failed} failed" if failed else "not run yet"
    if n == 1:  # no spread, no test; the row's name says n=1 where every cell has one seed
        return f"{cell['mean']:.2f}" + ("" if row_says_n1 else " (n=1)")
    text = f"{cell['mean']:.2f} ± {cell['ci95']:.2f}"
    if not reference and cell.get("p") is not None:
        marks = ("*" if cell["p"] < 0.05 else "") + \
                ("†" if cell.get("p_holm") is not None and cell["p_holm"] < 0.05 else "")
        text += f" ({signed(cell['diff'])}, {p_text(cell['p'])}{marks})"
    if n < seeds:
        text += f" (n={n}" + (f", {failed} failed" if failed else "") + ")"
    return text


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("table", help="dfkd table --format json output")
    parser.add_argument("--seeds", type=int, default=5, help="the profile's seeds (default 5)")
    args = parser.parse_args()
    with open(args.table) as f:
        table = json.load(f)
    columns = table["columns"]
    reference = table.get("compare_to", "")
    print("| row | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    for row in table["rows"]:
        cells = [row["cells"][c] for c in columns]
        if all(c.get("n", 0) == 0 and c.get("failed", 0) == 0 for c in cells):
            continue
        name = row["row"]
        if all(c.get("n", 0) == 1 for c in cells):
            name += " (n=1)"
        texts = [cell_text(c, row["row"] == reference, args.seeds, name.endswith("(n=1)"))
                 for c in cells]
        print(f"| {name} | " + " | ".join(texts) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
