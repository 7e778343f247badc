"""The run history as the Logs tab reads it: restarts, killed processes, filters, curves."""
import json
import math
import os
import signal
import subprocess
import sys

import pytest

from engine.core import runs
from engine.core.jsonio import append_jsonl
from engine.core.messages import StudioError
from engine.core.paths import REPO_ROOT
from engine.logs import __main__ as logs_cli
from engine.logs import view


def _python(code: str, home) -> subprocess.Popen:
    env = dict(os.environ, T5STUDIO_HOME=str(home), PYTHONPATH=str(REPO_ROOT))
    return subprocess.Popen(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, text=True
    )


def _make_runs():
    """One run of each ending, plus a training run with a loss curve."""
    made = {}
    train = runs.start_run("train", "英和ダミー", settings={"learning_rate": 3e-4, "num_train_epochs": 2})
    for step, loss in ((5, 3.2), (10, 2.5), (15, 1.9)):
        append_jsonl(train.trainer_log_path, {"step": step, "epoch": step / 15, "loss": loss, "learning_rate": 3e-4})
    append_jsonl(train.trainer_log_path, {"step": 15, "epoch": 1.0, "eval_loss": 2.1})
    train.finish("finished", metrics={"eval_loss": 2.1})
    made["train"] = train.id
    evaluation = runs.start_run("evaluate", "比較")
    evaluation.finish("finished", metrics={"chrf": 41.5, "exact_match": 0.0})
    made["evaluate"] = evaluation.id
    stopped = runs.start_run("generate", "まとめて生成")
    stopped.finish("stopped")
    made["generate"] = stopped.id
    failed = runs.start_run("vectors", "語彙")
    try:
        raise StudioError("logs.run_not_found", run_id="abc")
    except StudioError as exc:
        failed.fail(exc)
    made["vectors"] = failed.id
    return made


def test_history_survives_a_restart(home):
    made = _make_runs()
    # A fresh process is a restarted app: it only has what is on disk.
    child = _python("from engine.logs.__main__ import main; main([])", home)
    out, _ = child.communicate(timeout=60)
    listed = {r["id"]: r for r in json.loads(out.strip().splitlines()[-1])["runs"]}
    assert set(listed) == set(made.values())
    assert listed[made["train"]]["status"] == "finished"
    assert listed[made["generate"]]["status"] == "stopped"
    assert listed[made["vectors"]]["status"] == "failed"
    assert listed[made["train"]]["name"] == "英和ダミー"


def test_a_run_of_a_restarted_process_that_was_left_running_is_interrupted(home):
    child = _python("from engine.core import runs; print(runs.start_run('evaluate', 'left').id)", home)
    out, _ = child.communicate(timeout=60)
    run_id = out.strip()
    # The child exited without finish(): its pid is gone, so the run cannot still be running.
    assert runs.load_run(run_id)["status"] == "interrupted"


def test_a_killed_run_shows_as_interrupted(home):
    code = (
        "import time; from engine.core import runs\n"
        "run = runs.start_run('train', 'kill-me', settings={'max_steps': 1000})\n"
        "print(run.id, flush=True)\n"
        "time.sleep(120)\n"
    )
    child = _python(code, home)
    try:
        run_id = child.stdout.readline().strip()
        assert view.list_records(status="running")[0]["id"] == run_id  # alive: still running
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    record = view.list_records()[0]
    assert record["id"] == run_id
    assert record["status"] == "interrupted"
    assert record["ended"]
    assert "途中で止まりました" in view.error_text(record)  # said when shown, in the reader's language
    # Saved so, not only shown so.
    on_disk = json.loads((runs.run_folder(run_id) / "run.json").read_text(encoding="utf-8"))
    assert on_disk["status"] == "interrupted"
    assert view.running_records() == []


