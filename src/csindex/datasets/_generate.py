"""Generator of the bundled synthetic airline survey (``python -m csindex.datasets._generate``).

Running this module rewrites ``airline.csv``, ``airline_wave2.csv``,
``airline_codebook.json`` and ``README.md`` in ``csindex/datasets/samples/``.
The output is deterministic: a fixed seed drives one :class:`numpy.random.Generator`
per wave (``SeedSequence(SEED).spawn(2)``), so regenerating gives byte-identical files.

Population model
----------------
1. Six standardised latent variables (variance 1) follow the CCSI paths
   (``PATHS``)::

       image        = e_I
       expectation  = .50 image + e_E
       quality      = .20 image + .40 expectation + e_Q
       value        = .10 image + .10 expectation + .45 quality + e_V
       satisfaction = .15 image + .05 expectation + .40 quality + .30 value + e_S
       loyalty      = .15 image + .60 satisfaction + e_L

   Every disturbance ``e`` is normal with the variance that makes the latent's
   total variance exactly 1 (computed from the implied covariance matrix).
2. Attribute dimensions (the "drivers" of perceived quality):
   ``P_d = rho_d * quality + sqrt(1 - rho_d^2) * u_d`` with ``rho_d`` in ``DRIVER_RHO``.
3. Items: a continuous response ``x* = lambda * latent + sqrt(1 - lambda^2) * eps``
   is mapped to the 1-10 scale by ``clip(round(mu + SD * x*), 1, 10)``. CCSI overall
   items (IMAG, EXPE, QUAL, SAT, LOY) load .80-.90, attribute items .75-.85, the
   price items (indicators of ``value``) .80-.85.
4. Expectation items ``EXP_X`` load .60 on ``expectation`` and have mean
   ``mu_X / C_d`` so that the ratio C = b/a of a dimension is near ``C_RATIO[d]``.
   Importance items ``IMP_X`` have means ``IMP_MEAN[d]`` (ordered as the true
   drivers) and share a respondent-level "everything is important" tendency.
5. ``NPS`` (0-10) is ``clip(round(7 + 2.2 * (.85 loyalty + .53 eps)), 0, 10)``.
6. About 2% of rated cells (6% for ENT items) are "cannot answer", coded 99, completely
   at random; a few respondents are straight-liners (every rated item the same);
   ``CABN8`` ("the cabin felt cramped") is stored reverse-coded (``11 - x``).
7. Profile columns are drawn independently; the sampling ``weight`` corrects an
   over-sample of young and international passengers (mean weight 1).
8. Wave 2 (300 respondents) uses the same model with item means shifted per block
   (``WAVE2_SHIFT``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._export import write_csv

SEED = 20240611
N_WAVE1 = 1000
N_WAVE2 = 300
SD = 1.7  # spread of the continuous response on the 1-10 scale
MISSING_CODE = 99
SAMPLES = Path(__file__).resolve().parent / "samples"

LATENTS = ("image", "expectation", "quality", "value", "satisfaction", "loyalty")
PATHS: dict[tuple[str, str], float] = {
    ("image", "expectation"): 0.50,
    ("image", "quality"): 0.20,
    ("image", "value"): 0.10,
    ("image", "satisfaction"): 0.15,
    ("expectation", "quality"): 0.40,
    ("expectation", "value"): 0.10,
    ("expectation", "satisfaction"): 0.05,
    ("quality", "value"): 0.45,
    ("quality", "satisfaction"): 0.40,
    ("value", "satisfaction"): 0.30,
    ("satisfaction", "loyalty"): 0.60,
    ("image", "loyalty"): 0.15,
}
DRIVER_RHO = {"SAFE": 0.85, "CREW": 0.80, "PUNC": 0.70, "CABN": 0.55, "CATR": 0.40, "ENT": 0.25}
ATTRIBUTE_BLOCKS = ("CREW", "CABN", "CATR", "ENT", "SAFE", "PUNC", "PRICE")
C_RATIO = {"SAFE": 1.06, "CREW": 1.04, "PUNC": 0.90, "CABN": 0.98, "CATR": 0.94, "ENT": 0.90, "PRICE": 0.95}
IMP_MEAN = {"SAFE": 9.0, "CREW": 8.4, "PUNC": 8.0, "CABN": 7.4, "PRICE": 7.2, "CATR": 6.7, "ENT": 6.0}
WAVE2_SHIFT = {"PUNC": 0.6, "ENT": 0.4, "CATR": -0.4, "CREW": 0.2, "SAT": 0.2, "LOY": 0.1}

# block -> (latent or driver, loadings, mean perception level, English labels, Chinese labels)
BLOCKS: dict[str, tuple[str, tuple[float, ...], float, tuple[str, ...], tuple[str, ...]]] = {
    "IMAG": ("image", (0.85, 0.88, 0.82), 7.4,
             ("Awareness of the airline", "Distinctive service", "Logo and livery"),
             ("航空公司知名度", "服务特色", "标志与涂装")),
    "EXPE": ("expectation", (0.86, 0.84, 0.88), 7.6,
             ("Expected overall quality", "Expected reliability", "Expected to meet my needs"),
             ("总体质量预期", "可靠性预期", "满足需求程度预期")),
    "QUAL": ("quality", (0.88, 0.85, 0.87), 7.2,
             ("Perceived overall quality", "Perceived reliability", "Perceived meeting of my needs"),
             ("总体质量感知", "可靠性感知", "满足需求程度感知")),
    "CREW": ("CREW", (0.82, 0.80, 0.76, 0.78), 7.6,
             ("Crew courtesy", "Crew responsiveness to requests", "Crew appearance", "Crew communication"),
             ("乘务员礼貌", "乘务员响应及时", "乘务员仪容仪表", "乘务员沟通能力")),
    "CABN": ("CABN", (0.80, 0.82, 0.78, 0.75, 0.77, 0.76, 0.78, 0.75), 7.0,
             ("Cabin cleanliness", "Seat comfort", "Legroom", "Cabin temperature", "Lavatory cleanliness",
              "Quiet cabin", "Lighting and air quality", "The cabin felt cramped (reverse-coded)"),
             ("客舱清洁", "座椅舒适度", "腿部空间", "客舱温度", "卫生间清洁", "客舱安静",
              "照明与空气质量", "客舱拥挤感（反向计分）")),
    "CATR": ("CATR", (0.82, 0.78, 0.76), 6.6,
             ("Meal taste", "Meal variety", "Beverage service"),
             ("餐食口味", "餐食种类", "饮料服务")),
    "ENT": ("ENT", (0.80, 0.78, 0.75, 0.76, 0.77), 6.2,
            ("Film and TV selection", "Screen quality", "Wi-Fi and connectivity", "Reading material",
             "Audio and headphones"),
            ("影视节目选择", "屏幕质量", "机上无线网络", "报刊杂志", "音频与耳机")),
    "SAFE": ("SAFE", (0.84, 0.82, 0.80), 8.0,
             ("Safety demonstration", "Confidence in aircraft maintenance", "Smooth flying"),
             ("安全演示", "对飞机维护的信心", "飞行平稳")),
    "PUNC": ("PUNC", (0.83, 0.85, 0.78), 6.6,
             ("On-time departure", "On-time arrival", "Delay information and handling"),
             ("准点起飞", "准点到达", "延误信息与处置")),
    "PRICE": ("value", (0.84, 0.82, 0.80), 6.4,
              ("Quality given the fare", "Fare given the quality", "Fare compared with other airlines"),
              ("给定价格下的质量", "给定质量下的价格", "与其他航空公司相比的票价")),
    "SAT": ("satisfaction", (0.90, 0.86, 0.85), 7.3,
            ("Overall satisfaction", "Satisfaction compared with other airlines",
             "Satisfaction compared with the ideal airline"),
            ("总体满意度", "与其他航空公司相比的满意度", "与理想中的航空公司相比的满意度")),
    "LOY": ("loyalty", (0.88, 0.86), 7.2,
            ("Likelihood to recommend", "Likelihood to fly again"),
            ("推荐可能性", "再次乘坐可能性")),
}
REVERSED = ("CABN8",)
INDEX_CONSTRUCT = {"IMAG": "image", "EXPE": "expectation", "QUAL": "quality", "PRICE": "value",
                   "SAT": "satisfaction", "LOY": "loyalty"}
ROLE = {"SAT": "overall_satisfaction", "LOY": "loyalty", "EXPE": "expectation"}
PROFILE: dict[str, tuple[tuple[str, ...], tuple[float, ...], str, str]] = {
    "age": (("18-24", "25-34", "35-44", "45-54", "55+"), (0.20, 0.32, 0.24, 0.15, 0.09), "Age group", "年龄段"),
    "gender": (("female", "male"), (0.47, 0.53), "Gender", "性别"),
    "occupation": (("company employee", "civil servant", "self-employed", "professional", "student", "retired",
                    "other"), (0.34, 0.10, 0.15, 0.20, 0.09, 0.06, 0.06), "Occupation", "职业"),
    "education": (("high school or below", "college diploma", "bachelor", "master or above"),
                  (0.15, 0.25, 0.42, 0.18), "Education", "学历"),
    "income": (("<5000", "5000-9999", "10000-19999", "20000-39999", "40000+"),
               (0.14, 0.30, 0.30, 0.18, 0.08), "Monthly income (CNY)", "月收入（元）"),
    "flights_per_year": (("1-2", "3-5", "6-10", "11-20", "21+"), (0.30, 0.32, 0.20, 0.12, 0.06),
                         "Flights per year", "每年乘机次数"),
    "route": (("domestic", "regional", "international"), (0.55, 0.15, 0.30), "Route flown", "航线类型"),
}
AGE_WEIGHT = {"18-24": 0.70, "25-34": 0.85, "35-44": 1.10, "45-54": 1.35, "55+": 1.60}
ROUTE_WEIGHT = {"domestic": 1.15, "regional": 1.10, "international": 0.70}


def _latent_covariance() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Path matrix B (B[target, source]), disturbance variances and implied covariance.

    Latents are processed in causal order; each disturbance variance is 1 minus the
    variance explained, so every latent has variance 1.
    """
    k = len(LATENTS)
    idx = {name: i for i, name in enumerate(LATENTS)}
    beta = np.zeros((k, k))
    for (src, dst), b in PATHS.items():
        beta[idx[dst], idx[src]] = b
    psi = np.zeros(k)
    cov = np.zeros((k, k))
    for j in range(k):  # LATENTS is a topological order
        b = beta[j, :j]
        explained = float(b @ cov[:j, :j] @ b)
        psi[j] = 1.0 - explained
        cov[j, :j] = cov[:j, :j] @ b
        cov[:j, j] = cov[j, :j]
        cov[j, j] = 1.0
    return beta, psi, cov


