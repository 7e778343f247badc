"""Evaluation engine and CLI: per-row table, aggregates, run history, model meta, download."""
import json
import os
import subprocess
import sys

import pandas as pd

from engine.core import runs
from engine.evaluate.evaluation import (aggregate, combined_rows, comparison_table, evaluate_model, evaluate_models,
                                        score_rows)
from engine.generate.settings import GenerationSettings
from engine.models import store
from tests.chive_fixtures import chive_cache, chive_home  # noqa: F401 - fixtures
from tests.model_fixtures import stored_model, tiny_model_dir  # noqa: F401 - fixtures

FRAME = pd.DataFrame({"Input": ["dog", "cat", "apple"], "Output": ["ねこ", "いぬ", "みかん"],
                      "Correct": ["いぬ", "ねこ", "りんご"]})


def test_score_rows_columns_and_values(chive_home):
    rows = score_rows(["x", "y"], ["ねこ", "いぬ"], ["ねこ", "=いぬ"], correct=["いぬ", "ねこ"])
    assert list(rows.columns) == ["input", "expected", "generated", "correct", "exact_match", "chrf", "bleu",
                                  "cer", "similarity", "correct_chrf", "correct_similarity",
                                  "correct_leak_rate", "correct_validity", "correct_closeness"]
    assert rows.loc[0, "exact_match"] == 1.0 and rows.loc[0, "correct_similarity"] == 0.0


def test_evaluate_model_records_run_and_meta(stored_model, chive_home):
    progress = []
    result = evaluate_model(stored_model, FRAME, GenerationSettings(method="beam", num_beams=3),
                            progress=lambda done, total: progress.append((done, total)), data_sha256="abc")
    assert len(result.rows) == 3 and set(result.rows["input"]) == {"dog", "cat", "apple"}
    assert result.metrics["rows"] == 3
    assert 0 <= result.metrics["chrf"] <= 100 and "correct_chrf" in result.metrics
    assert progress[-1] == (3, 3)
    run = runs.load_run(result.run_id)
    assert run["kind"] == "evaluate" and run["status"] == "finished"
    assert run["metrics"]["chrf"] == result.metrics["chrf"]
    evaluations = store.load_meta(stored_model)["evaluations"]
    assert evaluations[-1]["run_id"] == result.run_id and evaluations[-1]["data_sha256"] == "abc"


def test_without_correct_column_no_correct_metrics(stored_model):
    result = evaluate_model(stored_model, FRAME[["Input", "Output"]], record=False)
    assert "correct" not in result.rows.columns and "correct_chrf" not in result.metrics
    assert result.run_id == ""


def test_compare_two_models(stored_model, tiny_model_dir, chive_home):
    import shutil

    from engine.core import paths

    shutil.copytree(tiny_model_dir, paths.models_dir() / "tiny-copy")
    results = evaluate_models([stored_model, "tiny-copy"], FRAME)
    table = comparison_table(results)
    assert list(table.columns) == ["metric", "better", stored_model, "tiny-copy"]
    assert table.set_index("metric").loc["cer", "better"] == "lower"
    assert table[stored_model].equals(table["tiny-copy"])  # same weights, same scores (NaN where unmeasurable)
    assert list(combined_rows(results)["model"]) == [stored_model] * 3 + ["tiny-copy"] * 3


def test_unknown_model_fails_before_a_run_is_opened(home):
    import pytest

    from engine.core.messages import StudioError

    with pytest.raises(StudioError):
        evaluate_model("missing-model", FRAME)
    assert runs.list_runs() == []  # an unknown model fails before a run is opened


def test_cli_end_to_end(stored_model, chive_home, tmp_path):
    home = chive_home
    source = tmp_path / "test.csv"
    source.write_text("English,Japanese,正解\ndog,ねこ,いぬ\ncat,=1+1,ねこ\n", encoding="cp932")
    out = tmp_path / "rows.csv"
    env = {**os.environ, "T5STUDIO_HOME": str(home), "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-m", "engine.evaluate", "--model", stored_model, "--csv", str(source),
                           "--out", str(out)], capture_output=True, text=True, env=env, timeout=180)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["rows"] == 2 and {"exact_match", "chrf", "bleu", "cer", "similarity", "correct_chrf"} <= set(result)
    rows = pd.read_csv(out, encoding="utf-8-sig", dtype=str)
    assert list(rows.columns[:4]) == ["input", "expected", "generated", "correct"]
    assert rows.loc[1, "expected"] == "'=1+1"  # escaped for Excel
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")


