"""Hostile and broken input sent through the tabs of one launched app, as any visitor could.

Each case must end in a clear Japanese message (we assert on its words), never a crash or the
generic "unexpected error", and must leave what was already stored untouched.
"""
import pickle
import shutil

import numpy as np
import pandas as pd
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from engine.core import csvdata, paths, runs
from engine.models import store
from tests.launching import served
from tests.model_fixtures import MODEL_NAME, tiny_model_dir  # noqa: F401 - fixture

GREEDY = ["greedy", 1, 16, 4, 2, 1.0, 1.0, 50, 1.0, 1.0, 0, 42]
# epochs, max_steps, learning_rate, batch_size, grad_accum, warmup_ratio, weight_decay, max_input_length,
# max_target_length, validation_split, seed, early_stopping_patience, label_smoothing, eval_every
TRAIN_NUMBERS = [3.0, 2, 3e-4, 4, 1, 0.0, 0.0, 32, 32, 0.1, 42, 0, 0.0, 0]
GENERIC = "予期しないエラー"

# Characters Excel writes in cp932 that plain shift_jis cannot encode.
CP932_TEXT = "Input,Output,Correct\r\napple,①みかん,りんご\r\ncompany,㈱髙橋～,会社\r\n"
PLAIN_TEXT = "Input,Output,Correct\ndog,ねこ,いぬ\ncat,いぬ,ねこ\nsun,月,太陽\nsea,山,海\n"

GOOD_FILES = {  # name -> (bytes, a cell that must come back intact, encoding reported)
    "cp932.csv": (CP932_TEXT.encode("cp932"), "㈱髙橋～", "cp932"),
    "shift_jis.csv": (PLAIN_TEXT.encode("shift_jis"), "ねこ", "cp932"),
    "utf8.csv": (CP932_TEXT.encode("utf-8"), "㈱髙橋～", "utf-8"),
    "utf8_bom.csv": (CP932_TEXT.encode("utf-8-sig"), "㈱髙橋～", "utf-8-sig"),
    "utf16.csv": (CP932_TEXT.encode("utf-16"), "㈱髙橋～", "utf-16"),
    "mixed_endings.csv": (b"Input,Output,Correct\r\ndog,\xe3\x81\xad\xe3\x81\x93,x\ncat,y,z\rsun,moon,w\r\n", "ねこ", "utf-8"),
    "blank_and_ragged.csv": ("Input,Output,Correct\n\n,,\ndog,ねこ\ncat,いぬ,ねこ,余分\n\n".encode(), "ねこ", "utf-8"),
}

BAD_FILES = {  # name -> (bytes, words the message must contain)
    "empty.csv": (b"", "CSV が空です"),
    "spaces_only.csv": (b"  \r\n \n", "CSV が空です"),
    "header_only.csv": (b"Input,Output,Correct\r\n", "列名の行しかありません"),
    "misnamed.csv": ("Inptu,Outptu\ndog,ねこ\n".encode(), "に当たる列が見つかりません"),
    "one_column.csv": ("Memo\ndog\n".encode(), "に当たる列が見つかりません"),  # "Word" names English words
    "duplicate_header.csv": (b"Input,Input\na,b\n", "重複"),
    "binary.csv": (bytes(range(256)) * 40, "文字コードを読み取れませんでした"),
    "png_renamed.csv": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 200, "文字コードを読み取れませんでした"),
    "long_cell.csv": (("Input,Output\n" + "a" * 5000 + ",x\n").encode(), "文字を超えるセル"),
    "blank_cells.csv": ("Input,Output\ndog,\n,ねこ\n".encode(), "列の入った行がありません"),
}