def truth() -> dict:
    """The generator's true model as a plain dict (also written to the dataset card)."""
    beta, psi, _ = _latent_covariance()
    return {
        "seed": SEED,
        "n": {"wave1": N_WAVE1, "wave2": N_WAVE2},
        "scale": (1, 10),
        "missing_code": MISSING_CODE,
        "paths": dict(PATHS),
        "r2": {name: round(1.0 - float(p), 6) for name, p in zip(LATENTS, psi) if name != "image"},
        "loadings": {f"{blk}{i + 1}": lam for blk, (_, lams, *_r) in BLOCKS.items() for i, lam in enumerate(lams)},
        "measurement": {latent: [f"{blk}{i + 1}" for i in range(len(BLOCKS[blk][1]))]
                        for blk, latent in INDEX_CONSTRUCT.items()},
        "driver_rho": dict(DRIVER_RHO),
        "driver_order": sorted(DRIVER_RHO, key=lambda d: -DRIVER_RHO[d]),
        "c_ratio": dict(C_RATIO),
        "importance_mean": dict(IMP_MEAN),
        "reverse_coded": list(REVERSED),
        "wave2_shift": dict(WAVE2_SHIFT),
    }


def _discretize(mu: float | np.ndarray, x: np.ndarray, lo: int = 1, hi: int = 10) -> np.ndarray:
    return np.clip(np.rint(mu + SD * x), lo, hi).astype(np.int64)


