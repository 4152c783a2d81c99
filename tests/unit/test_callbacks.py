"""The callback-data codec: round trips, Telegram's 64-byte limit, and anything malformed is None."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.ui.callbacks import ARITY, MAX_BYTES, VERSION, Action, Callback, args_of, decode, encode, pattern


@pytest.mark.parametrize("action", list(Action))
def test_every_action_round_trips_within_64_bytes(action: Action) -> None:
    args = tuple(10**12 - 1 - i for i in range(ARITY[action]))
    data = encode(action, *args)
    assert len(data.encode("utf-8")) <= MAX_BYTES
    assert data.startswith(VERSION + ":")
    assert decode(data) == Callback(action, args)


def test_compact_form() -> None:
    assert encode(Action.LATEST, 20) == "1:lt:20"
    assert encode(Action.TOPIC_TOGGLE, 3, 1) == "1:tt:3:1"


@given(st.sampled_from(list(Action)), st.data())
def test_round_trip_any_arguments(action: Action, data: st.DataObject) -> None:
    args = tuple(data.draw(st.integers(0, 10**12 - 1)) for _ in range(ARITY[action]))
    assert decode(encode(action, *args)) == Callback(action, args)


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "1",
        "1:lt",  # missing page
        "1:lt:1:2",  # too many arguments
        "0:lt:1",  # an older version
        "2:lt:1",  # a newer version
        "1:zz:1",  # unknown action
        "1:lt:-1",
        "1:lt:+1",
        "1:lt: 1",
        "1:lt:1_0",
        "1:lt:١",  # Arabic-Indic digits are not accepted in data
        "1:lt:",
        "1:lt:01",
        "1:ar:9999999999999",  # 13 digits
        "1:lt:1" + "0" * 70,  # longer than 64 bytes
        "lt:1",
        "<b>1:lt:1</b>",
        "1:ar:1; DROP TABLE articles",
        "1:lt:1\n",  # a trailing newline ("$" would let it through)
        "1:lt:1:",
    ],
)
def test_malformed_data_decodes_to_none(data: str | None) -> None:
    assert decode(data) is None


@given(st.text(max_size=80))
def test_decode_never_raises(data: str) -> None:
    decoded = decode(data)
    if decoded is not None:
        assert encode(decoded.action, *decoded.args) == data


@pytest.mark.parametrize("args", [(), (1, 2), (-1,), (10**12,), (True,)])
def test_encode_refuses_what_it_cannot_carry(args: tuple[int, ...]) -> None:
    with pytest.raises(ValueError):
        encode(Action.LATEST, *args)


_DATA_PIECES = st.sampled_from(["1", "0", ":", "lt", "tt", "ar", "st", "01", "9" * 12, "١", "\n", " ", "+"])


@given(st.one_of(st.text(max_size=40), st.lists(_DATA_PIECES, max_size=8).map("".join)))
def test_the_routing_patterns_accept_exactly_what_decodes(data: str) -> None:
    # The bot routes a button by its action's pattern; decode is the codec's own reading of it.
    matches = [(action, m) for action in Action if (m := pattern(action).match(data)) is not None]
    decoded = decode(data)
    if decoded is None:
        assert matches == []
    else:
        assert [(action, args_of(m)) for action, m in matches] == [(decoded.action, decoded.args)]


@pytest.mark.parametrize("action", list(Action))
def test_each_pattern_matches_its_own_buttons_only(action: Action) -> None:
    data = encode(action, *range(7, 7 + ARITY[action]))
    assert [a for a in Action if pattern(a).match(data)] == [action]
    match = pattern(action).match(data)
    assert match is not None and args_of(match) == tuple(range(7, 7 + ARITY[action]))
