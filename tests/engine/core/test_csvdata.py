"""CSV decoding and validation: Japanese encodings, broken files, column mapping, downloads."""
import pandas as pd
import pytest

from engine.core.csvdata import parse_table, read_table, select_columns, write_download
from engine.core.messages import StudioError

ROWS = [("Input", "Output"), ("company", "㈱"), ("number", "①"), ("name", "髙橋"), ("wave", "～"), ("dog", "犬")]


def as_text(rows, newline="\n"):
    return newline.join(",".join(row) for row in rows) + newline


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp932"])
def test_japanese_encodings_decode_to_the_same_table(encoding):
    table = parse_table(as_text(ROWS).encode(encoding))
    frame = select_columns(table, {})
    assert list(frame["Output"]) == ["㈱", "①", "髙橋", "～", "犬"]


def test_shift_jis_file_reads_as_cp932():
    data = as_text([("Input", "Output"), ("dog", "犬"), ("cat", "猫")]).encode("shift_jis")
    assert parse_table(data).encoding == "cp932"


def test_mixed_line_endings_and_blank_lines():
    data = "Input,Output\r\ndog,犬\n\n\r\ncat,猫\r".encode()
    frame = select_columns(parse_table(data), {})
    assert list(frame["Input"]) == ["dog", "cat"]


def test_ragged_rows_are_padded_and_reported():
    table = parse_table("Input,Output\ndog\ncat,猫,extra\n".encode())
    assert [key for key, _ in table.warnings] == ["csv.ragged_row", "csv.ragged_row"]
    frame = select_columns(table, {})  # the padded row has an empty Output: skipped, and said so
    assert list(frame["Input"]) == ["cat"]
    assert table.warnings[-1] == ("csv.skipped_blank", {"rows": "2", "count": 1})


def test_rows_with_an_empty_cell_are_skipped_and_named_by_the_row_excel_shows():
    """A teacher's list with a row still to fill in: the rest is used. Row numbers count blank lines
    and the lines inside a quoted cell, as a spreadsheet numbers its rows."""
    data = "Input,Output\n\ndog,猫\n\n\n,犬\n\"two\nlines\",鳥\ncat,\nbird,鳥\n".encode()
    table = parse_table(data)
    assert table.lines == [3, 6, 7, 9, 10]
    frame = select_columns(table, {})
    assert list(frame["Input"]) == ["dog", "two\nlines", "bird"]
    key, params = table.warnings[-1]
    assert key == "csv.skipped_blank" and params == {"rows": "6, 9", "count": 2}
    with pytest.raises(StudioError) as info:  # nothing left to use: refused, with the rows named
        select_columns(parse_table("Input,Output\n,猫\n\ndog,\n".encode()), {})
    assert "2, 4" in info.value.message()


@pytest.mark.parametrize("data, key", [
    (b"", "csv.empty"),
    (b"\n\n  \n", "csv.empty"),
    (b"\x00\x01\x02PNG\xff\xfe\x00garbage", "csv.undecodable"),
    (bytes(range(256)) * 4, "csv.undecodable"),
])
def test_empty_and_binary_files_are_refused(data, key):
    with pytest.raises(StudioError) as info:
        parse_table(data)
    assert info.value.key == key
    if key == "csv.undecodable":
        assert "cp932" in info.value.message() and "UTF-8" in info.value.message()


def test_header_only_and_missing_columns():
    with pytest.raises(StudioError) as info:
        select_columns(parse_table(b"Input,Output\n"), {})
    assert info.value.key == "csv.header_only"
    with pytest.raises(StudioError) as info:
        select_columns(parse_table("Word,Meaning\ndog,犬\n".encode()), {})
    assert "Word, Meaning" in info.value.message()


def test_column_mapping_and_aliases():
    table = parse_table("English,Japanese,Note\ndog,犬,x\n".encode())
    assert list(select_columns(table, {}).columns) == ["Input", "Output"]
    frame = select_columns(table, {"Input": "Note", "Output": "Japanese"})
    assert frame.iloc[0].tolist() == ["x", "犬"]
    with pytest.raises(StudioError):
        select_columns(table, {"Input": "Japanese", "Output": "Japanese"})


def test_too_large_file_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"Input,Output\n" + b"a,b\n" * 1000)
    with pytest.raises(StudioError) as info:
        read_table(path, max_bytes=100)
    assert info.value.key == "csv.too_large"


def test_very_long_cell_is_reported():
    data = ("Input,Output\ndog," + "犬" * 5000 + "\n").encode()
    with pytest.raises(StudioError) as info:
        select_columns(parse_table(data), {})
    assert info.value.key == "csv.cell_too_long"


