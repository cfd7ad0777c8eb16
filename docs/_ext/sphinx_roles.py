"""Griffe extension: render Sphinx cross-reference roles in docstrings as code.

numpydoc docstrings may use Sphinx roles (``:class:`ModelSpec```,
``:meth:`ModelSpec.from_lavaan```, ``:func:`~csindex.fit_pls```). MkDocs does not
understand them and would print the role name literally; this extension rewrites each
role to inline code (```ModelSpec```), keeping the docstrings valid for Sphinx and
numpydoc tooling. A leading ``~`` keeps only the last dotted component, as in Sphinx.

Enabled in ``mkdocs.yml`` under ``plugins.mkdocstrings.handlers.python.options.extensions``.
"""

from __future__ import annotations

import re
from typing import Any

from griffe import Extension

_ROLE = re.compile(
    r":(?:py:)?(?:class|meth|func|attr|mod|obj|exc|data|const|term|ref):`([^`]+)`"
)


def _replace(match: re.Match[str]) -> str:
    target = match.group(1).strip()
    if "<" in target and target.endswith(">"):  # :ref:`title <target>`
        target = target.split("<", 1)[0].strip()
    if target.startswith("~"):
        target = target[1:].rsplit(".", 1)[-1]
    return f"`{target}`"


def rewrite_roles(text: str) -> str:
    """Return ``text`` with every Sphinx role replaced by inline code."""
    return _ROLE.sub(_replace, text)


class SphinxRoles(Extension):
    """Rewrite Sphinx roles in every docstring to Markdown inline code."""

    def _fix(self, obj: Any) -> None:
        docstring = getattr(obj, "docstring", None)
        if docstring is not None and ":" in docstring.value:
            docstring.value = rewrite_roles(docstring.value)

    def on_instance(self, *, obj: Any, **kwargs: Any) -> None:  # griffe < 1.x event
        self._fix(obj)

    def on_object(self, *, obj: Any, **kwargs: Any) -> None:  # griffe >= 1.x event
        self._fix(obj)
