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
    "improvement_priorities": "csindex.priorities",
    "PriorityResult": "csindex.priorities",
    # models
    "models": "csindex.models",
    "fit_sem": "csindex.sem",
    "fit_sem_multigroup": "csindex.sem",
    "fit_pls": "csindex.pls",
    "plspredict": "csindex.pls",
    "PLSPredictResult": "csindex.pls",
    # kpi
    "nps": "csindex.kpi",
    "kpi": "csindex.kpi",
    # segments and waves
    "segments": "csindex.segments",
    "split_segments": "csindex._segmenting",
    "map_segments": "csindex._segmenting",
    "SegmentResults": "csindex._segmenting",
    "compare_segments": "csindex.comparisons",
    "compare_waves": "csindex.comparisons",
    "micom": "csindex.pls.mga",
    "pls_mga": "csindex.pls.mga",
    "trend": "csindex.waves",
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


# Hidden from type checkers: with a module-level __getattr__ in view they would accept any
# attribute (a typo like csindex.fit_psl would type-check); they read the re-exports below.
if not TYPE_CHECKING:

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


# Static view of the lazy names above, for type checkers and IDEs only (never executed). The
# redundant ``name as name`` form marks each one as an explicit re-export, which ``mypy --strict``
# (no_implicit_reexport) and pyright require; keep it in step with ``_LAZY``
# (tests/test_typing.py checks that it is).
if TYPE_CHECKING:  # pragma: no cover
    from . import datasets as datasets
    from . import kpi as kpi
    from . import models as models
    from . import plots as plots
    from . import segments as segments
    from .io import load_survey as load_survey
    from .kpi import nps as nps
    from .pls import PLSPredictResult as PLSPredictResult
    from .pls import fit_pls as fit_pls
    from .pls import plspredict as plspredict
    from .report import report as report
    from .scoring.drivers import driver_weights as driver_weights
    from .scoring.dual import dual_evaluation as dual_evaluation
    from .scoring.ipa import ipa as ipa
    from .scoring.kano import kano as kano
    from .priorities import PriorityResult as PriorityResult
    from .priorities import improvement_priorities as improvement_priorities
    from .scoring.ratio import ratio_index as ratio_index
    from .scoring.simple import satisfaction_rate as satisfaction_rate
    from .scoring.simple import simple_scores as simple_scores
    from ._segmenting import SegmentResults as SegmentResults
    from ._segmenting import map_segments as map_segments
    from ._segmenting import split_segments as split_segments
    from .comparisons import compare_segments as compare_segments
    from .comparisons import compare_waves as compare_waves
    from .waves import trend as trend
    from .pls.mga import micom as micom
    from .pls.mga import pls_mga as pls_mga
    from .sem import fit_sem as fit_sem
    from .sem import fit_sem_multigroup as fit_sem_multigroup
    from .survey import Survey as Survey