def test_download_escapes_formulas_and_opens_in_excel(tmp_path):
    frame = pd.DataFrame({"Input": ["=1+1", "+cmd", "-2", "@SUM(A1)", "犬"], "Output": ["ok", "a", "b", "c", "d"]})
    path = write_download(frame, tmp_path / "out.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
    assert list(back["Input"]) == ["'=1+1", "'+cmd", "'-2", "'@SUM(A1)", "犬"]


def test_a_cell_longer_than_the_csv_modules_limit_gets_the_long_cell_message():
    from engine.core.csvdata import MAX_CELL_CHARS, parse_table, select_columns

    table = parse_table(("Input,Output\n" + "x" * 200_000 + ",ねこ\n").encode())  # the csv module stops at 131,072
    with pytest.raises(StudioError) as caught:
        select_columns(table, {})
    assert caught.value.key == "csv.cell_too_long" and str(MAX_CELL_CHARS) in caught.value.message()


@pytest.mark.parametrize("data, line", [
    (b'Input,Output\ndog,"\xe3\x81\xad\xe3\x81\x93\ncat,\xe3\x81\x84\xe3\x81\xac\n', 2),
    (b'Input,Output\r\n\r\ndog,cat\r\n"bird,fish\r\n', 4),
])
def test_an_unclosed_quote_is_named_with_its_line(data, line):
    from engine.core.csvdata import parse_table

    with pytest.raises(StudioError) as caught:
        parse_table(data)
    assert caught.value.key == "csv.unclosed_quote" and f"{line} 行目" in caught.value.message()


def test_a_quote_inside_a_cell_or_a_closed_multiline_cell_is_still_read():
    from engine.core.csvdata import parse_table

    frame = parse_table(b'Input,Output\n5"2,x\n"two\nlines",y\n').frame
    assert list(frame["Input"]) == ['5"2', "two\nlines"]


def test_a_file_with_thousands_of_columns_is_refused_before_any_other_work():
    import time

    from engine.core.csvdata import MAX_COLUMNS, parse_table

    data = (",".join(f"c{i}" for i in range(200_000)) + "\n" + ",".join("1" * 200_000) + "\n") * 20
    started = time.monotonic()
    with pytest.raises(StudioError) as caught:
        parse_table(data.encode())
    assert caught.value.key == "csv.too_many_columns" and f"上限の {MAX_COLUMNS}" in caught.value.message()
    assert time.monotonic() - started < 5


def test_a_missing_column_points_to_the_pickers_only_where_there_are_some():
    table = parse_table("Inptu,Outptu\ndog,ねこ\n".encode())
    with pytest.raises(StudioError) as plain:
        select_columns(table, {})
    with pytest.raises(StudioError) as choose:
        select_columns(table, {}, choosable=True)
    assert "列の対応を選んで" not in plain.value.message() and "列名を Input に変えて" in plain.value.message()
    assert "列の対応を選んで" in choose.value.message()


@pytest.mark.parametrize("header", ["英単語,日本語", "English,Japanese", "word,意味", "ＥＮＧＬＩＳＨ,ＪＡＰＡＮＥＳＥ",
                                    "Word,Answer", "英語,正解", "input,correct"])
def test_a_word_list_is_read_by_the_names_a_teacher_gives_its_columns(header):
    from engine.core.csvdata import word_list_columns

    english, answer = header.split(",")
    table = parse_table(f"{header}\nstation,駅\n".encode("cp932"))
    assert word_list_columns(table.columns) == {"Input": english, "Correct": answer, "candidates": [answer]}


def test_an_answer_column_is_never_a_training_files_output_and_two_candidates_are_both_named():
    from engine.core.csvdata import answer_columns

    assert answer_columns(["Input", "Output"]) == []  # Output may hold wrong translations
    assert answer_columns(["Input", "Output", "Correct"]) == ["Correct"]
    assert answer_columns(["英単語", "日本語", "意味"]) == ["日本語", "意味"]  # the page asks which


def test_a_guessed_role_never_takes_a_column_chosen_for_another():
    table = parse_table("Input,Correct\ndog,犬\n".encode())
    frame = select_columns(table, {"Input": "Input", "Output": "Correct", "Correct": None}, choosable=True)
    assert list(frame.columns) == ["Input", "Output"] and frame.loc[0, "Output"] == "犬"
    with pytest.raises(StudioError) as twice:
        select_columns(table, {"Input": "Input", "Output": "Input"}, choosable=True)
    assert twice.value.key == "csv.same_column_twice"


def test_a_file_without_a_header_row_is_named_as_such_and_a_named_column_must_exist():
    with pytest.raises(StudioError) as headerless:
        select_columns(parse_table("station,駅\nchoose,選ぶ\n".encode()), {}, required=("Input",))
    assert headerless.value.key == "csv.no_header" and "station, 駅" in headerless.value.message()
    assert "ある列" not in headerless.value.message()
    with pytest.raises(StudioError) as missing:
        select_columns(parse_table("Input,Memo\ndog,x\n".encode()), {"Correct": "Nope"}, required=("Input",))
    assert missing.value.key == "csv.no_such_column" and "Nope" in missing.value.message()
