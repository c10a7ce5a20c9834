"""Attribute values survive a round trip, and agree with boto3's own (de)serializer (properties)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer
from hypothesis import given, settings
from hypothesis import strategies as st

from trellis.runtime.tables import marshal, marshal_item, unmarshal, unmarshal_item

# DynamoDB numbers: up to 38 significant digits, magnitude 1E-130 .. 9.99E+125.
numbers = st.one_of(
    st.integers(min_value=-(10**38) + 1, max_value=10**38 - 1),
    st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(
        lambda d: d == 0 or (len(d.as_tuple().digits) <= 38 and -130 <= d.adjusted() <= 125)
    ),
)
scalars = st.one_of(
    st.text(max_size=20),
    numbers,
    st.booleans(),
    st.none(),
    st.binary(min_size=0, max_size=20),
)
sets = st.one_of(
    st.frozensets(st.text(max_size=10), min_size=1, max_size=5).map(set),
    st.frozensets(numbers, min_size=1, max_size=5).map(set),
    st.frozensets(st.binary(min_size=1, max_size=10), min_size=1, max_size=5).map(set),
)
values = st.recursive(
    st.one_of(scalars, sets),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=4),
    ),
    max_leaves=12,
)


def _plain(value: Any) -> Any:
    """boto3's reading of a value in our terms: Binary as bytes, integral Decimals as int."""
    if isinstance(value, Binary):
        return bytes(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value
    if isinstance(value, (set, frozenset)):
        return {_plain(v) for v in value}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _normalised(value: Any) -> Any:
    """The value as DynamoDB gives it back: numbers exact, integral ones as int."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, Decimal)):
        return int(value) if value == Decimal(value).to_integral_value() else value
    if isinstance(value, (set, frozenset)):
        return {_normalised(v) for v in value}
    if isinstance(value, list):
        return [_normalised(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalised(v) for k, v in value.items()}
    return value


@settings(max_examples=300, deadline=None)
@given(values)
def test_any_value_survives_a_round_trip_exactly(value: Any) -> None:
    assert unmarshal(marshal(value)) == _normalised(value)


@settings(max_examples=300, deadline=None)
@given(values)
def test_our_attribute_values_read_the_same_as_boto3s(value: Any) -> None:
    ours = marshal(value)
    assert _plain(TypeDeserializer().deserialize(ours)) == unmarshal(ours)
    theirs = TypeSerializer().serialize(_boto3_input(value))
    assert unmarshal(theirs) == unmarshal(ours)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=8), values, max_size=6))
def test_an_item_read_back_writes_back_identically(item: dict[str, Any]) -> None:
    stored = marshal_item(item)
    assert _canonical(marshal_item(unmarshal_item(stored))) == _canonical(stored)


def _boto3_input(value: Any) -> Any:
    """boto3 takes ints and Decimals (it refuses floats, as we do) and bytes."""
    return value


def _canonical(value: Any) -> Any:
    """Attribute values with set members sorted (DynamoDB sets have no order)."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in ("SS", "NS", "BS"):
                out[k] = sorted(v)
            else:
                out[k] = _canonical(v)
        return out
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value