def test_cli_bad_csv_is_json(home, tmp_path):
    source = tmp_path / "bad.csv"
    source.write_text("Foo\nbar\n", encoding="utf-8")
    env = {**os.environ, "T5STUDIO_HOME": str(home), "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-m", "engine.evaluate", "--model", "x", "--csv", str(source)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1
    assert json.loads(done.stdout.strip().splitlines()[-1])["status"] == "failed"


def test_several_outputs_are_scored_as_distractors(stored_model, chive_home):
    settings = GenerationSettings(method="beam", num_outputs=3, num_beams=4)
    result = evaluate_model(stored_model, FRAME, settings, record=False)
    assert {"outputs", "correct_leak_rate", "correct_validity", "correct_closeness", "correct_diversity"} <= set(
        result.rows.columns)
    assert all(len(cell.split(" | ")) == 3 for cell in result.rows["outputs"])
    assert 0 <= result.metrics["correct_leak_rate"] <= 1 and 0 < result.metrics["correct_diversity"] <= 1
    # Without a Correct column one output per row is compared, whatever was asked.
    plain = evaluate_model(stored_model, FRAME[["Input", "Output"]], settings, record=False)
    assert "outputs" not in plain.rows.columns


def test_distractor_metrics_on_hand_made_rows(chive_home):
    rows = score_rows(["dog"] * 4, ["猫"] * 4, ["猫", "いぬ", "dog", "子犬"], correct=["犬"] * 4)
    assert list(rows["correct_leak_rate"]) == [0.0, 1.0, 0.0, 1.0]
    assert list(rows["correct_validity"]) == [1.0, 1.0, 0.0, 1.0]
    assert rows.loc[0, "correct_closeness"] > 0.5 and rows["correct_closeness"].isna().sum() == 3
    values = aggregate(rows)
    assert values["correct_leak_rate"] == 0.5 and values["correct_validity"] == 0.75
    assert values["correct_closeness"] == rows.loc[0, "correct_closeness"]  # NaN rows are skipped
    several = score_rows(["dog"], ["猫"], ["猫"], correct=["犬"], outputs=[["猫", "猫", "イヌ", "の"]])
    assert several.loc[0, "correct_leak_rate"] == 0.25 and several.loc[0, "correct_validity"] == 0.75
    assert several.loc[0, "correct_diversity"] == 0.75 and several.loc[0, "outputs"] == "猫 | 猫 | イヌ | の"


def test_a_model_that_writes_nothing_has_no_leak_rate_rather_than_a_perfect_one(chive_home):
    rows = score_rows(["dog", "cat"], ["猫", "犬"], ["", ""], correct=["犬", "猫"])
    assert rows["correct_leak_rate"].isna().all() and list(rows["correct_validity"]) == [0.0, 0.0]
    assert aggregate(rows)["correct_leak_rate"] is None  # shown as "—" with a note, not as 0


def test_a_model_that_writes_nothing_usable_is_named_with_the_way_out(home, tmp_path):
    """An untrained scratch model writes empty strings or broken bytes: junk is dropped, and the
    result says so in Japanese, pointing to the default recipe instead of scoring nothing quietly."""
    from engine.train.config import TrainConfig
    from engine.train.training import train

    data = tmp_path / "words.csv"
    data.write_text("Input,Output\n" + "".join(f"w{i},語{i}\n" for i in range(8)), encoding="utf-8")
    train(TrainConfig(csv=str(data), name="untrained", base="scratch", save_only=True))
    frame = pd.DataFrame({"Input": ["dog", "cat", "sun"], "Output": ["猫", "犬", "月"]})
    result = evaluate_model("untrained", frame, record=False)
    from engine.generate.generation import is_junk

    assert not any(text and is_junk(text) for text in result.rows["generated"])  # no broken bytes shown...
    assert "訓練" in result.warning and "t5studio-distractor-base" in result.warning  # ...and the page says why
