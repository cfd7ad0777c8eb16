"""Write the example notebooks (``examples/*.ipynb``) from the cell lists below.

The notebooks are generated, never edited by hand, so that they stay reproducible and
are stored without outputs. Run from anywhere::

    python examples/make_notebooks.py          # (re)write every notebook
    python examples/make_notebooks.py --check  # exit 1 when a stored notebook is stale

CI executes every notebook top to bottom (``tests/test_examples.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

# Each notebook: list of ("md" | "code", source).
NOTEBOOKS: dict[str, list[tuple[str, str]]] = {}

NOTEBOOKS["01_quickstart"] = [
    ("md", """# Quickstart: from survey responses to a satisfaction report

This notebook loads the bundled airline sample (1,000 passengers, 1–10 scale,
99 = "cannot answer"), checks the data, computes the simple-method scores and the
Net Promoter Score, and writes the full HTML report with one call."""),
    ("code", """import matplotlib
matplotlib.use("Agg")  # figures are returned, never shown by the library
import pandas as pd
import csindex

survey = csindex.datasets.airline()
survey.responses.shape"""),
    ("md", """## The codebook

Each column has a role (perception, expectation, importance, overall satisfaction,
loyalty, profile, ...), a construct, a scale and labels in English and Chinese."""),
    ("code", """survey.codebook.items.loc[["CREW1", "EXP_CREW1", "IMP_CREW1", "SAT1", "NPS"],
                          ["construct", "role", "label_en", "label_zh", "scale_min", "scale_max", "attribute"]]"""),
    ("md", "## Data quality\n\nMissing answers, values off the scale, text in numeric items, duplicated ids, straight-liners."),
    ("code", """print(survey.validation.summary().to_text()[:600])
assert survey.validation.ok"""),
    ("md", """## Simple-method scores

Item means rescaled to 0–100, `100 · (mean − min) / (max − min)`, with 95% intervals
(sampling weights are used because the sample has a `weight` column)."""),
    ("code", """scores = csindex.simple_scores(survey)
scores.constructs[["construct", "n_items", "score", "ci_lower", "ci_upper"]].round(1)"""),
    ("code", """chart = scores.constructs.rename(columns={"score": "index"})
display = csindex.plots.index_chart(chart)
display.figure_"""),
    ("md", "## Net Promoter Score"),
    ("code", """res = csindex.nps(survey.responses["NPS"], weights=survey.weights.to_numpy())
print(f"NPS = {res.score:.1f}  (95% CI {res.ci_lower:.1f} to {res.ci_upper:.1f})")
res.table"""),
    ("md", """## The report

`csindex.report()` runs every analysis the data supports and writes a self-contained
`index.html` (figures embedded, no network access needed), `results.json`, one CSV per
table and an Excel workbook. The same is `csindex report` on the command line."""),
    ("code", """result = csindex.report(out="quickstart-report", bootstrap=200, seed=1, progress=False)
result.sections[["id", "status"]]"""),
    ("code", """print(result.index_html, result.n_figures, "figures")
sorted(p.name for p in result.out.iterdir())[:8]"""),
    ("code", """import json
key = json.loads((result.out / "results.json").read_text())["key_numbers"]
{k: key[k] for k in ("n_respondents", "overall_score", "nps")}"""),
    ("md", "With `lang=\"zh\"` headings and labels are Chinese (the codebook's `label_zh`)."),
    ("code", """zh = csindex.report(out="quickstart-report-zh", lang="zh", bootstrap=0, progress=False, excel=False)
zh.sections[["id", "title"]].head(4)"""),
]

NOTEBOOKS["05_drivers"] = [
    ("md", """# Driver analysis: which attributes drive overall satisfaction?

Overall satisfaction (`SAT1–SAT3`) is regressed on the six service dimensions of the
airline sample. Because the dimensions are correlated, standardised betas are unstable;
relative-importance measures split R² among the drivers instead:

* **Shapley / LMG** – each driver's average R² gain over all orders of entry (exact, all 2^p subsets);
* **dominance analysis** – general dominance equals Shapley; also conditional and complete dominance;
* **relative weights** (Johnson 2000) – R² split through an orthogonal approximation;
* **Pratt** – β · r.

The sample was generated with a known ordering of the drivers (`airline_truth()`)."""),
    ("code", """import matplotlib
matplotlib.use("Agg")
import pandas as pd
import csindex

survey = csindex.datasets.airline()
drivers = ["CREW", "CABN", "CATR", "ENT", "SAFE", "PUNC"]
target = survey.items(role="overall_satisfaction")
target"""),
    ("code", """res = csindex.driver_weights(survey, target=target, drivers=drivers, method="shapley",
                             bootstrap=500, seed=7)
print(f"R² = {res.r_squared:.3f}")
res.weights.round(3)"""),
    ("code", """res.plot().figure_"""),
    ("md", "Shapley values add up to R²:"),
    ("code", """assert abs(res.weights["weight"].sum() - res.r_squared) < 1e-10
res.regression.round(3)"""),
    ("md", "## All measures side by side"),
    ("code", """table = {}
for method in ["shapley", "dominance", "relative_weights", "pratt", "ols"]:
    table[method] = csindex.driver_weights(survey, target=target, drivers=drivers, method=method).weights["share"]
shares = pd.DataFrame(table)
shares.round(3)"""),
    ("code", """dom = csindex.driver_weights(survey, target=target, drivers=drivers, method="dominance")
dom.complete_dominance"""),
    ("md", "## Compare with the generator's truth\n\nThe dimensions load on perceived quality with decreasing strength SAFE > CREW > PUNC > CABN > CATR > ENT."),
    ("code", """truth = csindex.datasets.airline_truth()["driver_order"]
print("true order:   ", truth)
print("Shapley order:", list(res.weights.sort_values("rank").index))"""),
    ("md", "## A CSI from the driver weights\n\n`index` = Σ share_j · (0–100 score of driver j)."),
    ("code", """print(f"driver-weighted CSI = {res.index:.1f}")"""),
]


def build(name: str, cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, (kind, source) in enumerate(cells):
        cell = new_markdown_cell(source) if kind == "md" else new_code_cell(source)
        cell["id"] = f"{name.split('_')[0]}-{i:02d}"  # stable ids: regenerating changes nothing
        nb.cells.append(cell)
    return nb


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for name, cells in NOTEBOOKS.items():
        text = nbformat.writes(build(name, cells)) + "\n"
        path = HERE / f"{name}.ipynb"
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path.name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print("stale notebooks (run python examples/make_notebooks.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
