"""ModelSpec: lavaan parsing, round trip, validation errors, rendering for semopy."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csindex.exceptions import SpecError, SurveyDataError
from csindex.spec import ModelSpec


def test_round_trip_reference_model(ecsi_syntax):
    spec = ModelSpec.from_lavaan(ecsi_syntax)
    again = ModelSpec.from_lavaan(spec.to_lavaan())
    assert again == spec
    assert again.to_lavaan() == spec.to_lavaan()
    assert len(spec.paths) == 10 and len(spec.items) == 27
    assert spec.topological_order == ("IMAG", "EXPE", "QUAL", "VAL", "SAT", "LOY")
    assert spec.exogenous == ("IMAG",)


def test_multiline_comments_formative_covariance_modifiers():
    text = """
    # a comment line
    SAT =~ s1 + s2 +   # trailing operator continues
           s3
    VAL <~ v1
         + v2          ! leading plus continues
    SAT ~ VAL; s1 ~~ s2
    SAT =~ 1*s4
    """
    spec = ModelSpec.from_lavaan(text)
    assert spec.block_items == {"SAT": ("s1", "s2", "s3", "s4"), "VAL": ("v1", "v2")}
    assert spec.modes["VAL"].pls_mode == "B"
    assert spec.covariances == (("s1", "s2"),)
    assert dict(spec.modifiers) == {("SAT", "=~", "s4"): "1"}
    assert ModelSpec.from_lavaan(spec.to_lavaan()) == spec


def test_from_blocks_equals_parsed():
    a = ModelSpec.from_blocks({"Q": ["q1", "q2"], "S": ["s1", "s2"]}, paths=[("Q", "S")])
    b = ModelSpec.from_lavaan("Q =~ q1 + q2\nS =~ s1 + s2\nS ~ Q")
    assert a == b


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("SAT =~ s1 + s2\nSAT ~ QUAL", r"names 'QUAL', a construct that is never measured"),
        ("SAT =~ s1 + s2\nVAL =~ s2 + v1", r"Item 's2' is in two blocks, 'SAT' and 'VAL'"),
        ("SAT =~ s1\nVAL =~ v1\nSAT ~ VAL\nSAT ~ VAL", r"Path 'VAL' -> 'SAT' is declared more than once"),
        ("SAT =~ s1\n\nVAL = v1", r"line 3: no operator.*\n    VAL = v1"),
        ("SAT =~ s1 + + s2", r"line 1: an empty term"),
        ("SAT =~ s1\nA B =~ x", r"line 2: the left-hand side must be a single name"),
        ("SAT =~ s1\nVAL =~", r"line 2: nothing on the right-hand side of '=~'"),
        ("A =~ a\nB =~ b\nB ~ A\nA ~ B", r"non-recursive \(has a cycle\)"),
        ("A =~ a\nA ~ A", r"self-loop"),
        ("A =~ a\nA <~ b", r"declared both '=~' and '<~'"),
        ("A =~ a\na ~~ zz", r"names 'zz', which is neither a construct nor an item"),
        ("", r"empty"),
    ],
)
def test_invalid_models_name_the_problem(text, match):
    with pytest.raises(SpecError, match=match):
        ModelSpec.from_lavaan(text)


def test_empty_block_from_blocks():
    with pytest.raises(SpecError, match=r"Construct 'SAT' has no items \(an empty block\)"):
        ModelSpec.from_blocks({"SAT": []})


def test_item_missing_from_data_suggests_close_match():
    spec = ModelSpec.from_lavaan("SAT =~ sat1 + sat2 + sat3")
    with pytest.raises(SurveyDataError, match=r"'SAT' lists 1 item.*'sat3'.*Did you mean 'sat_3'"):
        spec.check_data(["sat1", "sat2", "sat_3"])


def test_to_semopy_rejects_formative_and_fixes_single_item():
    with pytest.raises(SpecError, match="'VAL' are formative"):
        ModelSpec.from_lavaan("VAL <~ v1 + v2").to_semopy()
    text = ModelSpec.from_lavaan("S =~ s1 + s2\nC =~ c1\nC ~ S").to_semopy()
    assert text.splitlines()[-1] == "c1 ~~ 0*c1"


names = st.sampled_from(["A", "B", "C", "D", "E"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(names, names), max_size=8), st.lists(st.integers(1, 3), min_size=5, max_size=5))
def test_round_trip_property(edges, sizes):
    blocks = {c: [f"{c.lower()}{k}" for k in range(n)] for c, n in zip("ABCDE", sizes)}
    # keep only forward edges (a DAG in alphabetical order), no duplicates
    dag = list(dict.fromkeys((s, t) for s, t in edges if s < t))
    spec = ModelSpec.from_blocks(blocks, dag)
    assert ModelSpec.from_lavaan(spec.to_lavaan()) == spec
    order = spec.topological_order
    assert all(order.index(s) < order.index(t) for s, t in spec.paths)
