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
    ("code", """import pandas as pd
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
csindex.plots.index_chart(chart);  # the figure shows below the cell"""),
    ("md", """## What to improve first

Each service attribute's impact on the satisfaction index (index points per point of the
attribute, from a PLS model of all attributes) against its performance (0–100), with
bootstrap intervals and the probability of being among the top 3."""),
    ("code", """priorities = csindex.improvement_priorities(survey, bootstrap=300, seed=1)
priorities.attributes[["attribute", "impact", "performance", "gain", "p_top_k", "tier"]].round(2)"""),
    ("code", """priorities.plot();"""),
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

NOTEBOOKS["02_ccsi_sem"] = [
    ("md", """# The CCSI model by covariance-based SEM

The China Customer Satisfaction Index (CCSI, GB/T 19038-2009) links brand image,
expected quality, perceived quality, perceived value, satisfaction and loyalty. Here it is
fitted to the airline sample by maximum likelihood (`csindex.fit_sem`), with lavaan's
definitions of the fit indices. semopy is available as an alternative optimiser
(`engine="semopy"`)."""),
    ("code", """import pandas as pd
import csindex

survey = csindex.datasets.airline()
spec = csindex.models.ccsi(survey)  # items per construct from the codebook's index_construct column
print(spec.to_lavaan())"""),
    ("md", "Respondents with a missing answer are left out (listwise); the warning below says how many."),
    ("code", """sem = csindex.fit_sem(survey, spec)
print(sem.n, "respondents used")
sem.fit_indices[["chi2", "df", "pvalue", "cfi", "tli", "rmsea", "srmr"]].round(4)"""),
    ("code", """sem.paths.round(3)"""),
    ("code", """sem.r_squared.round(3)"""),
    ("code", """sem.plot();"""),
    ("md", "## 0–100 index per construct"),
    ("code", """sem.index.round(2)"""),
    ("md", "## Recovering the generator's paths\n\nThe sample was simulated with known structural coefficients (standardised)."),
    ("code", """truth = csindex.datasets.airline_truth()["paths"]
codes = {"image": "IMAG", "expectation": "EXPE", "quality": "QUAL", "value": "VAL",
         "satisfaction": "SAT", "loyalty": "LOY"}
true = pd.Series({(codes[s], codes[t]): v for (s, t), v in truth.items()}, name="true")
est = sem.paths.set_index(["source", "target"])["std_all"].rename("estimate")
pd.concat([true, est], axis=1).round(3)"""),
    ("md", """The generator also has IMAG → LOY (0.15), which the CCSI template lacks. Add it and
compare the fit:"""),
    ("code", """sem2 = csindex.fit_sem(survey, spec.add_path("IMAG", "LOY"))
pd.DataFrame({"CCSI": sem.fit_indices, "CCSI + IMAG→LOY": sem2.fit_indices}).loc[["chi2", "df", "cfi", "rmsea", "aic", "bic"]].round(3)"""),
    ("md", """## The same model with semopy as the optimiser

Both optimisers minimise the same ML discrepancy; on the unweighted item columns they reach
the same solution."""),
    ("code", """items = survey.responses[list(spec.items)]
own = csindex.fit_sem(items, spec)
via_semopy = csindex.fit_sem(items, spec, engine="semopy")
diff = (via_semopy.paths["estimate"] - own.paths["estimate"]).abs().max()
print(f"largest path difference between the optimisers: {diff:.2e}")
assert diff < 1e-3"""),
]

NOTEBOOKS["03_acsi_ecsi_pls"] = [
    ("md", """# ACSI and ECSI by PLS path modeling: bootstrap, 0–100 indices, priority matrix

The ACSI and the ECSI compute their indices with PLS path modeling. `csindex.fit_pls`
runs Wold's algorithm (path weighting scheme), the ACSI-style 0–100 index from the
unstandardised outer weights, a batched bootstrap, the quality criteria and the
importance–performance map (IPMA)."""),
    ("code", """import pandas as pd
import csindex

survey = csindex.datasets.airline()
acsi = csindex.models.acsi(survey)
ecsi = csindex.models.ecsi(survey)
print(acsi.paths)
print(ecsi.paths)"""),
    ("code", """pls = csindex.fit_pls(survey, ecsi, bootstrap=1000, seed=42, progress=False)
pls.paths.round(3)"""),
    ("code", """pls.r_squared.round(3)"""),
    ("code", """csindex.plots.path_diagram(pls.paths, pls.r_squared, layers=ecsi);"""),
    ("md", "## 0–100 indices with bootstrap intervals"),
    ("code", """index = pls.index
index.round(2)"""),
    ("code", """csindex.plots.index_chart(index, ci_lower="ci_lower", ci_upper="ci_upper");"""),
    ("md", "## Reliability and validity"),
    ("code", """q = pls.quality
q.reliability.round(3)"""),
    ("code", """q.htmt.round(3)"""),
    ("code", """print(f"GoF = {q.gof:.3f}, SRMR = {q.srmr:.3f}")"""),
    ("md", """## Priority matrix (IPMA)

Importance = unstandardised total effect on satisfaction (0–100 points of satisfaction per
point of the driver); performance = the driver's 0–100 index."""),
    ("code", """ipma = pls.ipma("satisfaction")
ipma"""),
    ("code", """matrix = csindex.plots.priority_matrix(ipma.rename(columns={"construct": "name"}), crosshair="mean")
matrix.data"""),
    ("md", "At item level, importance is the item's index weight times its construct's total effect:"),
    ("code", """items = pls.ipma("satisfaction", level="item")
csindex.plots.priority_matrix(items.rename(columns={"item": "name"}));"""),
    ("md", "## ACSI versus ECSI"),
    ("code", """acsi_fit = csindex.fit_pls(survey, acsi, progress=False)
acsi_fit.r_squared.merge(pls.r_squared, on="construct", how="outer", suffixes=("_acsi", "_ecsi")).round(3)"""),
]