def test_filters_by_kind_status_and_owner(home):
    made = _make_runs()
    mine = runs.start_run("evaluate", "mine", owner="sessionA")
    mine.finish("finished")
    assert [r["id"] for r in view.list_records(kind="train")] == [made["train"]]
    assert [r["id"] for r in view.list_records(status="failed")] == [made["vectors"]]
    assert {r["id"] for r in view.list_records(kind="evaluate", status="finished")} == {made["evaluate"], mine.id}
    assert view.list_records(kind="evaluate", status="stopped") == []
    assert len(view.list_records("all", "all")) == 5
    assert [r["id"] for r in view.list_records(owner="sessionA")] == [mine.id]


def test_table_has_japanese_labels_and_the_id_last(home):
    made = _make_runs()
    table = view.runs_table(view.list_records())
    assert list(table.columns)[0] == "開始"
    assert list(table.columns)[-1] == "実行 ID"
    row = table[table["実行 ID"] == made["vectors"]].iloc[0]
    assert row["種類"] == "単語ベクトル訓練"
    assert row["状態"] == "失敗"
    evaluation = table[table["実行 ID"] == made["evaluate"]].iloc[0]
    assert "chrF 41.5" in evaluation["主な指標"]  # a metric's name, not its key


def test_failed_run_keeps_japanese_message_and_traceback(home):
    made = _make_runs()
    record = view.run_details(made["vectors"])["record"]
    assert record["error"].startswith("実行「abc」が見つかりません")
    assert "Traceback" in record["error_detail"]
    assert "StudioError" in record["error_detail"]


def test_the_loss_curve_reads_steps_and_skips_nonfinite(home):
    entries = [
        {"step": 1, "loss": 2.0, "learning_rate": 1e-3, "epoch": 0.1},
        {"step": 2, "loss": float("nan"), "learning_rate": 1e-3},
        {"current_steps": 3, "loss": 1.5},
        {"step": 3, "eval_loss": 1.7},
        {"train_runtime": 12.0, "step": 3},  # the closing summary: nothing to draw
        "not a dict",
    ]
    frame = runs.loss_curve(entries)
    assert list(frame["step"]) == [1, 2, 3, 3]
    assert math.isnan(frame["loss"].iloc[1])
    assert frame["eval_loss"].dropna().tolist() == [1.7]
    assert "grad_norm" not in frame.columns  # no value at all: no column


def test_loss_figure_draws_with_a_japanese_font(home, tmp_path):
    made = _make_runs()
    details = view.run_details(made["train"])
    assert len(details["curve"]) == 4
    assert "start train 英和ダミー" in details["log"]
    figure = view.loss_figure(details["curve"], title="英和ダミー")
    assert figure is not None
    labels = [line.get_label() for line in figure.axes[0].get_lines()]
    assert labels == ["訓練損失", "検証損失"]
    figure.savefig(tmp_path / "curve.png")
    assert (tmp_path / "curve.png").stat().st_size > 1000
    from engine.core.fonts import japanese_font

    assert japanese_font(), "install fonts-noto-cjk for Japanese plots"
    assert figure.axes[0].get_legend().get_texts()[0].get_fontfamily()[0] == japanese_font()


def test_no_curve_without_trainer_log(home):
    made = _make_runs()
    details = view.run_details(made["evaluate"])
    assert details["curve"].empty
    assert view.loss_figure(details["curve"]) is None


@pytest.mark.parametrize("bad", ["", None, "../runs", "/etc", "nope-123", "a/../../b"])
def test_bad_run_ids_are_refused(home, bad):
    with pytest.raises(StudioError):
        view.check_run_id(bad)


def test_cli_shows_one_run_and_saves_its_plot(home, tmp_path, capsys):
    made = _make_runs()
    logs_cli.main(["--run", made["train"], "--plot", str(tmp_path / "p.png")])
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["run"]["id"] == made["train"]
    assert result["curve_points"] == 4
    assert (tmp_path / "p.png").is_file()


def test_details_can_show_only_the_end_of_a_long_log(home):
    run = runs.start_run("train", "long")
    for number in range(50):
        run.log(f"line {number}")
    run.finish("finished")
    shown = view.run_details(run.id, log_tail=3)["log"].splitlines()
    assert len(shown) == 3 and shown[-1].endswith("status: finished") and shown[0].endswith("line 48")
