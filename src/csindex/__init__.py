"""csindex: customer-satisfaction-index analysis.

Load and validate survey responses, score them with the classic CSI methods
(C = b/a, simple method, dual evaluation, IPA, driver weights), estimate the
CCSI/ACSI/ECSI/SCSB index models by PLS path modeling or covariance-based SEM,
and report the results.

Public names are imported lazily so that ``import csindex`` stays light:
matplotlib, semopy and the report code load only when first used.

Examples
--------
>>> import csindex
>>> "fit_pls" in csindex.__all__
True
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from .exceptions import (
    CodebookError,
    CsindexError,
    CsindexWarning,
    EstimationError,
    SpecError,
    SurveyDataError,
    SurveyError,
)
from .spec import Construct, Mode, ModelSpec

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

# public name -> module that defines it (imported on first access)
_LAZY: dict[str, str] = {
    # io / survey
    "load_survey": "csindex.io",
    "Survey": "csindex.survey",
    "datasets": "csindex.datasets",
    # scoring
    "simple_scores": "csindex.scoring.simple",
    "satisfaction_rate": "csindex.scoring.simple",
    "ratio_index": "csindex.scoring.ratio",
    "dual_evaluation": "csindex.scoring.dual",
    "ipa": "csindex.scoring.ipa",
    "driver_weights": "csindex.scoring.drivers",
    "kano": "csindex.scoring.kano",
    "improvement_priorities": "csindex.scoring.priorities",
    "PriorityResult": "csindex.scoring.priorities",
    # models
    "models": "csindex.models",
    "fit_sem": "csindex.sem",
    "fit_pls": "csindex.pls",
    # kpi
    "nps": "csindex.kpi",
    "kpi": "csindex.kpi",
    # segments and waves
    "segments": "csindex.segments",
    "split_segments": "csindex.segments",
    "map_segments": "csindex.segments",
    "SegmentResults": "csindex.segments",
    "compare_segments": "csindex.segments",
    "compare_waves": "csindex.segments",
    "micom": "csindex.segments",
    "pls_mga": "csindex.segments",
    "trend": "csindex.segments",
    # output
    "plots": "csindex.plots",
    "report": "csindex.report",
}

# lazy names that are modules themselves
_MODULES = frozenset({"datasets", "models", "plots", "kpi", "segments"})

__all__ = [
    "__version__",
    "CodebookError",
    "Construct",
    "CsindexError",
    "CsindexWarning",
    "EstimationError",
    "Mode",
    "ModelSpec",
    "SpecError",
    "SurveyDataError",
    "SurveyError",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'csindex' has no attribute {name!r}")
    module = importlib.import_module(module_name)
    # csindex.models, csindex.plots, ... are modules; every other lazy name is a function or
    # class defined in its module (csindex.ipa is the function scoring.ipa.ipa, not a module)
    value = module if name in _MODULES else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from . import datasets, models, plots, segments
    from .io import load_survey
    from .kpi import nps
    from .pls import fit_pls
    from .report import report
    from .scoring.drivers import driver_weights
    from .scoring.dual import dual_evaluation
    from .scoring.ipa import ipa
    from .scoring.kano import kano
    from .scoring.priorities import PriorityResult, improvement_priorities
    from .scoring.ratio import ratio_index
    from .scoring.simple import satisfaction_rate, simple_scores
    from .segments import (SegmentResults, compare_segments, compare_waves, map_segments, micom,
                           pls_mga, split_segments, trend)
    from .sem import fit_sem
    from .survey import Survey
