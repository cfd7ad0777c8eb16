"""Bundled sample data: a synthetic airline satisfaction survey with a known true model.

The files live in ``csindex/datasets/samples/`` (``data/samples`` in the repository) and are
written by ``python -m csindex.datasets._generate``; see the dataset card ``README.md`` there.

Examples
--------
>>> from csindex import datasets
>>> survey = datasets.airline()
>>> survey.responses.shape
(1000, 111)
>>> datasets.airline_truth()["paths"][("quality", "satisfaction")]
0.4
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["airline", "airline_wave2", "airline_truth", "airline_codebook_path", "samples_dir"]

_SAMPLES = Path(__file__).resolve().parent / "samples"


def samples_dir() -> Path:
    """Folder holding the bundled sample files."""
    return _SAMPLES


def airline_codebook_path() -> Path:
    """Path of the airline survey codebook (JSON, labels in English and Chinese).

    Examples
    --------
    >>> airline_codebook_path().name
    'airline_codebook.json'
    """
    return _SAMPLES / "airline_codebook.json"


def airline(**options):
    """Wave 1 of the synthetic airline survey (1,000 respondents, 1-10 scale, 99 = cannot answer).

    Parameters
    ----------
    **options
        Passed to :func:`csindex.load_survey` (e.g. ``n_invited``).

    Returns
    -------
    Survey

    Examples
    --------
    >>> s = airline()
    >>> s.items(construct="SAT"), s.weights is not None
    (['SAT1', 'SAT2', 'SAT3'], True)
    """
    from ..io import load_survey

    return load_survey(_SAMPLES / "airline.csv", airline_codebook_path(), **options)


def airline_wave2(**options):
    """Wave 2 of the airline survey (300 respondents, same questionnaire, shifted means).

    Examples
    --------
    >>> airline_wave2().n
    300
    """
    from ..io import load_survey

    return load_survey(_SAMPLES / "airline_wave2.csv", airline_codebook_path(), **options)


def airline_truth() -> dict:
    """True coefficients of the population model that generated the airline survey.

    Keys: ``paths`` ((source, target) -> standardised coefficient), ``r2``, ``loadings``
    (continuous-response loadings per item), ``measurement`` (index construct -> items),
    ``driver_rho`` (attribute dimension -> correlation with perceived quality),
    ``driver_order``, ``c_ratio`` (target C = b/a per dimension), ``importance_mean``,
    ``reverse_coded``, ``wave2_shift``, ``seed``, ``n``, ``scale``, ``missing_code``.

    Examples
    --------
    >>> airline_truth()["driver_order"][:3]
    ['SAFE', 'CREW', 'PUNC']
    """
    from ._generate import truth

    return truth()
