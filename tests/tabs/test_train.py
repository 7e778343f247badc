"""The Train tab on a launched server, driven through gradio_client like a remote user."""
import json

import re
import time

import pytest
from gradio_client import handle_file

from engine.core import runs
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
    assert result["status"] == "finished" and result["steps"] == 6, status  # status: the reason, if any
    assert "完了" in status and "ステップ 6 / 6" in status
    assert curve and curve["type"] == "matplotlib" and curve["plot"].startswith("data:image/")  # the live figure
    assert "ステップ 6" in log_tail and "step=" not in log_tail  # the log in words
    assert log_tail.splitlines()[-1].endswith("状態: 完了") and len(log_tail.splitlines()) <= train.LOG_LINES
    assert "モデル「tabmodel」を保存しました" in status  # where the model went, in a sentence
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


# ---------------------------------------------------------------- what a teacher reads


def _info(status, eval_losses=(), eta=125.0):
    import pandas as pd

    curve = pd.DataFrame({"step": list(range(len(eval_losses))), "eval_loss": list(eval_losses)})
    return {"name": "m", "status": status, "step": 10, "max_steps": 20, "epoch": 1.0, "loss": 1.0,
            "eval_loss": None, "learning_rate": 1e-4, "elapsed": 30.0, "eta": eta, "error": "", "curve": curve}


def test_a_stopped_or_finished_run_shows_no_time_left():
    assert "残り 0:02:05" in train.render_status(_info("running"))
    for status in ("stopped", "finished", "failed"):
        shown = train.render_status(_info(status))
        assert "0:02:05" not in shown and "残り —" in shown


def test_a_rising_validation_loss_is_explained_as_overfitting():
    rising = train.render_status(_info("finished", [4.12, 4.3, 4.5, 4.74]))
    assert "過学習" in rising and "4.120" in rising and "4.740" in rising
    assert "過学習" not in train.render_status(_info("finished", [4.5, 4.2, 4.0]))
    assert "過学習" not in train.render_status(_info("running", [4.12, 4.3, 4.5, 4.74]))  # only once it ended


def test_each_page_load_suggests_a_fresh_name(home):
    """The name box gets a new name on every page load, not one fixed when the server started
    (the second training of the day would find it taken)."""
    demo = single_tab_blocks(train)
    name_box = next(b for b in demo.blocks.values() if getattr(b, "label", None) == "モデル名" or
                    getattr(getattr(b, "label", None), "key", None) == "train.name")
    # Made in the browser (tests/browser/test_teacher_items.py loads the page twice): only while the box
    # still holds the name the page was built with, so a name typed before the page settles is kept.
    loads = [fn for fn in demo.fns.values() if fn.js and "getRandomValues" in fn.js]
    assert loads and [o._id for o in loads[0].outputs] == [name_box._id] == [i._id for i in loads[0].inputs]
    assert f"typed !== {json.dumps(name_box.value)}" in loads[0].js
    assert train._suggest_name() != train._suggest_name()


def test_stop_from_another_browser_names_the_running_training(home, monkeypatch):
    from types import SimpleNamespace

    from engine.train.config import TrainConfig
    from engine.train.jobs import JOBS

    job = JOBS.start(TrainConfig(csv=str(PAIRS), name="alices-model", base="scratch", max_steps=5000, batch_size=4),
                     owner="a" * 48)
    try:
        for _ in range(240):  # the child process starts it
            if job.refresh().state == "running":
                break
            time.sleep(0.5)
        shown = train.stop_training("b" * 48, SimpleNamespace(session_hash="bob"))
        assert "alices-model" in shown and "別のブラウザ" in shown
        assert job.running and not job.stop_requested
        monkeypatch.setenv("T5STUDIO_PUBLIC", "1")  # on a public Space a stranger's model stays unnamed
        shown = [train.stop_training("b" * 48, SimpleNamespace(session_hash="bob")),
                 next(train.watch("b" * 48, SimpleNamespace(session_hash="bob")))[0]]
        assert "ほかの人の訓練" in shown[1] and "別の人" in shown[0]
        assert not any("alices-model" in line for line in shown) and job.running
        monkeypatch.delenv("T5STUDIO_PUBLIC")
    finally:
        JOBS.stop("a" * 48)
        job.wait(120)
    assert "実行中の訓練はありません" in train.stop_training("b" * 48, SimpleNamespace(session_hash="bob"))


