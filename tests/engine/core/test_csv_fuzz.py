"""The CSV reader never crashes on random bytes: it returns a table or a StudioError."""
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core.csvdata import parse_table, select_columns
from engine.core.messages import StudioError


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes(data):
    try:
        select_columns(parse_table(data), {})
    except StudioError as exc:
        assert exc.message()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.text(max_size=12), max_size=4), max_size=8))
def test_random_cells(rows):
    data = "\n".join(",".join(row) for row in rows).encode("utf-8")
    try:
        frame = select_columns(parse_table(data), {})
    except StudioError as exc:
        assert exc.message()
    else:
        assert list(frame.columns) == ["Input", "Output"]
        assert all(frame["Input"]) and all(frame["Output"])
