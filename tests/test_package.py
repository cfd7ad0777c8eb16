"""Package-level contracts: light import, public names, typing marker, no logging config."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import csindex


def test_import_is_light():
    code = (
        "import sys, csindex, csindex.spec\n"
        "heavy = [m for m in ('matplotlib', 'semopy', 'statsmodels', 'csindex.report') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_py_typed_shipped():
    assert (Path(csindex.__file__).parent / "py.typed").exists()


def test_unknown_attribute_raises_attribute_error():
    try:
        csindex.no_such_thing  # noqa: B018
    except AttributeError as err:
        assert "no_such_thing" in str(err)
    else:  # pragma: no cover
        raise AssertionError("expected AttributeError")


def test_library_does_not_configure_root_logging():
    import logging

    code = "import logging, csindex; print(len(logging.getLogger().handlers))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"
    assert any(isinstance(h, logging.NullHandler) for h in logging.getLogger("csindex").handlers)


def _pyproject() -> dict:
    try:
        import tomllib
    except ImportError:  # Python 3.10: tomli comes with mypy (test extra)
        import tomli as tomllib
    return tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text(encoding="utf-8"))


def test_package_data_patterns_all_match_files():
    """Every package-data glob names files that exist (no entry for a folder that is not there)."""
    src = Path(__file__).resolve().parents[1] / "src" / "csindex"
    patterns = _pyproject()["tool"]["setuptools"]["package-data"]["csindex"]
    assert patterns and all(list(src.glob(p)) for p in patterns), patterns


def test_metadata_has_no_placeholder_urls_and_an_spdx_license():
    project = _pyproject()["project"]
    assert "example.invalid" not in str(project.get("urls", {}))
    assert project["license"] == "MIT"



# The public names of csindex 0.1 (the __all__ lists of csindex, csindex.segments and csindex.kpi
# at the last 0.1 commit). They must keep resolving; a renamed one warns with a FutureWarning.
NAMES_0_1 = {
    "csindex": ['CodebookError', 'Construct', 'CsindexError', 'CsindexWarning', 'EstimationError', 'Mode', 'ModelSpec', 'SegmentResults', 'SpecError', 'Survey', 'SurveyDataError', 'SurveyError', '__version__', 'compare_segments', 'compare_waves', 'datasets', 'driver_weights', 'dual_evaluation', 'fit_pls', 'fit_sem', 'ipa', 'kano', 'kpi', 'load_survey', 'map_segments', 'micom', 'models', 'nps', 'plots', 'pls_mga', 'ratio_index', 'report', 'satisfaction_rate', 'segments', 'simple_scores', 'split_segments', 'trend'],
    "csindex.segments": ['split_segments', 'map_segments', 'SegmentResults', 'segmentable', 'IndexComparison', 'compare_segments', 'compare_waves', 'MICOMResult', 'MGAResult', 'micom', 'pls_mga', 'TrendResult', 'trend'],
    "csindex.kpi": ['NPSResult', 'RateResult', 'LoyaltyMatrixResult', 'TicketKPIResult', 'ReturnRateResult', 'FollowupResult', 'IndexComparisonResult', 'nps', 'recommendation_rate', 'repurchase_rate', 'loyalty_matrix', 'ticket_kpis', 'return_rate', 'followup_compliance', 'compare_indices'],
}
RENAMED_0_1 = {("csindex.segments", "IndexComparison")}


@pytest.mark.parametrize("module", sorted(NAMES_0_1))
def test_public_names_of_0_1_still_resolve(module):
    import importlib
    import warnings

    mod = importlib.import_module(module)
    for name in NAMES_0_1[module]:
        if (module, name) in RENAMED_0_1:
            with pytest.warns(FutureWarning):
                assert getattr(mod, name) is not None
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("error", FutureWarning)
            assert getattr(mod, name) is not None, f"{module}.{name}"
