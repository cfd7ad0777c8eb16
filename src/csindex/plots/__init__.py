"""Plots of csindex results (matplotlib only, imported lazily).

Every function takes plain tidy DataFrames or Series (the tables of the csindex
results), an optional ``ax``, and returns a small Display object that keeps the
data and exposes ``ax_``, ``figure_`` and ``plot(ax=None)`` (the scikit-learn
plotting pattern). Nothing calls ``plt.show()`` and global rcParams are never
changed; labels with Chinese/Japanese/Korean characters get an installed CJK
font automatically.

Importing this module does not import matplotlib.

Examples
--------
>>> import sys, csindex.plots
>>> callable(csindex.plots.path_diagram)
True
"""

from __future__ import annotations

from ._bars import bar_plot
from ._base import Display, fig_to_data_uri, fig_to_svg
from ._charts import (
    DriverChartDisplay,
    IndexChartDisplay,
    PriorityMatrixDisplay,
    RatioDistributionDisplay,
    driver_chart,
    index_chart,
    priority_matrix,
    ratio_distribution,
)
from ._path import PathDiagramDisplay, path_diagram
from ._priorities import ImprovementChartDisplay, improvement_chart
from ._loyalty_trend import LoyaltyMatrixDisplay, TrendChartDisplay, loyalty_matrix_plot, trend_chart
from ._text import TEXTS

__all__ = [
    "Display",
    "DriverChartDisplay",
    "ImprovementChartDisplay",
    "IndexChartDisplay",
    "TEXTS",
    "LoyaltyMatrixDisplay",
    "PathDiagramDisplay",
    "PriorityMatrixDisplay",
    "RatioDistributionDisplay",
    "TrendChartDisplay",
    "bar_plot",
    "driver_chart",
    "fig_to_data_uri",
    "fig_to_svg",
    "improvement_chart",
    "index_chart",
    "loyalty_matrix_plot",
    "path_diagram",
    "priority_matrix",
    "ratio_distribution",
    "trend_chart",
]
