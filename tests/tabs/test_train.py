"""The Train tab on a launched server, driven through gradio_client like a remote user."""

import pytest
from gradio_client import handle_file

from engine.models import store
from tabs import train
from tests.launching import served, single_tab_blocks
from tests.places import PAIRS

FORM = dict(name="tabmodel", base="scratch", size="tiny", epochs=3, max_steps=6, learning_rate=3e-4, batch_size=4,
            grad_accum=1, warmup_ratio=0.0, weight_decay=0.0, max_input_length=32, max_target_length=32,
            validation_split=0.2, seed=1, early_stopping_patience=0, label_smoothing=0.0, eval_every=2,
            optimizer="adamw", scheduler="linear")


def form_values(input_col="Input", output_col="Output", owner="client-1", **overrides):
    """The /train inputs: the browser's owner key, then the form (the CSV is in the session's state)."""
    values = {**FORM, **overrides}
    return [owner, input_col, output_col, *values.values()]


@pytest.fixture
def client(home):
    with served(single_tab_blocks(train)) as (_, client):
        yield client


def test_upload_train_and_find_the_model(client):
    input_col, output_col, summary, preview = client.predict(handle_file(str(PAIRS)), api_name="/upload_csv")
    assert "12" in summary and input_col["value"] == "English" and output_col["value"] == "Japanese"
    assert preview["data"][0] == ["dog", "猫"]

    job = client.submit(*form_values("English", "Japanese"), api_name="/train")
    updates = [update for update in job]
    assert len(updates) >= 2  # progress arrives while training runs, not only at the end
    status, curve, log_tail, result, _ = job.outputs()[-1]
    assert result["status"] == "finished" and result["steps"] == 6
    assert "完了" in status and "ステップ 6 / 6" in status
    assert curve and {"loss", "eval_loss"} <= {row[1] for row in curve["data"]}
    assert "step" in log_tail
    assert "tabmodel" in store.model_names()


def test_bad_hyperparameters_get_a_message_before_anything_starts(client):
    client.predict(handle_file(str(PAIRS)), api_name="/upload_csv")
    with pytest.raises(Exception) as info:
        client.predict(*form_values("English", "Japanese", name="../x", batch_size=0), api_name="/train")
    assert "バッチサイズ" in str(info.value) and "名前" in str(info.value)
    assert store.model_names() == []


def test_broken_upload_is_explained(client, tmp_path):
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"\x00\x01\x02\xff binary")
    _, _, summary, preview = client.predict(handle_file(str(broken)), api_name="/upload_csv")
    assert "文字コード" in summary and not preview["data"]
    with pytest.raises(Exception) as info:
        client.predict(*form_values(), api_name="/train")
    assert "CSV" in str(info.value)


def test_sample_data_is_ready_to_train(client):
    input_col, output_col, summary, _ = client.predict(api_name="/use_sample")
    assert "行を読み込みました" in summary and input_col["value"] == "Input"