def generate(n: int, rng: np.random.Generator, *, wave: int = 1,
             offsets: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Draw one wave of the survey (raw file values: 99 = cannot answer, CABN8 reversed).

    Each item's mean is its block mean plus a small item offset (and, for importance items,
    a jitter). ``offsets`` (from a previous wave's ``df.attrs["offsets"]``) reuses them, so a
    later wave differs from the first only by the documented ``WAVE2_SHIFT``; without it they
    are drawn and recorded in ``df.attrs["offsets"]``.
    """
    drawn: dict[str, np.ndarray] = {}

    def offset(key: str, draw: Any) -> np.ndarray:
        drawn[key] = np.asarray(offsets[key] if offsets is not None else draw())
        return drawn[key]

    beta, psi, _ = _latent_covariance()
    k = len(LATENTS)
    eta = np.zeros((n, k))
    for j in range(k):
        eta[:, j] = eta[:, :j] @ beta[j, :j] + np.sqrt(psi[j]) * rng.standard_normal(n)
    lat = {name: eta[:, j] for j, name in enumerate(LATENTS)}
    for d, rho in DRIVER_RHO.items():
        lat[d] = rho * lat["quality"] + np.sqrt(1 - rho**2) * rng.standard_normal(n)
    shift = WAVE2_SHIFT if wave == 2 else {}

    cols: dict[str, np.ndarray] = {"resp_id": np.arange(1, n + 1) + wave * 100000}
    for name, (levels, probs, _, _) in PROFILE.items():
        cols[name] = np.asarray(levels, dtype=object)[rng.choice(len(levels), size=n, p=probs)]
    w = (np.vectorize(AGE_WEIGHT.get)(cols["age"]) * np.vectorize(ROUTE_WEIGHT.get)(cols["route"])
         * np.exp(0.1 * rng.standard_normal(n)))
    cols["weight"] = np.round(w / w.mean(), 4)

    item_mu: dict[str, float] = {}
    for blk, (latent, lams, mu, _, _) in BLOCKS.items():
        item_off = offset(blk, lambda: np.round(rng.uniform(-0.3, 0.3, size=len(lams)), 2))
        for i, lam in enumerate(lams):
            name = f"{blk}{i + 1}"
            m = mu + item_off[i] + shift.get(blk, 0.0)
            item_mu[name] = m
            x = lam * lat[latent] + np.sqrt(1 - lam**2) * rng.standard_normal(n)
            cols[name] = _discretize(m, x)
    nps_x = 0.85 * lat["loyalty"] + np.sqrt(1 - 0.85**2) * rng.standard_normal(n)
    cols["NPS"] = np.clip(np.rint(7.0 + 0.1 * shift.get("LOY", 0) + 2.2 * nps_x), 0, 10).astype(np.int64)

    attr_items = [f"{blk}{i + 1}" for blk in ATTRIBUTE_BLOCKS for i in range(len(BLOCKS[blk][1]))]
    for name in attr_items:
        blk = name.rstrip("0123456789")
        x = 0.6 * lat["expectation"] + 0.8 * rng.standard_normal(n)
        cols[f"EXP_{name}"] = _discretize(min(item_mu[name] / C_RATIO[blk], 9.0), x)
    tendency = rng.standard_normal(n)
    for name in attr_items:
        blk = name.rstrip("0123456789")
        x = (0.5 * tendency + np.sqrt(0.75) * rng.standard_normal(n)) * 0.7
        jitter = offset(f"IMP_{name}", lambda: rng.uniform(-0.15, 0.15))
        cols[f"IMP_{name}"] = _discretize(IMP_MEAN[blk] + float(jitter), x)

    df = pd.DataFrame(cols)
    rated = [c for c in df.columns if c not in PROFILE and c not in ("resp_id", "weight", "NPS")]
    # a few straight-liners answer every rated item with the same code
    n_straight = max(2, n // 200)
    rows = rng.choice(n, size=n_straight, replace=False)
    values = rng.choice([5, 8, 10], size=n_straight)
    block = df[rated].to_numpy(copy=True)
    block[rows, :] = values[:, None]
    # reverse-coded item stored as answered (straight-liners included: same raw code)
    rated_pos = {c: i for i, c in enumerate(rated)}
    for c in REVERSED:
        j = rated_pos[c]
        keep = np.ones(n, dtype=bool)
        keep[rows] = False
        block[keep, j] = 11 - block[keep, j]
    # "cannot answer" cells
    p_miss = np.array([0.06 if c.split("_")[-1].startswith("ENT") else 0.02 for c in rated])
    miss = rng.random(block.shape) < p_miss[None, :]
    miss[rows, :] = False
    block[miss] = MISSING_CODE
    df[rated] = block
    df.attrs["offsets"] = drawn
    return df


def codebook() -> dict:
    """The codebook of the airline survey as a JSON-ready dict."""
    items: dict[str, dict] = {
        "resp_id": {"role": "id", "label_en": "Respondent id", "label_zh": "受访者编号"},
    }
    for name, (_, _, en, zh) in PROFILE.items():
        items[name] = {"role": "profile", "label_en": en, "label_zh": zh}
    items["weight"] = {"role": "weight", "label_en": "Sampling weight", "label_zh": "抽样权重"}
    for blk, (_, lams, _, en, zh) in BLOCKS.items():
        for i in range(len(lams)):
            name = f"{blk}{i + 1}"
            items[name] = {
                "construct": blk, "role": ROLE.get(blk, "perception"),
                "label_en": en[i], "label_zh": zh[i], "scale": [1, 10],
                "reverse": name in REVERSED, "index_construct": INDEX_CONSTRUCT.get(blk, ""),
            }
    items["NPS"] = {"construct": "NPS", "role": "loyalty", "label_en": "Likelihood to recommend (0-10)",
                    "label_zh": "推荐意愿（0-10分）", "scale": [0, 10],
                    "value_labels": {"0": "not at all likely", "10": "extremely likely"}}
    anchors = {"expectation": ("very low expectation", "very high expectation"),
               "importance": ("not important at all", "very important")}
    for prefix, role, en_p, zh_p in (("EXP", "expectation", "Expectation: ", "预期："),
                                     ("IMP", "importance", "Importance: ", "重要性：")):
        for blk in ATTRIBUTE_BLOCKS:
            _, lams, _, en, zh = BLOCKS[blk]
            for i in range(len(lams)):
                name = f"{blk}{i + 1}"
                label_en = en[i].replace(" (reverse-coded)", "")
                label_zh = zh[i].replace("（反向计分）", "")
                items[f"{prefix}_{name}"] = {
                    "construct": f"{prefix}_{blk}", "role": role, "label_en": en_p + label_en,
                    "label_zh": zh_p + label_zh, "scale": [1, 10], "attribute": name,
                    "value_labels": {"1": anchors[role][0], "10": anchors[role][1], "99": "cannot answer"},
                }
    return {
        "name": "airline",
        "description": "Synthetic airline passenger satisfaction survey (CCSI structure).",
        "scale": [1, 10],
        "missing_codes": [MISSING_CODE],
        "value_labels": {"1": "very dissatisfied", "10": "very satisfied", "99": "cannot answer"},
        "items": items,
    }


def _card() -> str:
    t = truth()
    paths = "\n".join(f"| {s} | {d} | {b:.2f} |" for (s, d), b in t["paths"].items())
    r2 = "\n".join(f"| {k} | {v:.4f} |" for k, v in t["r2"].items())
    rho = "\n".join(f"| {d} | {r:.2f} | {t['c_ratio'][d]:.2f} | {t['importance_mean'][d]:.1f} |"
                    for d, r in DRIVER_RHO.items())
    meas = "\n".join(f"- `{lat}`: {', '.join(items)}" for lat, items in t["measurement"].items())
    return f"""# Airline passenger satisfaction survey (synthetic)

- **Source**: synthetic. Generated by `python -m csindex.datasets._generate`
  (`src/csindex/datasets/_generate.py`, seed {SEED}); regenerating gives byte-identical files.
  Modelled on a typical airline satisfaction questionnaire; no real respondents.
- **Licence**: CC0 1.0 (public domain dedication); the generator is MIT like csindex.
- **Files**: `airline.csv` (wave 1, {N_WAVE1} respondents), `airline_wave2.csv` (wave 2,
  {N_WAVE2} respondents, shifted means), `airline_codebook.json` (item -> construct, role,
  English and Chinese labels, scale, reverse flag, attribute, index construct).
- **Encoding**: UTF-8, comma separated, one row per respondent.
- **Scale**: 1-10 (1 = very dissatisfied / not important, 10 = very satisfied / very
  important); `NPS` is 0-10.
- **Missing codes**: `99` = "cannot answer" (about 2% of rated cells, 6% of the in-flight
  entertainment `ENT` cells, missing completely at random). Loading with
  `csindex.load_survey(..., codebook=...)` turns 99 into NaN.
- **Reverse-coded item**: `CABN8` ("the cabin felt cramped") is stored as answered; the
  loader recodes it to `11 - x`.
- **Straight-liners**: {max(2, N_WAVE1 // 200)} respondents in wave 1 ({max(2, N_WAVE2 // 200)} in wave 2)
  give the same answer to every 1-10 rated item (perception, expectation and importance).
- **Weights**: `weight` is a sampling weight (mean 1) correcting an over-sample of young and
  international passengers.

## Columns

`resp_id`; profile `age, gender, occupation, education, income, flights_per_year, route`;
`weight`; perception items `IMAG1-3, EXPE1-3, QUAL1-3, CREW1-4, CABN1-8, CATR1-3, ENT1-5,
SAFE1-3, PUNC1-3, PRICE1-3`, overall satisfaction `SAT1-3`, loyalty `LOY1-2`, `NPS`;
for every attribute item X of CREW, CABN, CATR, ENT, SAFE, PUNC, PRICE an expectation
rating `EXP_X` and an importance rating `IMP_X`.

## Population model

All latent variables are standardised (variance 1). Structural model (CCSI paths plus
image -> loyalty), with each disturbance variance set so the latent variance is exactly 1:

| source | target | true coefficient |
|---|---|---|
{paths}

Implied R² of the endogenous latents:

| latent | R² |
|---|---|
{r2}

Measurement (continuous loadings .80-.90 before discretisation):

{meas}

Attribute dimensions: `P_d = rho_d * quality + sqrt(1 - rho_d^2) * u_d`, so `rho_d` is the
correlation of dimension d with perceived quality (the true driver strength). Expectation items
`EXP_X` load .60 on `expectation` and have means near `mean(X) / C_d`, so C = b/a of dimension d
is near `C_d`; importance items `IMP_X` share a respondent-level tendency and have means near the
value below (ordered as the true drivers):

| dimension | rho_d (true driver strength) | C = b/a target | importance mean |
|---|---|---|---|
{rho}
| PRICE | (indicators of `value`) | {t['c_ratio']['PRICE']:.2f} | {t['importance_mean']['PRICE']:.1f} |

Each item is `clip(round(mu + {SD} * x*), 1, 10)` where `x* = lambda * latent +
sqrt(1 - lambda^2) * eps`. Wave 2 shifts item means by block: {", ".join(f"{k} {v:+.1f}" for k, v in WAVE2_SHIFT.items())}.
The true values are also returned by `csindex.datasets.airline_truth()`.
"""


def write_samples(directory: Path | str = SAMPLES) -> list[Path]:
    """Write the sample files into ``directory`` and return their paths."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    rng1, rng2 = (np.random.default_rng(s) for s in np.random.SeedSequence(SEED).spawn(2))
    paths = []
    wave1 = generate(N_WAVE1, rng1, wave=1)
    # wave 2 keeps wave 1's item offsets: the waves differ only by WAVE2_SHIFT
    wave2 = generate(N_WAVE2, rng2, wave=2, offsets=wave1.attrs["offsets"])
    for fname, df in (("airline.csv", wave1), ("airline_wave2.csv", wave2)):
        path = out / fname
        paths.append(write_csv(path, df, float_format="%.4f"))
    cb = out / "airline_codebook.json"
    cb.write_bytes((json.dumps(codebook(), ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
    card = out / "README.md"
    card.write_bytes(_card().encode("utf-8"))
    return [*paths, cb, card]


def main(argv: list[str] | None = None) -> int:
    """Regenerate the sample files (optionally into another directory given as argument)."""
    args = sys.argv[1:] if argv is None else argv
    write_samples(args[0] if args else SAMPLES)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
