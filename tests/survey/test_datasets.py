"""The bundled airline sample: contract columns, determinism of the generator, known structure."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import csindex
from csindex import datasets
from csindex.datasets import _generate

REPO = Path(__file__).resolve().parents[2]
FILES = ("airline.csv", "airline_wave2.csv", "airline_codebook.json", "README.md")
ATTRS = {"CREW": 4, "CABN": 8, "CATR": 3, "ENT": 5, "SAFE": 3, "PUNC": 3, "PRICE": 3}


@pytest.fixture(scope="module")
def survey():
    return datasets.airline()


@pytest.fixture(scope="module")
def raw():
    return pd.read_csv(datasets.samples_dir() / "airline.csv")


def test_generator_is_deterministic(tmp_path):
    _generate.write_samples(tmp_path)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (datasets.samples_dir() / name).read_bytes(), name


def test_generator_runs_as_module(tmp_path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")]))
    subprocess.run([sys.executable, "-m", "csindex.datasets._generate", str(tmp_path)], check=True, env=env,
                   cwd=tmp_path, timeout=120)
    assert (tmp_path / "airline.csv").read_bytes() == (datasets.samples_dir() / "airline.csv").read_bytes()


def test_repo_data_samples_is_the_package_folder():
    link = REPO / "data" / "samples"
    assert link.is_symlink() and os.readlink(link) == "../src/csindex/datasets/samples"
    assert (link / "airline.csv").read_bytes() == (datasets.samples_dir() / "airline.csv").read_bytes()


def test_columns_follow_the_contract(raw):
    expected = ["resp_id", "age", "gender", "occupation", "education", "income", "flights_per_year", "route", "weight"]
    blocks = {"IMAG": 3, "EXPE": 3, "QUAL": 3, **ATTRS, "SAT": 3, "LOY": 2}
    items = [f"{b}{i}" for b, k in blocks.items() for i in range(1, k + 1)]
    attr_items = [f"{b}{i}" for b, k in ATTRS.items() for i in range(1, k + 1)]
    assert set(raw.columns) == set(expected + items + ["NPS"] + [f"EXP_{x}" for x in attr_items]
                                   + [f"IMP_{x}" for x in attr_items])
    assert len(raw) == 1000 and raw["resp_id"].is_unique
    rated = raw[items + [f"EXP_{x}" for x in attr_items]]
    assert set(np.unique(rated.to_numpy())) <= set(range(1, 11)) | {99}
    assert raw["NPS"].between(0, 10).all()
    assert raw["gender"].dtype != np.float64 and set(raw["route"]) == {"domestic", "regional", "international"}


def test_codebook_file_contents():
    cb = json.loads(datasets.airline_codebook_path().read_text(encoding="utf-8"))
    items = cb["items"]
    assert cb["missing_codes"] == [99] and cb["scale"] == [1, 10]
    assert all(v.get("label_en") and v.get("label_zh") for v in items.values())
    assert items["CABN8"]["reverse"] is True
    assert items["EXP_CREW1"] == {**items["EXP_CREW1"], "role": "expectation", "attribute": "CREW1"}
    assert {items[f"{b}1"]["index_construct"] for b in ("IMAG", "EXPE", "QUAL", "PRICE", "SAT", "LOY")} == {
        "image", "expectation", "quality", "value", "satisfaction", "loyalty"}


def test_missing_codes_straight_liners_weights(raw, survey):
    rated = [c for c in raw.columns if c[:3] not in ("NPS",) and c in survey.items()]
    share = raw[rated].eq(99).mean()
    ent = [c for c in rated if c.split("_")[-1].startswith("ENT")]
    other = [c for c in rated if c not in ent]
    assert 0.01 <= share[other].mean() <= 0.05
    assert share[ent].mean() > 2 * share[other].mean()
    assert 2 <= len(survey.validation.straight_liners) <= 20
    inferred = csindex.load_survey(datasets.samples_dir() / "airline.csv")  # no codebook
    assert inferred.validation.straight_liners.equals(survey.validation.straight_liners)
    w = survey.weights
    assert w.min() > 0 and w.mean() == pytest.approx(1, abs=1e-3) and w.std() > 0.1


def test_reverse_item_is_recoded(raw, survey):
    # after recoding CABN8 correlates positively with the other cabin items
    r = survey.responses
    assert r["CABN8"].corr(r["CABN1"]) > 0.3
    assert raw["CABN8"].replace(99, np.nan).corr(raw["CABN1"].replace(99, np.nan)) < -0.3


def test_truth_matches_contract():
    t = datasets.airline_truth()
    assert t["paths"] == {
        ("image", "expectation"): 0.50, ("image", "quality"): 0.20, ("image", "value"): 0.10,
        ("image", "satisfaction"): 0.15, ("expectation", "quality"): 0.40, ("expectation", "value"): 0.10,
        ("expectation", "satisfaction"): 0.05, ("quality", "value"): 0.45, ("quality", "satisfaction"): 0.40,
        ("value", "satisfaction"): 0.30, ("satisfaction", "loyalty"): 0.60, ("image", "loyalty"): 0.15}
    assert t["driver_rho"] == {"SAFE": .85, "CREW": .80, "PUNC": .70, "CABN": .55, "CATR": .40, "ENT": .25}
    assert t["driver_order"] == ["SAFE", "CREW", "PUNC", "CABN", "CATR", "ENT"]
    # latent variances are 1: R² of expectation = .5²
    assert t["r2"]["expectation"] == pytest.approx(0.25)
    card = (datasets.samples_dir() / "README.md").read_text(encoding="utf-8")
    assert "| quality | satisfaction | 0.40 |" in card and "synthetic" in card.lower() and "Licence" in card


def test_structure_recovers_true_paths(survey):
    """Reliability-corrected composite correlations give the true paths (within sampling error)."""
    t = datasets.airline_truth()
    r = survey.responses
    comp, alpha = {}, {}
    for latent, items in t["measurement"].items():
        x = r[items]
        cov = x.cov().to_numpy()
        k = len(items)
        alpha[latent] = k / (k - 1) * (1 - np.trace(cov) / cov.sum())
        comp[latent] = x.mean(axis=1)
    a = pd.Series(alpha)
    assert (a > 0.8).all()
    corr = pd.DataFrame(comp).corr() / np.sqrt(np.outer(a, a))
    corr = corr.to_numpy().copy()
    np.fill_diagonal(corr, 1.0)
    corr = pd.DataFrame(corr, index=a.index, columns=a.index)
    preds = defaultdict(list)
    for src, dst in t["paths"]:
        preds[dst].append(src)
    for dst, srcs in preds.items():
        beta = np.linalg.solve(corr.loc[srcs, srcs], corr.loc[srcs, dst])
        for src, b in zip(srcs, beta):
            assert b == pytest.approx(t["paths"][(src, dst)], abs=0.08), (src, dst)


def test_drivers_ratio_and_importance(survey):
    t = datasets.airline_truth()
    r = survey.responses
    qual = r[["QUAL1", "QUAL2", "QUAL3"]].mean(axis=1)
    corr, ratio, imp = {}, {}, {}
    for block, k in ATTRS.items():
        items = [f"{block}{i}" for i in range(1, k + 1)]
        corr[block] = r[items].mean(axis=1).corr(qual)
        ratio[block] = r[items].mean().mean() / r[[f"EXP_{x}" for x in items]].mean().mean()
        imp[block] = r[[f"IMP_{x}" for x in items]].mean().mean()
    drivers = t["driver_order"]
    assert sorted(drivers, key=lambda d: -corr[d]) == drivers
    assert sorted(drivers, key=lambda d: -imp[d]) == drivers
    for block, target in t["c_ratio"].items():
        assert ratio[block] == pytest.approx(target, abs=0.04), block
    assert 0.95 < np.mean(list(ratio.values())) < 1.05
    assert min(ratio.values()) < 1 < max(ratio.values())


def test_wave2_is_smaller_with_shifted_means(survey):
    w2 = datasets.airline_wave2()
    assert w2.n == 300 and list(w2.responses.columns) == list(survey.responses.columns)
    punc = [f"PUNC{i}" for i in range(1, 4)]
    catr = [f"CATR{i}" for i in range(1, 4)]
    assert w2.responses[punc].mean().mean() - survey.responses[punc].mean().mean() > 0.3
    assert w2.responses[catr].mean().mean() - survey.responses[catr].mean().mean() < -0.15
    assert w2.responses["resp_id"].min() > survey.responses["resp_id"].max()
