"""Survey-platform exports: Qualtrics (three header rows, or two in the legacy format) and SurveyMonkey.

Recognised from the first records of a CSV/TSV file (:func:`detect`), before the data is
parsed, so that the extra header rows never reach the type inference.

* **Qualtrics** CSV/TSV (the "legacy export" off): row 1 holds the column names (``StartDate``,
  ``Q1_1``, ...), row 2 the question texts, row 3 a JSON import id per column
  (``{"ImportId":"QID1_1"}``). Question texts become item labels; columns whose import id
  does not start with ``QID`` (the response metadata ``StartDate ... UserLanguage`` and
  embedded data) are profile columns; ``ResponseId`` is the respondent id.
* **Qualtrics legacy format** ("Use legacy format", the pre-2016 layout): two header rows.
  Row 1 holds ``V1`` ... ``V10`` over the response metadata, then the question ids (``Q1``,
  ``Q2_1``, ...), embedded-data names and sometimes ``LocationLatitude``,
  ``LocationLongitude``, ``LocationAccuracy``; row 2 holds the metadata names (``ResponseID``,
  ``ResponseSet``, ``Name``, ``ExternalDataReference``, ``EmailAddress``, ``IPAddress``,
  ``Status``, ``StartDate``, ``EndDate``, ``Finished``) and the question texts (a matrix item
  as ``Question text-Statement``). Recognised only by that signature: ``V1`` ... ``V10`` in
  row 1 and ``ResponseID`` under ``V1``. The ``V`` columns take their row-2 names (the
  respondent id is ``ResponseID``); they, the location columns and the embedded data (whose
  row-2 text repeats the name) are profile columns; question texts become item labels.
* **SurveyMonkey** (expanded CSV): row 1 holds ``Respondent ID, Collector ID, Start Date,
  End Date, IP Address, Email Address, First Name, Last Name, Custom Data 1`` then one
  question text per question (blank over the further columns of a matrix question), row 2
  the matrix row labels (or ``Response``). Question columns are named ``Q1``, ``Q2_1``,
  ``Q2_2``, ... (question number, row number) and labelled with the question text and row
  label; the metadata columns keep their names and are profile columns; ``Respondent ID``
  is the respondent id.

Examples
--------
>>> exp = detect([["Respondent ID", "Collector ID", "How satisfied?", ""], ["", "", "Quality", "Price"]])
>>> exp.platform, exp.names, exp.labels["Q1_2"]
('SurveyMonkey', ['Respondent ID', 'Collector ID', 'Q1_1', 'Q1_2'], 'How satisfied? - Price')
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

__all__ = ["Export", "detect", "QUALTRICS_METADATA", "QUALTRICS_LEGACY_METADATA", "SURVEYMONKEY_METADATA"]

QUALTRICS_METADATA = ("StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)",
                      "Finished", "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName",
                      "RecipientEmail", "ExternalReference", "LocationLatitude", "LocationLongitude",
                      "DistributionChannel", "UserLanguage")
QUALTRICS_LEGACY_METADATA = ("ResponseID", "ResponseSet", "Name", "ExternalDataReference", "EmailAddress",
                             "IPAddress", "Status", "StartDate", "EndDate", "Finished")
_LEGACY_V = tuple(f"V{k}" for k in range(1, 11))
_LEGACY_LOCATION = ("LocationLatitude", "LocationLongitude", "LocationAccuracy")
SURVEYMONKEY_METADATA = ("Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address",
                         "First Name", "Last Name")
_CUSTOM_DATA = re.compile(r"^Custom Data \d+$")
_PLAIN_ROW2 = ("", "Response", "Open-Ended Response")


@dataclass(frozen=True)
class Export:
    """How to read a platform export: column names, rows to skip after the header, labels, roles."""

    platform: str
    names: list[str]
    header_rows: int  # records before the data (names row included)
    labels: dict[str, str] = field(default_factory=dict)
    metadata: list[str] = field(default_factory=list)
    id_column: str | None = None

    def note(self) -> str:
        return (f"{self.platform} export recognised ({self.header_rows} header rows): question texts used as item "
                f"labels; {len(self.metadata)} platform metadata columns kept as profile columns.")


def _import_id(cell: str) -> str | None:
    cell = cell.strip()
    if not cell.startswith("{"):
        return None
    try:
        value = json.loads(cell)
    except ValueError:
        return None
    return str(value["ImportId"]) if isinstance(value, dict) and "ImportId" in value else None


def detect(records: list[list[str]]) -> Export | None:
    """The export layout of a file whose first records are ``records``, or None for a plain table."""
    if len(records) >= 3 and records[0]:
        ids = [_import_id(c) for c in records[2]]
        if len(records[2]) == len(records[0]) and sum(i is not None for i in ids) >= 0.8 * len(ids):
            names = list(records[0])
            labels = {n: t.strip() for n, t in zip(names, records[1]) if t.strip() and t.strip() != n}
            metadata = [n for n, i in zip(names, ids)
                        if (i is not None and not i.startswith("QID")) or (i is None and n in QUALTRICS_METADATA)]
            return Export("Qualtrics", names, 3, labels, metadata, "ResponseId" if "ResponseId" in names else None)
    if len(records) >= 2 and _is_legacy_qualtrics(records[0], records[1]):
        return _legacy_qualtrics(records[0], records[1])
    if len(records) >= 2 and records[0] and records[0][0].strip() == "Respondent ID" and "Collector ID" in records[0]:
        return _surveymonkey(records[0], records[1] if len(records[1]) == len(records[0]) else [""] * len(records[0]))
    return None


def _surveymonkey(top: list[str], sub: list[str]) -> Export:
    names: list[str] = []
    labels: dict[str, str] = {}
    metadata: list[str] = []
    questions: list[list[int]] = []  # column positions of each question
    texts: list[str] = []
    for pos, (head, below) in enumerate(zip(top, sub)):
        head = head.strip()
        if head in SURVEYMONKEY_METADATA or _CUSTOM_DATA.match(head):
            metadata.append(head)
            names.append(head)
            continue
        if head or not questions:
            questions.append([])
            texts.append(head)
        questions[-1].append(pos)
        names.append("")
    for k, (cols, text) in enumerate(zip(questions, texts), start=1):
        for j, pos in enumerate(cols, start=1):
            name = f"Q{k}" if len(cols) == 1 else f"Q{k}_{j}"
            names[pos] = name
            row = sub[pos].strip()
            label = text if row in _PLAIN_ROW2 else (f"{text} - {row}" if text else row)
            if label:
                labels[name] = label
    return Export("SurveyMonkey", names, 2, labels, metadata, "Respondent ID")


def _is_legacy_qualtrics(top: list[str], sub: list[str]) -> bool:
    """The legacy-format signature: ``V1`` ... ``V10`` starting row 1, ``ResponseID`` under ``V1``."""
    return (len(top) == len(sub) and tuple(c.strip() for c in top[:10]) == _LEGACY_V
            and sub[0].strip() == "ResponseID")


def _legacy_qualtrics(top: list[str], sub: list[str]) -> Export:
    names: list[str] = []
    labels: dict[str, str] = {}
    metadata: list[str] = []
    for pos, (head, below) in enumerate(zip(top, sub)):
        head, below = head.strip(), below.strip()
        if pos < 10:  # V1 ... V10: named by row 2 (ResponseID, ..., Finished)
            name = below or QUALTRICS_LEGACY_METADATA[pos]
            names.append(name)
            metadata.append(name)
        else:
            names.append(head)
            if head in _LEGACY_LOCATION or below == head:  # location, embedded data
                metadata.append(head)
            elif below:
                labels[head] = below
    return Export("Qualtrics (legacy format)", names, 2, labels, metadata, "ResponseID")
