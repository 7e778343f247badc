"""The Logs tab on a launched server, driven through gradio_client."""
from pathlib import Path

import pytest

from engine.core import runs
from engine.core.jsonio import append_jsonl
from engine.core.messages import StudioError
from tabs import logs
from tests.launching import served, single_tab_blocks


def _history():
    train = runs.start_run("train", "<b>太字</b>|名前", settings={"learning_rate": 5e-4, "optimizer": "adafactor"})
    for step in range(1, 11):
        append_jsonl(train.trainer_log_path, {"step": step * 10, "epoch": step / 10, "loss": 3 / step, "learning_rate": 5e-4})
        if step % 5 == 0:
            append_jsonl(train.trainer_log_path, {"step": step * 10, "epoch": step / 10, "eval_loss": 3.5 / step})
    train.log("epoch 1 done")
    train.finish("finished", metrics={"eval_loss": 0.35})
    failed = runs.start_run("evaluate", "壊れた評価")
    try:
        raise StudioError("logs.run_not_found", run_id="model-x")
    except StudioError as exc:
        failed.fail(exc)
    running = runs.start_run("generate", "生成中")  # this process is working on it: running
    return train, failed, running


def test_logs_tab_lists_filters_and_shows_runs(home):
    train, failed, running = _history()
    with served(single_tab_blocks(logs)) as (_url, client):
        table, picker, activity = client.predict("all", "all", False, api_name="/list_runs")
        ids = [row[-1] for row in table["data"]]
        assert set(ids) == {train.id, failed.id, running.id}
        assert [choice[1] for choice in picker["choices"]] == ids
        assert "1 件" in activity and "生成中" in activity

        table, _, _ = client.predict("train", "all", False, api_name="/list_runs")
        assert [row[-1] for row in table["data"]] == [train.id]
        table, _, _ = client.predict("all", "failed", False, api_name="/list_runs")
        assert [row[-1] for row in table["data"]] == [failed.id]
        assert table["data"][0][2] == "失敗"
        table, _, _ = client.predict("all", "all", True, api_name="/list_runs")
        assert table["data"] == []  # none of these was started by this browser session

        # A failed run: the plain Japanese message first, the traceback apart.
        error, detail, summary, metrics, settings, plot, no_curve, log, files = client.predict(failed.id, api_name="/show_run")
        error_text = error["value"] if isinstance(error, dict) else error
        assert "エラーで終わりました" in error_text
        assert "実行「model-x」が見つかりません" in error_text
        assert "Traceback" not in error_text
        assert "Traceback" in detail and "StudioError" in detail
        assert "| 状態 | 失敗 |" in summary
        assert no_curve["visible"] is True and "損失の記録" in no_curve["value"]

        # A training run: summary (user text escaped), curve, log, downloads.
        error, detail, summary, metrics, settings, plot, no_curve, log, files = client.predict(train.id, api_name="/show_run")
        assert (error.get("visible") is False) if isinstance(error, dict) else not error
        assert "&lt;b&gt;太字&lt;/b&gt;&#124;名前" in summary
        assert "<b>" not in summary
        assert "| 学習率 | 0.0005 |" in settings and "learning_rate" not in settings
        assert "| 検証損失 | 0.35 |" in metrics
        plot_value = plot["value"] if "value" in plot else plot
        assert plot_value["type"] == "matplotlib" and plot_value["plot"].startswith("data:image/")
        assert "epoch 1 done" in log and "状態: 完了" in log and "status:" not in log  # in words
        assert f"{train.id}-log.txt" in {Path(f).name for f in files}  # the download keeps the file itself
        names = {Path(f).name: Path(f) for f in files}
        assert f"{train.id}-log.txt" in names
        curve_csv = names[f"{train.id}-curve.csv"].read_bytes()
        assert curve_csv.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
        assert curve_csv.decode("utf-8-sig").splitlines()[0].startswith("step,epoch,loss,eval_loss,learning_rate")
        assert f"{train.id}-trainer_log.jsonl" in names

        # A run that does not exist, or a path: a clear Japanese message, nothing read.
        for bad in ("nope", "../../etc"):
            with pytest.raises(Exception, match="見つかりません"):
                client.predict(bad, api_name="/show_run")
    running.finish("finished")


def test_empty_history_says_so(home):
    with served(single_tab_blocks(logs)) as (_url, client):
        table, picker, activity = client.predict("all", "all", False, api_name="/list_runs")
        assert table["data"] in ([], [["", "", "", "", "", "", ""]])
        assert picker["choices"] == []
        assert activity == "いま動いている処理はありません。"
        assert client.predict(api_name="/activity") == "いま動いている処理はありません。"


def test_an_unexpected_exception_is_introduced_in_japanese(home):
    run = runs.start_run("train", "nan")
    try:
        raise FloatingPointError("loss became <nan>")
    except FloatingPointError as exc:
        run.fail(exc)
    error, detail = logs._error_parts(runs.load_run(run.id))
    first, rest = error.split("\n\n", 1)
    assert first == "### ⚠️ この実行はエラーで終わりました"
    assert rest.startswith("予期しないエラーで止まりました")
    assert "FloatingPointError: loss became &lt;nan&gt;" in rest
    assert "Traceback" in detail


def test_two_runs_compared_in_the_logs_tab(home):
    first = runs.start_run("train", "first", settings={"learning_rate": 3e-4, "batch_size": 16})
    second = runs.start_run("train", "second", settings={"learning_rate": 1e-3, "batch_size": 16})
    for run, last in ((first, 2.0), (second, 1.2)):
        for step in (5, 10):
            append_jsonl(run.trainer_log_path, {"step": step, "loss": 3.0 / step, "eval_loss": last + 1 / step})
        run.finish("finished")
    with served(single_tab_blocks(logs)) as (_, client):
        note, plot, table = client.predict([first.id, second.id], api_name="/compare_runs")
        assert "second" in note and table["headers"] == ["項目", "first", "second"]
        assert table["data"] == [["学習率", "0.0003", "0.001"]]  # the same batch size is not listed
        plot_value = plot["value"] if "value" in plot else plot
        assert plot_value["type"] == "matplotlib"
        with pytest.raises(Exception, match="2 つ以上"):
            client.predict([first.id], api_name="/compare_runs")