def test_the_live_figure_names_both_losses_in_a_legend_inside_the_axes():
    import pandas as pd

    curve = pd.DataFrame({"step": [1.0, 2.0, 3.0], "loss": [3.0, 2.0, 1.5], "eval_loss": [None, 2.5, 2.2]})
    figure = train.live_figure({"curve": curve})
    legend = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert legend == ["訓練損失", "検証損失"]  # words only: no key in brackets
    assert train.live_figure({"curve": pd.DataFrame()}) is None


def test_a_four_point_search_from_the_train_tab_ranks_its_trainings(client):
    """Issue 14, item 3: each combination a training in the server's line, ranked at the end."""
    client.predict(handle_file(str(PAIRS)), api_name="/upload_csv")
    form = form_values("English", "Japanese", name="grid")[1:]
    job = client.submit("client-1", "learning_rate=1e-4,1e-3\nbatch_size=2,4", 0, None, "eval_loss", *form,
                        api_name="/search")
    status, table, _owner = job.result(timeout=600)
    table = table["value"]  # sent as an update: its last column is markdown (a link)
    assert "いちばん検証損失が低いのは「grid-" in status
    rows = table["data"]
    assert len(rows) == 4 and {row[0] for row in rows} == {"grid-1", "grid-2", "grid-3", "grid-4"}
    losses = [float(row[4]) for row in rows]
    assert losses == sorted(losses) and all(row[3] == "完了" for row in rows)
    assert {(row[1], row[2]) for row in rows} == {("0.0001", "2"), ("0.0001", "4"), ("0.001", "2"), ("0.001", "4")}
    assert sorted(m for m in store.model_names() if m.startswith("grid-")) == ["grid-1", "grid-2", "grid-3", "grid-4"]
    assert all(re.fullmatch(r"\[(\S+)\]\(\?run=\1\)", row[-1]) for row in rows)  # each row links to its run


def test_a_search_ranked_by_chrf_on_held_out_rows(client, tmp_path):
    """Each trained model translates the held-out rows (an Evaluate run each); the best chrF comes first."""
    client.predict(handle_file(str(PAIRS)), api_name="/upload_csv")
    held_out = tmp_path / "held_out.csv"
    held_out.write_text("Input,Output\nwater,水\nsun,太陽\nbook,本\n", encoding="utf-8")
    form = form_values("English", "Japanese", name="chrf")[1:]
    job = client.submit("client-1", "learning_rate=1e-4,3e-3", 0, handle_file(str(held_out)), "chrf", *form,
                        api_name="/search")
    status, table, _owner = job.result(timeout=600)
    table = table["value"]
    assert table["headers"][-2:] == ["chrF", "ログ"] and len(table["data"]) == 2
    scores = [float(row[-2]) for row in table["data"]]
    assert scores == sorted(scores, reverse=True)  # higher chrF is better
    assert status.startswith("chrF がいちばんよいのは「chrf-")
    measured = {r["name"]: r["metrics"]["chrf"] for r in runs.list_runs() if r["kind"] == "evaluate"}
    assert {row[0]: float(row[-2]) for row in table["data"]} == pytest.approx(measured, abs=1e-4)


def test_a_held_out_metric_needs_a_held_out_csv(client):
    client.predict(handle_file(str(PAIRS)), api_name="/upload_csv")
    form = form_values("English", "Japanese", name="nochrf")[1:]
    with pytest.raises(Exception, match="評価用の CSV"):
        client.predict("client-1", "learning_rate=1e-4", 0, None, "chrf", *form, api_name="/search")
    assert not store.model_names()
