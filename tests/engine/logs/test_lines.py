"""What a person reads of a run: log lines in words, every setting and metric named, no Python keys."""
import dataclasses
import re

import pytest

from engine.core.messages import field_label, speaking
from engine.evaluate.metrics import DISTRACTOR_METRICS, METRICS
from engine.generate.settings import GenerationSettings
from engine.logs.lines import readable_log
from engine.train.config import TrainConfig
from engine.vectors.training import VectorTrainConfig

RAW = """[12:00:01] start train model-x
[12:00:02] event=begin, step=0, max_steps=20
[12:00:05] step=5, max_steps=20, epoch=0.4167, elapsed=3.2, eta=9.1, loss=4.123, grad_norm=12.5, learning_rate=0.0003
[12:00:09] step=10, max_steps=20, epoch=0.833, eval_loss=3.9, eval_runtime=0.5, eval_samples_per_second=40.1
[12:00:10] step=20, train_runtime=30.2, train_loss=3.1, total_flos=1234.0
[12:00:11] status: stopped
[12:00:12] status: failed (ValueError: x)
[12:01:00] evaluated 20 rows: chrf=12.3, bleu=1.2, exact_match=0.0, correct_leak_rate=0.1
[12:01:00] distractors for 8 rows (8 with 5) in 3.2s
[12:01:00] generated 8 rows in 1.0s
[12:01:00] corpus: 120 sentences, 900 tokens
[12:01:00] epoch 3/10"""
PYTHON_KEY = re.compile(r"\b[a-z]+_[a-z_]+\b|\b[a-z_]+=")


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_line_a_job_writes_reads_as_words(lang):
    with speaking(lang):
        shown = readable_log(RAW).splitlines()
    assert len(shown) == len(RAW.splitlines()) and all(line.startswith("12:0") for line in shown)
    for line in shown:
        assert not PYTHON_KEY.search(line.replace("model-x", "")), line
    assert ("ステップ 5" if lang == "ja" else "Step 5") in shown[2] and "4.123" in shown[2]
    assert ("停止" if lang == "ja" else "Stopped") in shown[5] and "ValueError: x" in shown[6]
    assert "9.1" not in shown[2]  # the time left belongs on the status line, not in every log line


def test_a_line_of_no_known_form_is_shown_as_it_is():
    assert readable_log("[10:00:00] something new\nno stamp here") == "10:00:00  something new\nno stamp here"


def _fields(cls) -> list:
    return [f.name for f in dataclasses.fields(cls)]


@pytest.mark.parametrize("key", sorted(set(
    _fields(TrainConfig) + _fields(GenerationSettings) + _fields(VectorTrainConfig) + list(METRICS)
    + [f"correct_{m}" for m in DISTRACTOR_METRICS + ("chrf", "similarity")]
    + ["train_loss", "eval_loss", "steps", "rows", "complete_rows", "seconds", "rows_per_second", "vocab",
       "sentences", "tokens", "data_sha256", "has_correct", "mode", "n", "vectors", "use_samples", "corpus",
       "corpus_sha256", "model", "data_rows_train", "data_rows_validation"])))
def test_every_setting_and_metric_a_run_records_has_a_name_in_both_languages(key):
    for lang in ("ja", "en"):
        assert field_label(key, lang) != key, (lang, key)