@pytest.fixture(scope="module")
def app_url(tmp_path_factory, tiny_model_dir):  # noqa: F811
    """The whole app over its own data home holding one small trained model."""
    home = tmp_path_factory.mktemp("hostile-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(paths.HOME_ENV, str(home))
        shutil.copytree(tiny_model_dir, paths.models_dir() / MODEL_NAME)
        import app

        with served(app.build_app()) as (url, _client):
            yield url
        # Nothing lost: after every hostile request the stored model is still whole and usable.
        assert store.model_names() == [MODEL_NAME]
        assert (paths.models_dir() / MODEL_NAME / "model.safetensors").is_file()
        assert not [p for p in paths.models_dir().iterdir() if p.name != MODEL_NAME]


@pytest.fixture
def client(app_url):
    return Client(app_url, verbose=False)  # a fresh visitor (own session) per test


def write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return handle_file(str(path))


def message_of(info) -> str:
    text = str(info.value)
    assert GENERIC not in text, text
    return text


def cells(table) -> str:
    return " ".join(str(c) for row in table["data"] for c in row)


# ---------------------------------------------------------------- CSV through four handlers

@pytest.mark.parametrize("name", list(GOOD_FILES))
def test_train_upload_reads_every_excel_encoding(client, tmp_path, name):
    data, cell, encoding = GOOD_FILES[name]
    _in, _out, summary, preview = client.predict(write(tmp_path, name, data), api_name="/upload_csv")
    assert "行を読み込みました" in summary and f"文字コード: {encoding}" in summary
    assert cell in cells(preview)


@pytest.mark.parametrize("name", list(GOOD_FILES))
def test_try_batch_reads_every_excel_encoding(client, tmp_path, name):
    data, _cell, _encoding = GOOD_FILES[name]
    summary, table, download = client.predict(MODEL_NAME, write(tmp_path, name, data), *GREEDY,
                                              api_name="/try_generate_csv")
    assert "行を" in summary and "生成しました" in summary
    inputs = [row[0] for row in table["data"]]
    assert "dog" in inputs or "apple" in inputs
    assert len(pd.read_csv(download, encoding="utf-8-sig")) == len(inputs)


@pytest.mark.parametrize("name", ["cp932.csv", "utf16.csv", "blank_and_ragged.csv"])
def test_evaluate_reads_excel_encodings(client, tmp_path, name):
    data, cell, _encoding = GOOD_FILES[name]
    summary, _comparison, _plot, rows, _download = client.predict(
        write(tmp_path, name, data), [MODEL_NAME], *GREEDY, api_name="/evaluate")
    assert "評価しました" in summary
    assert cell in cells(rows)


@pytest.mark.parametrize("name", [n for n in BAD_FILES if n != "misnamed.csv"])
def test_train_upload_explains_broken_files(client, tmp_path, name):
    data, words = BAD_FILES[name]
    _in, _out, summary, preview = client.predict(write(tmp_path, name, data), api_name="/upload_csv")
    assert words in summary and "問題:" in summary
    assert not (preview or {}).get("data")


@pytest.mark.parametrize("name", [n for n in BAD_FILES if n not in ("misnamed.csv", "one_column.csv")])
def test_evaluate_explains_broken_files(client, tmp_path, name):
    data, words = BAD_FILES[name]
    with pytest.raises(AppError) as info:
        client.predict(write(tmp_path, name, data), [MODEL_NAME], *GREEDY, api_name="/evaluate")
    assert words in message_of(info)


@pytest.mark.parametrize("name", ["empty.csv", "header_only.csv", "binary.csv", "png_renamed.csv",
                                  "one_column.csv", "long_cell.csv", "duplicate_header.csv"])
def test_try_batch_explains_broken_files(client, tmp_path, name):
    data, words = BAD_FILES[name]
    if name == "one_column.csv":
        words = "「Input」に当たる列が見つかりません"
    with pytest.raises(AppError) as info:
        client.predict(MODEL_NAME, write(tmp_path, name, data), *GREEDY, api_name="/try_generate_csv")
    assert words in message_of(info)


def test_train_offers_misnamed_columns_to_pick(client, tmp_path):
    """The Train tab lets people map their own column names; it proposes them rather than refusing."""
    input_col, output_col, summary, _preview = client.predict(
        write(tmp_path, "m.csv", "Inptu,Outptu\ndog,ねこ\n".encode()), api_name="/upload_csv")
    assert (input_col["value"], output_col["value"]) == ("Inptu", "Outptu")
    assert "1 行を読み込みました" in summary


def test_missing_columns_are_named_for_evaluate(client, tmp_path):
    with pytest.raises(AppError) as info:
        client.predict(write(tmp_path, "m.csv", "Inptu,Outptu\ndog,ねこ\n".encode()), [MODEL_NAME], *GREEDY,
                       api_name="/evaluate")
    text = message_of(info)
    assert "「Input」に当たる列" in text and "「Output」に当たる列" in text and "Inptu" in text
    assert "列の対応を選んで" not in text  # the Evaluate tab has no column picker to point at
    assert info.value.title == "エラー"  # the toast's title too, not gradio's English "Error"


def test_formula_cells_are_escaped_in_downloads(client, tmp_path):
    hostile = 'Input,Output,Correct\n=HYPERLINK("http://x"),+1,-2\n@SUM(A1),"=1+1",\tcmd\n'.encode()
    _s, table, download = client.predict(MODEL_NAME, write(tmp_path, "f.csv", hostile), *GREEDY,
                                         api_name="/try_generate_csv")
    frame = pd.read_csv(download, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(frame["Input"]) == ["'=HYPERLINK(\"http://x\")", "'@SUM(A1)"]
    _s, _c, _p, _rows, download = client.predict(write(tmp_path, "f.csv", hostile), [MODEL_NAME], *GREEDY,
                                                 api_name="/evaluate")
    frame = pd.read_csv(download, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert set(frame["入力"]) == {"'=HYPERLINK(\"http://x\")", "'@SUM(A1)"}  # the download's headers in words
    assert set(frame["期待する出力"]) == {"'+1", "'=1+1"}
    assert not any(str(v).startswith(("=", "+", "-", "@")) for v in frame.to_numpy().ravel())


def test_html_in_a_file_is_not_echoed_as_markup(client, tmp_path):
    data = "<img src=x onerror=alert(1)>\nx\n".encode()  # one column: the message lists the columns
    _in, _out, summary, _preview = client.predict(write(tmp_path, "h.csv", data), api_name="/upload_csv")
    assert "<img" not in summary and "&lt;img" in summary


# ---------------------------------------------------------------- size limits

def test_file_over_our_limit_is_refused_in_japanese(client, tmp_path):
    size = csvdata.MAX_UPLOAD_BYTES + 1024 * 1024  # above ours, below Gradio's own limit
    path = tmp_path / "big.csv"
    with open(path, "wb") as handle:
        handle.write(b"Input,Output\n")
        handle.truncate(size)
    for api, args in (("/try_generate_csv", (MODEL_NAME, handle_file(str(path)), *GREEDY)),
                      ("/evaluate", (handle_file(str(path)), [MODEL_NAME], *GREEDY))):
        with pytest.raises(AppError) as info:
            client.predict(*args, api_name=api)
        assert "ファイルが大きすぎます" in message_of(info) and "20 MB 以下" in str(info.value)
    _in, _out, summary, _preview = client.predict(handle_file(str(path)), api_name="/upload_csv")
    assert "ファイルが大きすぎます" in summary


def test_file_over_gradios_limit_is_refused_before_the_handler(client, app_url, tmp_path):
    """Above tabs.common.MAX_FILE_SIZE Gradio refuses the upload itself: gradio_client before sending,
    the server with HTTP 413 for anything that sends anyway. Its wording is Gradio's (English)."""
    import httpx

    from tabs.common import MAX_FILE_SIZE

    limit = int(MAX_FILE_SIZE.rstrip("mb")) * 1024 * 1024
    assert limit > csvdata.MAX_UPLOAD_BYTES  # so files between the two limits get our Japanese message
    path = tmp_path / "huge.csv"
    with open(path, "wb") as handle:
        handle.write(b"Input,Output\n")
        handle.truncate(limit + 1024 * 1024)
    with pytest.raises(Exception) as info:
        client.predict(MODEL_NAME, handle_file(str(path)), *GREEDY, api_name="/try_generate_csv")
    assert "exceeds the maximum file size" in str(info.value)
    with open(path, "rb") as handle:
        response = httpx.post(f"{app_url}gradio_api/upload", files={"files": ("huge.csv", handle)}, timeout=60)
    assert response.status_code == 413


# ---------------------------------------------------------------- names and hyperparameters

def train(client, tmp_path, name="hostile-ok", numbers=None, optimizer="adamw", scheduler="linear",
          input_col="Input", output_col="Output", upload=True):
    if upload:
        client.predict(write(tmp_path, "p.csv", PLAIN_TEXT.encode()), api_name="/upload_csv")
    return client.predict("", input_col, output_col, name, "scratch", "tiny", *(numbers or TRAIN_NUMBERS),
                          optimizer, scheduler, api_name="/train")


@pytest.mark.parametrize("name, words", [
    ("a/b", "使えません"), ("../../etc", "使えません"), ("..", "使えません"), ("my model", "使えません"),
    (".hidden", "使えません"), ("x" * 200, "長すぎます"), ("   ", "名前が空です"), ("a\\b", "使えません"),
])
def test_bad_model_names_are_refused(client, tmp_path, name, words):
    with pytest.raises(AppError) as info:
        train(client, tmp_path, name=name)
    assert words in message_of(info)
    assert not runs.list_runs(kind="train") or all(r["name"] != name for r in runs.list_runs(kind="train"))


def test_existing_model_name_is_not_overwritten(client, tmp_path):
    with pytest.raises(AppError) as info:
        train(client, tmp_path, name=MODEL_NAME)
    assert "すでに" in message_of(info)


@pytest.mark.parametrize("index, value, words", [
    (0, -3.0, "エポック数"), (1, -5, "最大ステップ数"), (2, -1e-3, "学習率"), (2, 50.0, "学習率"),
    (3, 0, "バッチサイズ"), (3, 10**9, "バッチサイズ"), (4, -1, "勾配累積"), (5, 2.0, "ウォームアップ"),
    (7, 10**7, "入力の最大トークン数"), (9, 0.9, "検証"), (10, -1, "シード"), (12, 1.0, "ラベルスムージング"),
    (1, 10**12, "最大ステップ数"), (13, -1, "検証の間隔"),
])
def test_absurd_hyperparameters_are_refused_by_name(client, tmp_path, index, value, words):
    numbers = list(TRAIN_NUMBERS)
    numbers[index] = value
    with pytest.raises(AppError) as info:
        train(client, tmp_path, numbers=numbers)
    text = message_of(info)
    assert words in text and "使えません" in text


def test_early_stopping_without_validation_is_explained(client, tmp_path):
    numbers = list(TRAIN_NUMBERS)
    numbers[9], numbers[11] = 0.0, 3
    with pytest.raises(AppError) as info:
        train(client, tmp_path, numbers=numbers)
    assert "早期終了" in message_of(info)


def test_unknown_choices_and_columns_are_refused(client, tmp_path):
    # A value outside a dropdown's choices can only come from a script; Gradio itself refuses it
    # (in English, naming the allowed values) before our handler runs.
    with pytest.raises(AppError) as info:
        train(client, tmp_path, optimizer="sgd; rm -rf /")
    assert "adamw" in message_of(info) and "adafactor" in str(info.value)
    with pytest.raises(AppError) as info:
        train(client, tmp_path, input_col="Nope")
    assert "「Nope」という列はありません" in message_of(info)  # a column the client named, by its name


def test_training_without_a_csv_in_this_session(client, tmp_path):
    with pytest.raises(AppError) as info:
        train(client, tmp_path, upload=False)
    assert "CSV を選んでください" in message_of(info)


# ---------------------------------------------------------------- generation settings

@pytest.mark.parametrize("settings, words", [
    (["greedy", 3, 16, 4, 2, 1.0, 1.0, 50, 1.0, 1.0, 0, 42], "貪欲法"),
    (["beam", 8, 16, 4, 2, 1.0, 1.0, 50, 1.0, 1.0, 0, 42], "ビーム数"),
    (["diverse_beam", 2, 16, 5, 2, 1.0, 1.0, 50, 1.0, 1.0, 0, 42], "割り切れません"),
    (["diverse_beam", 2, 16, 4, 1, 1.0, 1.0, 50, 1.0, 1.0, 0, 42], "グループ数"),
    (["sampling", 2, 16, 4, 2, 1.0, 0.0, 50, 1.0, 1.0, 0, 42], "温度"),
    (["sampling", 2, 16, 4, 2, 1.0, 1.0, -1, 1.0, 1.0, 0, 42], "top-k"),
    (["sampling", 2, 16, 4, 2, 1.0, 1.0, 50, 1.5, 1.0, 0, 42], "top-p"),
    (["beam", 2, 100000, 4, 2, 1.0, 1.0, 50, 1.0, 1.0, 0, 42], "最大生成トークン数"),
    (["beam", 1000, 16, 4, 2, 1.0, 1.0, 50, 1.0, 1.0, 0, 42], "出力数"),
    (["beam", 2, 16, 4, 2, 1.0, 1.0, 50, 1.0, -2.0, 0, 42], "繰り返しペナルティ"),
    (["sampling", 2, 16, 4, 2, 1.0, 1.0, 50, 1.0, 1.0, 0, -7], "シード"),
    (["sampling", 2, 16, 4, 2, 1.0, 1.0, 50, 1.0, 1.0, 0, 2**70], "シード"),
    (["nonsense", 1, 16, 4, 2, 1.0, 1.0, 50, 1.0, 1.0, 0, 42], "diverse_beam"),  # Gradio's own check (English)
])
def test_conflicting_generation_settings_are_explained(client, settings, words, tmp_path):
    with pytest.raises(AppError) as info:
        client.predict(MODEL_NAME, "dog", *settings, api_name="/try_generate")
    assert words in message_of(info)
    with pytest.raises(AppError) as info:
        client.predict(write(tmp_path, "e.csv", PLAIN_TEXT.encode()), [MODEL_NAME], *settings, api_name="/evaluate")
    assert words in message_of(info)


def test_unknown_or_path_models_are_refused(client, tmp_path):
    for model in ("../models/" + MODEL_NAME, "/etc", "nope-model"):
        with pytest.raises(AppError) as info:
            client.predict(model, "dog", *GREEDY, api_name="/try_generate")
        assert "見つかりません" in message_of(info)


def test_very_long_single_input_is_cut_or_refused(client):
    try:
        table = client.predict(MODEL_NAME, "犬" * 50_000, *GREEDY, api_name="/try_generate")
        assert table["data"]
    except AppError as exc:
        assert GENERIC not in str(exc) and ("長すぎ" in str(exc) or "文字" in str(exc))


# ---------------------------------------------------------------- word vectors

def test_pickled_vectors_are_refused_and_never_run(client, tmp_path):
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    for protocol in (0, 2, 5):  # renamed to an accepted extension, so our own check must catch it
        blob = pickle.dumps(Payload(), protocol=protocol)
        with pytest.raises(AppError) as info:
            client.predict(write(tmp_path, "vectors.bin", blob), "evil", api_name="/upload_vectors")
        assert "pickle" in message_of(info) and "受け付けません" in str(info.value)
    np.save(tmp_path / "vectors.npy", np.zeros((2, 2), dtype=object), allow_pickle=True)
    (tmp_path / "vectors.npy").rename(tmp_path / "npy.txt")
    with pytest.raises(AppError) as info:
        client.predict(handle_file(str(tmp_path / "npy.txt")), "evil", api_name="/upload_vectors")
    assert "pickle" in message_of(info)
    # gensim's own .kv name is refused by the file picker's type list before any byte is read.
    with pytest.raises(AppError) as info:
        client.predict(write(tmp_path, "vectors.kv", blob), "evil", api_name="/upload_vectors")
    assert ".txt" in str(info.value)
    assert not marker.exists()
    assert not (paths.vectors_dir() / "evil").exists()


@pytest.mark.parametrize("data, words", [
    (b"100000 3\n\xe7\x8a\xac 0.1 0.2 0.3\n", "合いません"),  # the header claims far more than the file holds
    (b"1000000 300\n\xe7\x8a\xac 0.1 0.2\n", "上限"),  # ... or more than memory allows
    (b"3 2\n\xe7\x8a\xac 0.1 0.2\n", "合いません"),
    ("3 2\n犬 0.1 0.2\n猫 nan 0.3\n鳥 0.5 0.5\n".encode(), "NaN"),
    ("2 2\n犬 0.1 0.2\n猫 inf 0.3\n".encode(), "NaN か無限大"),
    ("Input,Output\ndog,ねこ\n".encode(), "word2vec 形式のファイルではありません"),
    (b"", "word2vec 形式のファイルではありません"),
    (b"999999999 300\n", "ヘッダー"),
    (b"10 99999\nx 1\n", "ヘッダー"),
])
def test_broken_vector_files_are_explained(client, tmp_path, data, words):
    with pytest.raises(AppError) as info:
        client.predict(write(tmp_path, "v.txt", data), "bad-vectors", api_name="/upload_vectors")
    assert words in message_of(info)
    assert not (paths.vectors_dir() / "bad-vectors").exists()


@pytest.mark.parametrize("name, words", [("../x", "使えません"), ("a b", "使えません"), ("chive", "組み込み"),
                                         ("v" * 100, "長すぎます")])
def test_vector_set_names_are_checked(client, tmp_path, name, words):
    good = "2 2\n犬 0.1 0.2\n猫 0.3 0.4\n".encode()
    with pytest.raises(AppError) as info:
        client.predict(write(tmp_path, "v.txt", good), name, api_name="/upload_vectors")
    assert words in message_of(info)


def test_a_good_vector_file_is_imported_and_queryable(client, tmp_path):
    good = "3 2\n犬 0.1 0.9\n猫 0.2 0.8\n車 0.9 -0.1\n".encode("utf-8-sig")
    status, _source = client.predict(write(tmp_path, "v.txt", good), "tiny-vecs", api_name="/upload_vectors")
    assert "読み込みました" in status and "3 語 × 2 次元" in status
    score, _notes, _picture = client.predict("犬", "猫", "tiny-vecs", api_name="/similarity")
    assert score > 0.9
