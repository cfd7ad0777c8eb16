"""The survey codebook: what each column is (construct, role, labels, scale, reverse flag).

A codebook comes from a YAML/JSON file, a dict, or is inferred from the data when none is
given (item-name prefixes ``IMAG1, IMAG2 -> IMAG``; scale snapped to a common range). The
inferred facts are kept in :attr:`Codebook.inferred` so callers can say what was guessed.

Dict / file format (every key optional except ``items`` or ``constructs``)::

    scale: [1, 10]                 # default scale of rated items
    missing_codes: [99]            # default "cannot answer" codes
    items:
      IMAG1: {construct: IMAG, role: perception, label_en: Awareness, label_zh: 知名度,
              scale: [1, 10], reverse: false, index_construct: image}
      EXP_CREW1: {construct: EXP_CREW, role: expectation, attribute: CREW1}
      resp_id: {role: id}
    constructs:                    # optional: construct -> items (alternative to per-item construct)
      IMAG: [IMAG1, IMAG2, IMAG3]

Examples
--------
>>> cb = Codebook.from_dict({"scale": [1, 5], "constructs": {"SAT": ["SAT1", "SAT2"]}})
>>> cb.items.loc["SAT2", ["construct", "role", "scale_min", "scale_max"]].to_dict()
{'construct': 'SAT', 'role': 'perception', 'scale_min': 1.0, 'scale_max': 5.0}
>>> cb.constructs
{'SAT': ['SAT1', 'SAT2']}
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._params import Instance, check_param
from ._validation import did_you_mean, quote_list
from ._wording import role_from_label
from .exceptions import CodebookError

__all__ = ["Codebook", "ROLES", "RATED_ROLES", "COLUMNS", "role_from_name"]

ROLES = ("perception", "expectation", "importance", "overall_satisfaction", "loyalty", "profile", "weight", "id")
RATED_ROLES = ("perception", "expectation", "importance", "overall_satisfaction", "loyalty")
COLUMNS = ("construct", "role", "label_en", "label_zh", "scale_min", "scale_max", "reverse", "attribute",
           "index_construct", "missing_codes", "value_labels")
_KNOWN_KEYS = {"construct", "role", "label", "label_en", "label_zh", "scale", "scale_min", "scale_max", "reverse",
               "attribute", "index_construct", "missing_codes", "value_labels", "name"}
#: common scales an inferred scale snaps to (first one containing the observed range)
COMMON_SCALES = ((1, 5), (1, 7), (1, 10), (0, 10), (1, 11), (0, 100))
#: values treated as "cannot answer" codes when inferring, if the other values fit a small scale
COMMON_MISSING_CODES = (98, 99, 999, 9999, -9, -99, -999)
_ID_NAMES = ("resp_id", "respondent_id", "respondent", "id", "respid", "case_id", "caseid")
_WEIGHT_NAMES = ("weight", "weights", "wt", "sample_weight", "sampling_weight")
#: names of profile columns that are often coded as small integers (age band 1-6, education 1-5,
#: a group 1-2): without an item number they are kept as profile columns, not taken as ratings
_PROFILE_RE = re.compile(
    r"(age|age_?group|age_?band|gender|sex|education|edu|income|occupation|job|region|country|province|state|"
    r"city|district|nationality|marital(_status)?|household(_size)?|nphh|hh_?size|children|wave|year|month|"
    r"quarter|store|branch|route)|.*(type|provider|group|segment|channel|category)", re.I)
_ITEM_RE = re.compile(r"^(?P<prefix>.*?[A-Za-z])[_.\-]?(?P<num>\d+)$")
_MATRIX_RE = re.compile(r"^(?P<prefix>.*\d)[_.](?P<num>\d+)$")  # Q1_1, Q1_2: rows of matrix question Q1
_CODE_RE = re.compile(r"^(9+|9+[78]|8{2,})$")


def _empty_items() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS}).rename_axis("item")


@dataclass(frozen=True, repr=False)
class Codebook:
    """Item metadata of a survey.

    Attributes
    ----------
    items : pandas.DataFrame
        Indexed by item (column) name; columns ``construct, role, label_en, label_zh,
        scale_min, scale_max, reverse, attribute, index_construct`` (the contract) plus
        ``missing_codes`` (tuple of codes meaning "cannot answer") and ``value_labels``
        (dict code -> label, or None). Empty text fields are ``""``; profile/id/weight
        columns have NaN scales.
    inferred : tuple of str
        Human-readable notes on what was inferred rather than read from a codebook.
    name : str
        Codebook name (from the file or "inferred").

    Examples
    --------
    >>> cb = Codebook.from_dict({"items": {"Q1": {"construct": "A", "scale": [1, 5], "reverse": True}}})
    >>> bool(cb.items.loc["Q1", "reverse"])
    True
    """

    items: pd.DataFrame = field(default_factory=_empty_items)
    inferred: tuple[str, ...] = ()
    name: str = ""

    # ------------------------------------------------------------------ constructors
    @classmethod
    def coerce(cls, obj: Codebook | Mapping | pd.DataFrame | str | Path) -> Codebook:
        """Return a Codebook from a Codebook, a dict, a table (see :meth:`from_frame`) or a path to a YAML/JSON file.

        Examples
        --------
        >>> Codebook.coerce({"constructs": {"A": ["A1"]}}).constructs
        {'A': ['A1']}
        """
        if isinstance(obj, Codebook):
            return obj
        if isinstance(obj, pd.DataFrame):
            return cls.from_frame(obj)
        if isinstance(obj, Mapping):
            return cls.from_dict(obj)
        if isinstance(obj, (str, Path)):
            return cls.from_file(obj)
        raise CodebookError(
            f"A codebook must be a path to a YAML/JSON file, a dict, a table (DataFrame) or a Codebook; "
            f"got {type(obj).__name__}."
        )

    @classmethod
    def from_file(cls, path: str | Path) -> Codebook:
        """Read a codebook from a ``.json``, ``.yaml`` or ``.yml`` file.

        Examples
        --------
        >>> import csindex.datasets as ds
        >>> cb = Codebook.from_file(ds.airline_codebook_path())
        >>> cb.items.loc["EXP_CREW1", "attribute"]
        'CREW1'
        """
        p = Path(path)
        if not p.exists():
            raise CodebookError(f"Codebook file {str(p)!r} does not exist. Check the path.")
        if p.is_dir():
            raise CodebookError(f"Codebook {str(p)!r} is a folder; give the path of a YAML or JSON file inside it.")
        try:
            text = p.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CodebookError(
                f"Codebook file {str(p)!r} is not UTF-8 text (byte {exc.start} cannot be decoded; a GBK/GB18030 "
                "or Windows-1252 file?). Save it as UTF-8 (YAML and JSON files must be UTF-8)."
            ) from exc
        except OSError as exc:
            raise CodebookError(f"Could not read the codebook file {str(p)!r}: {exc.strerror or exc}. "
                                "Check the path and its permissions.") from exc
        try:
            if p.suffix.lower() == ".json":
                data = json.loads(text)
            else:
                import yaml

                data = yaml.safe_load(text)
        except Exception as exc:  # json.JSONDecodeError, yaml.YAMLError
            raise CodebookError(f"Could not parse the codebook file {str(p)!r}: {exc}. Fix the file syntax.") from exc
        if not isinstance(data, Mapping):
            raise CodebookError(
                f"The codebook file {str(p)!r} must contain a mapping with 'items' or 'constructs'; "
                f"found {type(data).__name__}."
            )
        return cls.from_dict(data, name=str(data.get("name", p.stem)))

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, name: str = "table") -> Codebook:
        """Read a codebook stored as a table (a spreadsheet or database table), one row per item.

        Columns: ``item`` (or ``name``; else the index) and any of ``construct, role, label_en``
        (or ``label``), ``label_zh, scale_min, scale_max, reverse, attribute, index_construct``
        and ``missing_codes`` (numbers separated by ``;`` or ``,``). Empty cells mean "not given".

        Examples
        --------
        >>> t = pd.DataFrame({"item": ["A1", "A2", "id"], "construct": ["A", "A", None],
        ...                   "role": [None, None, "id"], "scale_min": [1, 1, None], "scale_max": [7, 7, None],
        ...                   "missing_codes": ["9", "9;99", None]})
        >>> cb = Codebook.from_frame(t)
        >>> cb.constructs, cb.items.loc["A2", "missing_codes"], cb.id_column
        ({'A': ['A1', 'A2']}, (9.0, 99.0), 'id')
        """
        if not isinstance(frame, pd.DataFrame):
            raise CodebookError(f"A codebook table must be a DataFrame; got {type(frame).__name__}.")
        key = next((c for c in ("item", "name") if c in frame.columns), None)
        names = frame[key] if key else pd.Series(frame.index, index=frame.index)
        fields = [c for c in frame.columns if c != key]
        unknown = [c for c in fields if c not in _KNOWN_KEYS]
        if unknown:
            raise CodebookError(f"The codebook table has unknown column {unknown[0]!r}."
                                f"{did_you_mean(unknown[0], _KNOWN_KEYS)} Columns: item, construct, role, label_en, "
                                "label_zh, scale_min, scale_max, reverse, attribute, index_construct, missing_codes.")
        items: dict[str, dict[str, Any]] = {}
        for pos, item in enumerate(names):
            spec: dict[str, Any] = {}
            for col in fields:
                value = frame[col].iloc[pos]
                if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA or value == "":
                    continue
                if col == "missing_codes" and isinstance(value, str):
                    value = [v for v in re.split(r"[;,\s]+", value.strip()) if v]
                elif col == "reverse" and not isinstance(value, (bool, np.bool_)):
                    text = str(value).strip().lower()
                    value = True if text in ("1", "true", "yes") else False if text in ("0", "false", "no") else value
                elif isinstance(value, np.generic):
                    value = value.item()
                spec[col] = value
            if str(item) in items:
                raise CodebookError(f"The codebook table lists item {str(item)!r} twice; keep one row per item.")
            items[str(item)] = spec
        return cls.from_dict({"items": items}, name=name)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], name: str | None = None) -> Codebook:
        """Build a codebook from a dict (see the module docstring for the format).

        Raises
        ------
        CodebookError
            For an unknown role, a bad scale, a construct with no items, or an item listed
            in two constructs.

        Examples
        --------
        >>> Codebook.from_dict({"constructs": {"A": []}})
        Traceback (most recent call last):
        ...
        csindex.exceptions.CodebookError: Construct 'A' has no items in the codebook. List its items under 'constructs' or give items a 'construct' field, or remove the construct.
        """
        if not isinstance(data, Mapping):
            raise CodebookError(f"A codebook dict is needed; got {type(data).__name__}.")
        if "items" not in data and "constructs" not in data:
            raise CodebookError("The codebook has neither 'items' nor 'constructs'. Add one of them.")
        default_scale = _parse_scale(data.get("scale"), "the codebook")
        default_missing = _parse_codes(data.get("missing_codes", ()), "the codebook")
        default_labels = _parse_value_labels(data.get("value_labels"))
        raw_items = data.get("items") or {}
        if isinstance(raw_items, list):
            entries: dict[str, Mapping] = {}
            for i, entry in enumerate(raw_items):
                if not isinstance(entry, Mapping) or "name" not in entry:
                    raise CodebookError(f"Codebook item number {i + 1} needs a 'name' field.")
                entries[str(entry["name"])] = entry
        elif isinstance(raw_items, Mapping):
            entries = {str(k): (v if v is not None else {}) for k, v in raw_items.items()}
        else:
            raise CodebookError("The codebook 'items' must be a mapping item -> fields or a list of items.")

        rows: dict[str, dict[str, Any]] = {}
        for item, spec in entries.items():
            if not isinstance(spec, Mapping):
                raise CodebookError(f"Codebook item {item!r} must be a mapping of fields; got {spec!r}.")
            unknown = set(spec) - _KNOWN_KEYS
            if unknown:
                bad = sorted(unknown)[0]
                raise CodebookError(
                    f"Codebook item {item!r} has unknown field {bad!r}.{did_you_mean(bad, _KNOWN_KEYS)}"
                )
            rows[item] = _item_row(item, spec, default_scale, default_missing, default_labels)

        constructs = data.get("constructs") or {}
        if not isinstance(constructs, Mapping):
            raise CodebookError("The codebook 'constructs' must be a mapping construct -> list of items.")
        for cname, members in constructs.items():
            if isinstance(members, Mapping):
                members = members.get("items", [])
            if isinstance(members, str):
                members = [members]
            if not members:
                raise CodebookError(
                    f"Construct {cname!r} has no items in the codebook. List its items under 'constructs' "
                    "or give items a 'construct' field, or remove the construct."
                )
            for item in members:
                item = str(item)
                row = rows.get(item)
                if row is not None and row["construct"] and row["construct"] != str(cname):
                    raise CodebookError(
                        f"Item {item!r} is listed in construct {str(cname)!r} but its 'construct' field says "
                        f"{row['construct']!r}. Keep one of them."
                    )
                # listed under 'constructs:' only (or without a role): a rated item with the top-level
                # scale, missing_codes and value_labels, exactly as if its entry said construct: cname
                rows[item] = _item_row(item, {**entries.get(item, {}), "construct": str(cname)},
                                       default_scale, default_missing, default_labels)
        items = pd.DataFrame.from_dict(rows, orient="index", columns=list(COLUMNS)) if rows else _empty_items()
        items.index.name = "item"
        cb = cls(items=_finish(items), name=name if name is not None else str(data.get("name", "")))
        cb._check()
        return cb

    @classmethod
    def infer(cls, data: pd.DataFrame, *, scale: tuple[float, float] | None = None,
              missing_codes: tuple[float, ...] | None = None,
              construct_of: Mapping[str, str] | None = None,
              labels: Mapping[str, str] | None = None) -> Codebook:
        """Infer a codebook from a DataFrame's column names and values (and question texts).

        Rules: a column named like an id (``resp_id``, ``id``) is the id, one named like a
        weight (``weight``) the weights; columns named ``PREFIX<number>`` whose values are
        mostly numeric are items of construct ``PREFIX`` (``Q1_2`` is row 2 of matrix question
        ``Q1``; ``EXP_X``/``IMP_X`` are expectation/importance items of attribute ``X``;
        ``SAT*`` overall satisfaction; ``LOY*`` and ``NPS`` loyalty; others perception);
        other numeric columns holding small integers (0-11) are single-item constructs; the
        rest are profile columns, as are constructs whose items hold only the codes 0/1 or 1/2
        in 30 answers or more each (group dummies, yes/no answers: no rating scale). Values
        standing apart from a construct's range (9 on a 1-7
        battery, 99, 999, -1; see :func:`likely_missing_codes`) are taken as likely "cannot
        answer" codes, and the loader flags them in ``survey.validation``. The scale of a
        construct is the first of :data:`COMMON_SCALES` holding its other values (or
        ``scale`` when given). ``construct_of`` (column -> construct) overrides the name
        prefix for the columns it lists. ``labels`` (column -> question text, as a platform
        export or an SPSS file carries them) become ``label_en``; when an item's name gives no
        role (a perception item by default, e.g. ``Q2``), its role is read from its question
        text (:func:`csindex._wording.role_from_label`: "Overall, how satisfied ..." overall
        satisfaction, "How likely ... again" or "... recommend ..." loyalty, in English or
        Chinese), for all items of a construct together and only when their texts agree.
        Every guess is noted in ``inferred``.

        Examples
        --------
        >>> df = pd.DataFrame({"id": [1, 2], "IMAG1": [3, 99], "IMAG2": [5, 4], "city": ["a", "b"]})
        >>> cb = Codebook.infer(df)
        >>> cb.items[["construct", "role", "scale_min", "scale_max"]]
              construct     role  scale_min  scale_max
        item
        id                    id        NaN        NaN
        IMAG1      IMAG  perception        1.0        5.0
        IMAG2      IMAG  perception        1.0        5.0
        city             profile        NaN        NaN
        >>> cb.items.loc["IMAG1", "missing_codes"]
        (99.0,)
        """
        notes: list[str] = []
        rows: dict[str, dict[str, Any]] = {}
        lower = {str(c).lower(): str(c) for c in data.columns}
        id_col = next((lower[n] for n in _ID_NAMES if n in lower), None)
        weight_col = next((lower[n] for n in _WEIGHT_NAMES if n in lower), None)
        numeric: dict[str, pd.Series] = {}
        by_name: list[str] = []  # small-integer columns kept as profile columns by their names
        for col in data.columns:
            name = str(col)
            row = _item_row(name, {}, None, (), None)
            if name == id_col:
                row["role"] = "id"
                notes.append(f"Column {name!r} was taken as the respondent id.")
            elif name == weight_col:
                row["role"] = "weight"
                notes.append(f"Column {name!r} was taken as the sampling weight.")
            else:
                values = _as_numeric(data[col])
                filled = data[col].notna()
                if values is not None:
                    share = float(values.notna().sum()) / max(int(filled.sum()), 1)
                else:
                    share = 0.0
                named_item = _item_match(name) is not None or name.upper() == "NPS"
                if (values is not None and not named_item and _PROFILE_RE.fullmatch(name) and filled.any()
                        and _looks_like_rating(values)):
                    by_name.append(name)
                elif values is not None and (
                    (share >= 0.5 or not filled.any()) if named_item
                    else (filled.any() and share >= 0.95 and _looks_like_rating(values))
                ):
                    numeric[name] = values
                    row.update(role_from_name(name))
                    if construct_of and name in construct_of:
                        row["construct"] = str(construct_of[name])
                elif values is not None and share >= 0.95 and filled.any():
                    notes.append(f"Numeric column {name!r} does not look like a rating item (name without an "
                                 "item number, values not small integers); kept as a profile column.")
            rows[name] = row

        if by_name:
            notes.append(f"{quote_list(by_name)} kept as profile column{'s' * (len(by_name) != 1)} by "
                         f"{'their names' if len(by_name) != 1 else 'its name'} (demographics, groups), though "
                         "coded like ratings; give a codebook to rate them.")
        # group numeric items by construct for the scale
        by_construct: dict[str, list[str]] = {}
        for name in numeric:
            by_construct.setdefault(rows[name]["construct"], []).append(name)
        for cname in [c for c, members in by_construct.items() if _dummy_codes(numeric, members)]:
            members = by_construct.pop(cname)
            shown = sorted(pd.concat([numeric.pop(m) for m in members]).dropna().unique())
            for m in members:
                rows[m] = _item_row(m, {}, None, (), None)
            notes.append(f"{quote_list(members)} hold{'s' * (len(members) == 1)} only the codes "
                         f"{quote_list([f'{v:g}' for v in shown])}: read as group or yes/no codes and kept as "
                         f"profile column{'s' * (len(members) != 1)}, not rated; give a codebook to rate "
                         f"{'them' if len(members) != 1 else 'it'}.")
        for cname, members in by_construct.items():
            vals = pd.concat([numeric[m] for m in members], ignore_index=True).dropna()
            if missing_codes is not None:
                codes = tuple(float(c) for c in missing_codes)
            else:
                codes = likely_missing_codes(vals, scale)
            rest = vals[~vals.isin(codes)]
            if scale is not None:
                lo, hi = float(scale[0]), float(scale[1])
            elif len(rest):
                obs_lo, obs_hi = float(rest.min()), float(rest.max())
                lo, hi = _snap(obs_lo, obs_hi)
                notes.append(
                    f"Construct {cname!r} ({quote_list(members)}): scale {lo:g}-{hi:g} inferred from the data "
                    f"(observed {obs_lo:g}-{obs_hi:g})"
                    + (f"; {quote_list([f'{c:g}' for c in codes])} "
                       + ("stand apart from it and were taken as likely 'cannot answer' codes"
                          if len(codes) != 1 else "stands apart from it and was taken as a likely 'cannot answer' code")
                       + f" (set to missing; declare {'them' if len(codes) != 1 else 'it'} as missing_codes in a "
                         "codebook if that is right)."
                       if codes else ".")
                )
            else:
                lo = hi = np.nan
                notes.append(f"Construct {cname!r} ({quote_list(members)}) has no answers; its scale is unknown.")
            for m in members:
                rows[m]["scale_min"], rows[m]["scale_max"] = lo, hi
                rows[m]["missing_codes"] = codes
        if labels:
            for name, row in rows.items():
                text = labels.get(name)
                if text is not None and str(text).strip() and str(text) != "nan":
                    row["label_en"] = str(text)
            notes.extend(_roles_from_labels(rows, by_construct))
        if by_construct:
            k, m = len(numeric), len(by_construct)
            notes.insert(0, f"No codebook given: {k} item{'s' * (k != 1)} in {m} construct{'s' * (m != 1)} "
                            f"inferred from column-name prefixes ({quote_list(list(by_construct))}).")
        items = pd.DataFrame.from_dict(rows, orient="index", columns=list(COLUMNS)) if rows else _empty_items()
        items.index.name = "item"
        return cls(items=_finish(items), inferred=tuple(notes), name="inferred")

    # ------------------------------------------------------------------ views
    @property
    def constructs(self) -> dict[str, list[str]]:
        """Construct -> items, for rated items, in codebook order."""
        rated = self.items[self.items["role"].isin(RATED_ROLES) & (self.items["construct"] != "")]
        out: dict[str, list[str]] = {}
        for item, cname in rated["construct"].items():
            out.setdefault(cname, []).append(str(item))
        return out

    @property
    def id_column(self) -> str | None:
        """Name of the respondent-id column, or None."""
        ids = self.items.index[self.items["role"] == "id"]
        return str(ids[0]) if len(ids) else None

    @property
    def weight_column(self) -> str | None:
        """Name of the sampling-weight column, or None."""
        w = self.items.index[self.items["role"] == "weight"]
        return str(w[0]) if len(w) else None

    def rated_items(self) -> list[str]:
        """Items with a rated role (everything but profile, id and weight)."""
        return [str(i) for i in self.items.index[self.items["role"].isin(RATED_ROLES)]]

    def with_items(self, items: pd.DataFrame, notes: tuple[str, ...] = ()) -> Codebook:
        """Return a copy with another ``items`` table and extra ``inferred`` notes."""
        return Codebook(items=_finish(items.copy()), inferred=self.inferred + tuple(notes), name=self.name)

    def to_dict(self) -> dict[str, Any]:
        """Serialise to the dict format read by :meth:`from_dict`.

        Examples
        --------
        >>> cb = Codebook.from_dict({"items": {"Q1": {"construct": "A", "scale": [1, 5]}}})
        >>> Codebook.from_dict(cb.to_dict()).items.equals(cb.items)
        True
        """
        items: dict[str, dict[str, Any]] = {}
        for item, row in self.items.iterrows():
            entry: dict[str, Any] = {"role": row["role"]}
            for key in ("construct", "label_en", "label_zh", "attribute", "index_construct"):
                if row[key]:
                    entry[key] = row[key]
            if not np.isnan(row["scale_min"]):
                entry["scale"] = [row["scale_min"], row["scale_max"]]
            if row["reverse"]:
                entry["reverse"] = True
            if row["missing_codes"]:
                entry["missing_codes"] = list(row["missing_codes"])
            if row["value_labels"]:
                entry["value_labels"] = {str(k): v for k, v in row["value_labels"].items()}
            items[str(item)] = entry
        return {"name": self.name, "items": items}

    def _check(self) -> None:
        items = self.items
        for item, row in items.iterrows():
            if row["role"] in RATED_ROLES and not np.isnan(row["scale_min"]) and row["scale_min"] >= row["scale_max"]:
                raise CodebookError(
                    f"Item {item!r} has scale {row['scale_min']:g}-{row['scale_max']:g}; the minimum must be "
                    "below the maximum. Fix its 'scale'."
                )
        attr = items.loc[items["attribute"] != "", "attribute"]
        unknown = sorted(set(attr) - set(items.index.astype(str)))
        if unknown:
            raise CodebookError(
                f"Codebook 'attribute' fields name items that the codebook does not list: {quote_list(unknown)}. "
                "Add those perception items or fix the attribute names."
            )

    def __repr__(self) -> str:
        n_rated = len(self.rated_items())
        return f"Codebook({self.name!r}: {n_rated} rated items in {len(self.constructs)} constructs, {len(self.items)} columns)"


def _item_match(name: str) -> re.Match[str] | None:
    return _MATRIX_RE.match(name) or _ITEM_RE.match(name)


def role_from_name(name: str) -> dict[str, Any]:
    """The construct and role an item name implies, as used when a codebook is inferred.

    The construct is the name without its item number (``IMAG3 -> IMAG``; a matrix row
    ``Q1_2 -> Q1``); a name without a number is its own construct. The role is read from the
    prefix: ``EXP_`` expectation and ``IMP_`` importance (with the rest of the name as the
    ``attribute`` the item rates), ``SAT``/``CUSA``/``CSAT`` overall satisfaction,
    ``LOY``/``CUSL`` or ``NPS`` loyalty, anything else perception. Case is ignored.

    Parameters
    ----------
    name : str
        A column (item) name.

    Returns
    -------
    dict
        ``{"construct": str, "role": str}``, plus ``"attribute"`` for expectation and
        importance items: the ``construct``, ``role`` and ``attribute`` fields of
        :attr:`Codebook.items` that :meth:`Codebook.infer` fills for this column.

    Examples
    --------
    >>> role_from_name("IMAG3")
    {'construct': 'IMAG', 'role': 'perception'}
    >>> role_from_name("CUSA2")
    {'construct': 'CUSA', 'role': 'overall_satisfaction'}
    >>> role_from_name("IMP_CREW1")
    {'construct': 'IMP_CREW', 'role': 'importance', 'attribute': 'CREW1'}
    >>> role_from_name("Q1_2")["construct"], role_from_name("NPS")["role"]
    ('Q1', 'loyalty')
    """
    check_param("name", name, Instance((str,), "a column name (a string)"), "role_from_name")
    m = _item_match(name)
    construct = m.group("prefix") if m else name
    upper = name.upper()
    out: dict[str, Any] = {"construct": construct, "role": "perception"}
    for prefix, role in (("EXP_", "expectation"), ("IMP_", "importance")):
        if upper.startswith(prefix) and len(name) > len(prefix):
            out["role"] = role
            out["attribute"] = name[len(prefix):]
            return out
    if upper.startswith(("SAT", "CUSA", "CSAT")):
        out["role"] = "overall_satisfaction"
    elif upper.startswith(("LOY", "CUSL")) or upper == "NPS":
        out["role"] = "loyalty"
    return out


def _roles_from_labels(rows: dict[str, dict[str, Any]], by_construct: dict[str, list[str]]) -> list[str]:
    """Set the role of constructs whose names gave none from their items' question texts
    (``label_en``); -> the notes saying what was read."""
    notes: list[str] = []
    for cname, members in by_construct.items():
        if any(rows[m]["role"] != "perception" or rows[m].get("attribute") for m in members):
            continue
        read = [role_from_label(rows[m].get("label_en")) for m in members]
        found = {r for r in read if r is not None}
        if not found:
            continue
        who = quote_list(members)
        if len(found) > 1 or None in read:
            notes.append(f"The question texts of {who} (construct {cname!r}) do not agree on a role; kept as "
                         "perception items. Give a codebook with their roles.")
            continue
        role, asks = found.pop()
        for m in members:
            rows[m]["role"] = role
        first = rows[members[0]]
        nps = (asks == "likelihood to recommend" and len(members) == 1
               and (first["scale_min"], first["scale_max"]) == (0.0, 10.0))
        their = "its" if len(members) == 1 else "their"
        what = role.replace("_", " ")
        what += f" ({asks}{'; the NPS item' if nps else ''})" if asks != what else ""
        notes.append(f"{who} read as {what} from "
                     f"{their} question text ({first['label_en']!r}); give a codebook to set another role.")
    return notes


def _snap(lo: float, hi: float) -> tuple[float, float]:
    """The first of :data:`COMMON_SCALES` holding ``lo..hi``, else ``(lo, hi)``."""
    return next(((float(a), float(b)) for a, b in COMMON_SCALES if a <= lo and hi <= b), (lo, hi))


def _code_like(v: float) -> bool:
    """Negative, or written with nines/eights the way "don't know" codes are (9, 99, 98, 97, 88, 999, ...)."""
    return v < 0 or bool(_CODE_RE.match(str(int(v))))


def likely_missing_codes(values: pd.Series, scale: tuple[float, float] | None = None) -> tuple[float, ...]:
    """Values of a battery that stand apart from its range: likely "cannot answer" codes.

    A value is taken as a code when it is written like one (negative, or 9, 99, 98, 97, 88,
    999, ...), is given by fewer than half of the answers (negative values: together fewer than
    a fifth, else the scale is taken as bipolar), and lies outside the scale: the
    given ``scale``, else the common scale (:data:`COMMON_SCALES`) holding the other values,
    with at least one unused whole number between it and that scale (9 on a 1-7 battery;
    8 on a 1-7 battery is not a code, it widens the scale to 1-10).

    Examples
    --------
    >>> likely_missing_codes(pd.Series([1, 4, 7, 9, 2, 99]))
    (9.0, 99.0)
    >>> likely_missing_codes(pd.Series([1, 4, 8, 9, 10]))
    ()
    >>> likely_missing_codes(pd.Series([0, 5, 10, 3, 6, 2, -1]))
    (-1.0,)
    """
    v = values.dropna()
    v = v[np.isfinite(v)]
    if not len(v) or not bool((v == np.round(v)).all()):
        return ()
    counts = v.value_counts()
    cand = [float(c) for c in counts.index if _code_like(float(c)) and counts[c] < len(v) / 2]
    if counts[counts.index < 0].sum() >= 0.2 * len(v):  # many negative answers: a bipolar scale (-3..3)
        cand = [c for c in cand if c >= 0]
    rest = counts.index[~counts.index.isin(cand)]
    if not len(rest):
        return ()
    if scale is not None:
        lo, hi = float(scale[0]), float(scale[1])
        return tuple(sorted(c for c in cand if c < lo or c > hi))
    lo, hi = _snap(float(rest.min()), float(rest.max()))
    codes = tuple(sorted(c for c in cand if c >= hi + 2 or c <= lo - 2 or (c < 0 <= lo)))
    return codes


#: answers a two-code column needs before it is read as group or yes/no codes, not a rating
_DUMMY_MIN_ANSWERS = 30


def _dummy_codes(numeric: Mapping[str, pd.Series], members: list[str]) -> bool:
    """Whether every item of a construct holds only the codes 0/1 or 1/2 (one or both), in at
    least :data:`_DUMMY_MIN_ANSWERS` answers each: group dummies or yes/no answers, which a
    rating scale rescaled to 0-100 would misread (a 1-5 scale inferred for 1/2 codes)."""
    for m in members:
        v = numeric[m].dropna()
        codes = set(v.unique())
        if len(v) < _DUMMY_MIN_ANSWERS or not (codes <= {0.0, 1.0} or codes <= {1.0, 2.0}):
            return False
    return True


def _looks_like_rating(values: pd.Series) -> bool:
    """Integers within 0-11 once common "cannot answer" codes are set aside."""
    v = values.dropna()
    v = v[~v.isin(COMMON_MISSING_CODES)]
    return bool(len(v)) and bool((v == np.round(v)).all()) and v.min() >= 0 and v.max() <= 11


def _as_numeric(col: pd.Series) -> pd.Series | None:
    """Float view of a column (text that is not a number -> NaN), or None if impossible."""
    if pd.api.types.is_bool_dtype(col):
        return None
    if pd.api.types.is_numeric_dtype(col):
        return col.astype("float64")
    if isinstance(col.dtype, pd.CategoricalDtype):
        col = col.astype(object)
    try:
        stripped = col.astype("string").str.strip()
    except (TypeError, ValueError):
        return None
    return pd.to_numeric(stripped.where(stripped != ""), errors="coerce").astype("float64")


def _parse_scale(value: Any, where: str) -> tuple[float, float] | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        value = (value.get("min"), value.get("max"))
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise CodebookError(f"The scale of {where} must be [min, max]; got {value!r}.") from None
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise CodebookError(f"The scale of {where} is {value!r}; both ends must be finite numbers. "
                            "Give the real range of the answers, e.g. [1, 10].")
    if not lo < hi:
        raise CodebookError(f"The scale of {where} is {lo:g}-{hi:g}; the minimum must be below the maximum.")
    return lo, hi


def _parse_codes(value: Any, where: str) -> tuple[float, ...]:
    if value is None:
        return ()
    if isinstance(value, (int, float, str)):
        value = [value]
    try:
        codes = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        raise CodebookError(f"The missing_codes of {where} must be numbers; got {value!r}.") from None
    if not all(np.isfinite(codes)):
        raise CodebookError(f"The missing_codes of {where} must be finite numbers; got {value!r}.")
    return codes


def _parse_value_labels(value: Any) -> dict[float, str] | None:
    if not value:
        return None
    if not isinstance(value, Mapping):
        raise CodebookError(f"value_labels must map codes to labels; got {value!r}.")
    try:
        return {float(k): str(v) for k, v in value.items()}
    except (TypeError, ValueError):
        raise CodebookError(f"value_labels keys must be numeric codes; got {list(value)!r}.") from None


def _item_row(item: str, spec: Mapping[str, Any], default_scale: tuple[float, float] | None,
              default_missing: tuple[float, ...], default_labels: dict[float, str] | None) -> dict[str, Any]:
    role = str(spec.get("role", "perception" if spec.get("construct") else "profile"))
    if role not in ROLES:
        raise CodebookError(
            f"Codebook item {item!r} has role {role!r}; the role must be one of {quote_list(ROLES, limit=10, conj='or')}."
            f"{did_you_mean(role, ROLES)}"
        )
    rated = role in RATED_ROLES
    if "scale" in spec:
        scale = _parse_scale(spec["scale"], f"item {item!r}")
    elif "scale_min" in spec or "scale_max" in spec:
        scale = _parse_scale((spec.get("scale_min"), spec.get("scale_max")), f"item {item!r}")
    else:
        scale = default_scale if rated else None
    reverse = spec.get("reverse", False)
    if not isinstance(reverse, (bool, np.bool_)):
        raise CodebookError(f"Codebook item {item!r} has reverse={reverse!r}; use true or false.")
    if reverse and not rated:
        raise CodebookError(f"Codebook item {item!r} is reverse-coded but has role {role!r}; only rated items can be.")
    codes = _parse_codes(spec["missing_codes"], f"item {item!r}") if "missing_codes" in spec else default_missing
    labels = _parse_value_labels(spec.get("value_labels")) if "value_labels" in spec else default_labels
    return {
        "construct": str(spec.get("construct") or ""),
        "role": role,
        "label_en": str(spec.get("label_en", spec.get("label", "")) or ""),
        "label_zh": str(spec.get("label_zh", "") or ""),
        "scale_min": float(scale[0]) if scale else np.nan,
        "scale_max": float(scale[1]) if scale else np.nan,
        "reverse": bool(reverse),
        "attribute": str(spec.get("attribute") or ""),
        "index_construct": str(spec.get("index_construct") or ""),
        "missing_codes": codes if rated else (),
        "value_labels": labels if rated else None,
    }


def _finish(items: pd.DataFrame) -> pd.DataFrame:
    items = items.copy()
    for c in ("construct", "role", "label_en", "label_zh", "attribute", "index_construct"):
        items[c] = items[c].fillna("").astype(object)
    items["scale_min"] = items["scale_min"].astype("float64")
    items["scale_max"] = items["scale_max"].astype("float64")
    items["reverse"] = items["reverse"].fillna(False).astype(bool)
    items.index = items.index.astype(object)
    items.index.name = "item"
    return items
