"""UserError.field: a service's dotted field string becomes a list of path segments."""

from enum import Enum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schema.enums import described_enum
from schema.errors import field_path

names = st.from_regex(r"[a-z][a-zA-Z0-9]{0,11}", fullmatch=True)
indexes = st.integers(min_value=0, max_value=10_000).map(str)
paths = st.lists(st.one_of(names, indexes), min_size=1, max_size=6).filter(lambda p: not p[0].isdigit())


def test_examples():
    assert field_path("skus[0].code") == ["skus", "0", "code"]
    assert field_path("skus.0.code") == ["skus", "0", "code"]
    assert field_path("specDimensions[2].values") == ["specDimensions", "2", "values"]
    assert field_path("rules[3]") == ["rules", "3"]
    assert field_path("from") == ["from"]
    assert field_path("min_spent") == ["minSpent"]
    assert field_path(None) is None
    assert field_path("") is None
    assert field_path("_") is None  # found by hypothesis: no empty segments


@given(paths)
def test_dotted_and_bracketed_forms_give_the_same_path(path):
    dotted = ".".join(path)
    bracketed = "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in path).lstrip(".")
    assert field_path(dotted) == path
    assert field_path(bracketed) == path


@given(st.text(max_size=40))
def test_any_string_gives_non_empty_segments_without_separators(field):
    path = field_path(field)
    assert path is None or (path and all(seg and not set(seg) & set(".[]") for seg in path))


@given(paths)
def test_camel_case_is_kept(path):
    assert field_path(".".join(path)) == path


def test_described_enum_covers_exactly_its_members():
    class Colour(Enum):
        RED = "RED"
        BLUE = "BLUE"

    wrapped = described_enum(Colour, "A colour.", {Colour.RED: "Warm.", "BLUE": "Cold."})
    assert {v.name: v.description for v in wrapped.__strawberry_definition__.values} == {
        "RED": "Warm.",
        "BLUE": "Cold.",
    }

    class Shape(Enum):
        ROUND = "ROUND"

    with pytest.raises(ValueError):
        described_enum(Shape, "A shape.", {})