NOTEBOOKS["04_ratio_dual_ipa"] = [
    ("md", """# C = b/a, dual evaluation and importance–performance analysis

The airline questionnaire rates every service attribute three times: perceived
performance (`CREW1`), expectation (`EXP_CREW1`) and importance (`IMP_CREW1`). The
codebook links them (`attribute` column), so the functions find the pairs themselves."""),
    ("code", """import pandas as pd
import csindex

survey = csindex.datasets.airline()
survey.pairs("expectation")[:3], survey.pairs("importance")[:3]"""),
    ("md", """## C = b/a

`C = b/a` (perceived / expected): below 1 − tol dissatisfied, within ±tol fairly satisfied,
above 1 + tol very satisfied (tol = 0.05). Two aggregations are reported: the mean of the
respondents' ratios and the ratio of the means (the default)."""),
    ("code", """ratio = csindex.ratio_index(survey)
print(f"C (overall, {ratio.settings['aggregation']}) = {ratio.overall:.3f}")
ratio.constructs[["mean_perceived", "mean_reference", "mean_ratio", "ratio_of_means", "band"]].round(3)"""),
    ("code", """bands = ratio.bands
bands[(bands["level"] == "overall") & (bands["measure"] == "ratio")]"""),
    ("code", """ratio.plot("overall");"""),
    ("md", "## Dual evaluation\n\n`W_i = Ī_i / Σ Ī`, `CSI = Σ W_i · S̄_i`, rescaled to 0–100 (variant D1)."),
    ("code", """dual = csindex.dual_evaluation(survey)
print(f"CSI = {dual.overall:.2f} (95% CI {dual.ci_lower:.2f} to {dual.ci_upper:.2f}); on the 1-10 scale {dual.index_raw:.2f}")
assert abs(dual.weights["weight"].sum() - 1) < 1e-12
dual.items.head().round(3)"""),
    ("md", "Weighting per respondent first (variant D2) gives a slightly different number:"),
    ("code", """resp = csindex.dual_evaluation(survey, aggregation="respondent")
round(dual.overall, 3), round(resp.overall, 3)"""),
    ("md", "The improved form weights the attribute-level C = b/a by importance (variant I1):"),
    ("code", """improved = csindex.dual_evaluation(survey, method="improved")
print(f"importance-weighted C = {improved.index_raw:.3f}")"""),
    ("md", "## Importance–performance analysis (IPA)\n\nCross-hairs at the means of importance and performance."),
    ("code", """res = csindex.ipa(survey, crosshair="mean")
res.items["quadrant"].value_counts()"""),
    ("code", """res.plot(title="IPA");"""),
    ("code", """focus = res.items[res.items["quadrant"] == "Concentrate here"].sort_values("opportunity", ascending=False)
focus[["importance", "performance", "opportunity"]].round(2)"""),
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
    ("code", """import pandas as pd
import csindex

survey = csindex.datasets.airline()
drivers = ["CREW", "CABN", "CATR", "ENT", "SAFE", "PUNC"]
target = survey.items(role="overall_satisfaction")
target"""),
    ("code", """res = csindex.driver_weights(survey, target=target, drivers=drivers, method="shapley",
                             bootstrap=500, seed=7)
r2 = float(res.r_squared["r_squared"].iloc[0])
print(f"R² = {r2:.3f}")
res.weights.round(3)"""),
    ("code", """res.plot();"""),
    ("md", "Shapley values add up to R²:"),
    ("code", """assert abs(res.weights["weight"].sum() - r2) < 1e-10
res.regression.round(3)"""),
    ("md", "## All measures side by side"),
    ("code", """table = {}
for method in ["shapley", "dominance", "relative_weights", "pratt", "ols"]:
    table[method] = csindex.driver_weights(survey, target=target, drivers=drivers, method=method).weights.set_index("driver")["share"]
shares = pd.DataFrame(table)
shares.round(3)"""),
    ("code", """dom = csindex.driver_weights(survey, target=target, drivers=drivers, method="dominance")
dom.complete_dominance"""),
    ("md", "## Compare with the generator's truth\n\nThe dimensions load on perceived quality with decreasing strength SAFE > CREW > PUNC > CABN > CATR > ENT."),
    ("code", """truth = csindex.datasets.airline_truth()["driver_order"]
print("true order:   ", truth)
print("Shapley order:", list(res.weights.sort_values("rank")["driver"]))"""),
    ("md", "## A CSI from the driver weights\n\n`index` = Σ share_j · (0–100 score of driver j)."),
    ("code", """print(f"driver-weighted CSI = {res.overall:.1f}")"""),
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


def _content(nb: nbformat.NotebookNode) -> list[tuple[str, str, str, int]]:
    return [(c.cell_type, c.source, c.get("id", ""), len(c.get("outputs", []))) for c in nb.cells]


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for name, cells in NOTEBOOKS.items():
        text = nbformat.writes(build(name, cells)) + "\n"
        path = HERE / f"{name}.ipynb"
        if check:  # compare content, not bytes (nbformat versions serialise slightly differently)
            if not path.exists() or _content(nbformat.read(path, as_version=4)) != _content(build(name, cells)):
                stale.append(path.name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print("stale notebooks (run python examples/make_notebooks.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
