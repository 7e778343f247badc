"""The Try tab driven through gradio_client on a launched server."""
import pandas as pd
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from engine.core.paths import BUNDLED_BASE
from tabs import try_t5
from tests.launching import served, single_tab_blocks
from tests.model_fixtures import stored_model, tiny_model_dir  # noqa: F401 - fixtures

# method, num_outputs, max_new_tokens, num_beams, num_beam_groups, diversity_penalty, temperature,
# top_k, top_p, repetition_penalty, no_repeat_ngram_size, seed
BEAM3 = ["beam", 3, 16, 4, 2, 1.0, 1.0, 50, 1.0, 1.0, 0, 42]
SAMPLE4 = ["sampling", 4, 16, 4, 2, 1.0, 1.0, 50, 0.95, 1.0, 0, 42]


@pytest.fixture
def client(stored_model):
    with served(single_tab_blocks(try_t5)) as (_url, client):
        yield client


def test_single_input_gives_distinct_outputs_with_scores(client, stored_model):
    table = client.predict(stored_model, "dog", *BEAM3, api_name="/try_generate")
    assert table["headers"] == ["順位", "出力", "スコア"]
    outputs = [row[1] for row in table["data"]]
    assert len(outputs) == 3 and len(set(outputs)) == 3
    assert all(row[2] <= 0 for row in table["data"])


def test_invalid_settings_and_empty_input_are_clear_errors(client, stored_model):
    with pytest.raises(AppError, match="ビーム数"):
        client.predict(stored_model, "dog", "beam", 5, 16, 4, 2, 1.0, 1.0, 50, 1.0, 1.0, 0, 42,
                       api_name="/try_generate")
    with pytest.raises(AppError, match="top-p"):
        client.predict(stored_model, "dog", "sampling", 2, 16, 4, 2, 1.0, 1.0, 50, 0, 1.0, 0, 42,
                       api_name="/try_generate")
    with pytest.raises(AppError, match="入力が空"):
        client.predict(stored_model, "  ", *BEAM3, api_name="/try_generate")
    with pytest.raises(AppError, match="モデルを選んで"):
        client.predict(None, "dog", *BEAM3, api_name="/try_generate")


def test_csv_batch_table_download_and_run(client, stored_model, tmp_path):
    source = tmp_path / "words.csv"
    source.write_text("英単語\ndog\n@cat\napple\n", encoding="utf-8")
    summary, table, download = client.predict(stored_model, handle_file(str(source)), *SAMPLE4,
                                              api_name="/try_generate_csv")
    assert "3 行" in summary
    assert table["headers"][:3] == ["Input", "Output_1", "Score_1"]
    assert [row[0] for row in table["data"]] == ["dog", "@cat", "apple"]
    frame = pd.read_csv(download, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(frame["Input"]) == ["dog", "'@cat", "apple"]
    assert [c for c in frame.columns if c.startswith("Output")] == [f"Output_{k}" for k in range(1, 5)]
    from engine.core import runs

    [run] = runs.list_runs(kind="generate")
    assert run["status"] == "finished" and run["metrics"]["rows"] == 3


def test_csv_without_input_column_is_a_clear_error(client, stored_model, tmp_path):
    source = tmp_path / "bad.csv"
    source.write_text("Foo\nbar\n", encoding="utf-8")
    with pytest.raises(AppError, match="Input"):
        client.predict(stored_model, handle_file(str(source)), *BEAM3, api_name="/try_generate_csv")


def test_two_clients_get_their_own_downloads(client, stored_model, tmp_path):
    from gradio_client import Client

    mine, theirs = tmp_path / "mine.csv", tmp_path / "theirs.csv"
    mine.write_text("Input\ndog\n", encoding="utf-8")
    theirs.write_text("Input\ncat\n", encoding="utf-8")
    other = Client(client.src, verbose=False)
    first = client.predict(stored_model, handle_file(str(mine)), *BEAM3, api_name="/try_generate_csv")[2]
    second = other.predict(stored_model, handle_file(str(theirs)), *BEAM3, api_name="/try_generate_csv")[2]
    assert first != second
    assert list(pd.read_csv(first, encoding="utf-8-sig")["Input"]) == ["dog"]
    assert list(pd.read_csv(second, encoding="utf-8-sig")["Input"]) == ["cat"]


def test_refresh_lists_stored_models(client, stored_model):
    update = client.predict(None, api_name="/try_refresh_models")
    assert [stored_model, stored_model] in update["choices"]
    # Nothing chosen yet: the bundled base, never the newest model, which may be another visitor's.
    assert update["value"] == BUNDLED_BASE
    assert client.predict(stored_model, api_name="/try_refresh_models")["value"] == stored_model


def test_server_folders_cannot_be_chosen_as_models(client, tiny_model_dir):
    with pytest.raises(AppError, match="見つかりません"):
        client.predict(str(tiny_model_dir), "dog", *BEAM3, api_name="/try_generate")
