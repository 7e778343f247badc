"""Runs side by side (issue 14, item 4): their curves on one chart and the settings that differ."""
import json
import os
import subprocess
import sys

import pytest

from engine.core import paths, runs
from engine.core.jsonio import append_jsonl
from engine.core.messages import StudioError
from engine.logs.compare import MAX_RUNS, compare_runs, comparison_figure

BASE = {"learning_rate": 3e-4, "batch_size": 16, "epochs": 3, "optimizer": "adamw", "csv": "/srv/uploads/x.csv"}


def _training(name, final_eval, owner="", **changes):
    run = runs.start_run("train", name, settings={**BASE, **changes}, owner=owner)
    for step in (10, 20, 30):
        append_jsonl(run.trainer_log_path, {"step": step, "loss": 4 - step / 10})
        append_jsonl(run.trainer_log_path, {"step": step, "eval_loss": final_eval + (30 - step) / 10})
    run.finish("finished", metrics={"eval_loss": final_eval})
    return run.id


def test_two_runs_show_only_what_differs_and_which_learnt_best(home):
    slow = _training("slow", 2.5)
    fast = _training("fast", 1.9, learning_rate=1e-3, batch_size=8)
    found = compare_runs([slow, fast])
    table = found["differences"]
    assert list(table.columns) == ["項目", "slow", "fast"]
    assert list(table["項目"]) == ["学習率", "バッチサイズ"]  # named in words; the same epochs are left out
    assert list(table.iloc[1]) == ["バッチサイズ", "16", "8"] and "/srv" not in table.to_string()
    assert found["best"] == "fast"
    figure = comparison_figure(found["curves"])
    labels = [line.get_label() for line in figure.axes[0].get_lines()]
    assert len(labels) == 4 and any(label.startswith("fast") for label in labels)


def test_runs_of_the_same_name_are_told_apart_and_same_settings_give_an_empty_table(home):
    one, two = _training("same", 2.0), _training("same", 2.1)
    found = compare_runs([one, two])
    assert found["differences"].empty and len(set(found["curves"])) == 2


def test_too_few_too_many_or_someone_elses_runs_are_refused(home):
    mine = [_training(f"r{i}", 2.0, owner="a" * 48) for i in range(2)]
    with pytest.raises(StudioError, match="2 つ以上"):
        compare_runs(mine[:1])
    with pytest.raises(StudioError) as many:
        compare_runs([f"20260101-000000-x{i}" for i in range(MAX_RUNS + 1)])
    assert many.value.key == "logs.compare_too_many"
    with pytest.raises(StudioError) as stranger:
        compare_runs(mine, owner="b" * 48)
    assert stranger.value.key == "logs.run_not_found"
    assert compare_runs(mine, owner="a" * 48)["best"]


def test_the_cli_compares_runs_and_draws_them(home, tmp_path):
    ids = [_training("a", 2.0), _training("b", 1.5, epochs=5)]
    plot = tmp_path / "compare.png"
    env = {**os.environ, "T5STUDIO_HOME": str(paths.data_home())}
    done = subprocess.run([sys.executable, "-m", "engine.logs", "--compare", *ids, "--plot", str(plot)],
                          capture_output=True, text=True, env=env, cwd=paths.REPO_ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["best"] == "b" and result["differences"][0]["項目"] == "エポック数" and plot.stat().st_size > 0


def test_runs_that_learnt_from_different_files_say_so(home):
    first = _training("a", 2.0, data_sha256="1" * 64)
    same = _training("b", 2.1, data_sha256="1" * 64, learning_rate=1e-3)
    other = _training("c", 2.2, data_sha256="2" * 64)
    alike = compare_runs([first, same])["differences"]
    assert "訓練データ" not in set(alike.iloc[:, 0])
    table = compare_runs([first, same, other])["differences"]
    assert table.iloc[0].tolist() == ["訓練データ", "ファイル 1", "ファイル 1", "ファイル 2"]


def test_a_batch_of_distractors_is_named_in_words(home):
    from engine.logs.view import run_choice_label, runs_table

    run = runs.start_run("generate", "vectors", settings={"mode": "distractors", "model": ""})
    run.finish("finished")
    record = runs.load_run(run.id)
    assert "誤答選択肢（単語ベクトルのみ）" in run_choice_label(record) and "vectors" not in run_choice_label(record)
    assert runs_table([record]).iloc[0, 3] == "誤答選択肢（単語ベクトルのみ）"
