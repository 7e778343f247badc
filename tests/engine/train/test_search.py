"""Hyperparameter search (issue 14, item 3): a grid over a small table, each point a recorded
training, the best by validation loss; Optuna draws the points."""
import json
import os
import subprocess
import sys

import pytest

from engine.core import runs
from engine.core.messages import StudioError
from engine.models import store
from engine.train.config import TrainConfig
from engine.train.search import MAX_HELD_OUT_ROWS, MAX_TRIALS, Judge, held_out_rows, parse_grid, plan, ranked, search
from tests.places import PAIRS, ROOT


def test_the_table_of_values_is_read_and_checked():
    grid = parse_grid(["learning_rate=1e-4, 3e-4", "batch-size=8,16,8", "size=tiny,small"])
    assert grid == {"learning_rate": [1e-4, 3e-4], "batch_size": [8, 16], "size": ["tiny", "small"]}
    assert plan(grid) == 8 and plan(grid, random_trials=3) == 3
    for specs, key in ((["seed=1,2"], "search.bad_setting"), (["batch_size=8.5"], "common.not_whole"),
                       (["learning_rate="], "search.bad_values"), ([], "search.empty"),
                       (["learning_rate=nan"], "common.not_finite")):
        with pytest.raises(StudioError) as refused:
            parse_grid(specs)
        assert refused.value.key == key, specs
    with pytest.raises(StudioError) as too_many:
        plan({"learning_rate": list(range(1, 9)), "batch_size": [1, 2, 4]})
    assert too_many.value.key == "search.too_many" and str(MAX_TRIALS) in too_many.value.message()


def test_a_random_search_draws_distinct_points_and_ranks_them(home):
    base = TrainConfig(csv=str(PAIRS), name="rand", base="scratch", size="tiny", max_steps=2, batch_size=4,
                       max_input_length=16, max_target_length=16)
    seen = []
    result = search(base, {"learning_rate": [1e-4, 1e-3, 3e-3]}, random_trials=2,
                    on_trial=lambda done, total, trial: seen.append((done, total)))
    assert seen == [(1, 2), (2, 2)]
    rates = [t["learning_rate"] for t in result.trials]
    assert len(set(rates)) == 2  # no point drawn twice
    losses = [t["eval_loss"] for t in result.trials]
    assert losses == sorted(losses) and result.best == result.trials[0]
    assert sorted(store.model_names()) == ["rand-1", "rand-2"]
    assert {runs.load_run(t["run_id"])["status"] for t in result.trials} == {"finished"}


def test_names_are_checked_before_the_first_training(home):
    base = TrainConfig(csv=str(PAIRS), name="taken", base="scratch", size="tiny", max_steps=1)
    search(base, {"learning_rate": [1e-4]})
    with pytest.raises(StudioError) as clash:
        search(base, {"learning_rate": [1e-4, 3e-4]})  # "taken-1" exists: nothing is trained
    assert clash.value.key == "store.exists" and store.model_names() == ["taken-1"]


def test_a_four_point_grid_runs_end_to_end_from_the_cli(home):
    env = {**os.environ, "T5STUDIO_HOME": str(home), "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "engine.train.search", "--csv", str(PAIRS), "--name", "grid", "--base", "scratch",
         "--size", "tiny", "--max-steps", "2", "--max-input-length", "16", "--max-target-length", "16",
         "--grid", "learning_rate=1e-4,1e-3", "--grid", "batch_size=2,4"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    points = {(t["learning_rate"], t["batch_size"]) for t in result["trials"]}
    assert points == {(1e-4, 2), (1e-4, 4), (1e-3, 2), (1e-3, 4)}  # every point of the grid, once
    assert result["best"]["eval_loss"] == min(t["eval_loss"] for t in result["trials"])
    assert sum(line.startswith("trial ") for line in done.stdout.splitlines()) == 4


def test_what_ranks_the_trials_is_checked_and_ranks_each_way(tmp_path):
    rows = tmp_path / "held.csv"
    rows.write_text("Input,Output\nwater,水\n", encoding="utf-8")
    frame = held_out_rows(rows)
    for rank_by, held_out, key in (("speed", None, "search.bad_rank_by"), ("chrf", None, "search.held_out_needed"),
                                   ("eval_loss", frame, "search.held_out_unused")):
        with pytest.raises(StudioError) as refused:
            Judge(rank_by, held_out)
        assert refused.value.key == key
    long = tmp_path / "long.csv"
    long.write_text("Input,Output\n" + "dog,犬\n" * (MAX_HELD_OUT_ROWS + 1), encoding="utf-8")
    with pytest.raises(StudioError) as too_long:
        held_out_rows(long)
    assert too_long.value.key == "search.held_out_too_long"
    trials = [{"name": "a", "chrf": 10.0, "cer": 0.9}, {"name": "b", "chrf": None, "cer": None},
              {"name": "c", "chrf": 30.0, "cer": 0.4}]
    assert [t["name"] for t in ranked(trials, Judge("chrf", frame))] == ["c", "a", "b"]  # higher is better
    assert [t["name"] for t in ranked(trials, Judge("cer", frame))] == ["c", "a", "b"]  # lower is better


def test_a_search_ranked_on_held_out_rows_from_the_cli(home, tmp_path):
    held_out = tmp_path / "held.csv"
    held_out.write_text("Input,Output\nwater,水\nsun,太陽\n", encoding="utf-8")
    env = {**os.environ, "T5STUDIO_HOME": str(home), "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "engine.train.search", "--csv", str(PAIRS), "--name", "held", "--base", "scratch",
         "--size", "tiny", "--max-steps", "2", "--max-input-length", "16", "--max-target-length", "16",
         "--grid", "learning_rate=1e-4,3e-3", "--held-out", str(held_out), "--rank-by", "similarity"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["rank_by"] == "similarity" and len(result["trials"]) == 2
    scores = [t["similarity"] for t in result["trials"]]
    assert None not in scores and scores == sorted(scores, reverse=True)
    evaluated = {r["name"]: r["metrics"]["similarity"] for r in runs.list_runs(kind="evaluate")}
    assert evaluated == {t["name"]: t["similarity"] for t in result["trials"]}  # one Evaluate run per trial
