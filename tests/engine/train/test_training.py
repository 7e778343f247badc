"""The training engine on a tiny scratch T5: real Seq2SeqTrainer runs of a few steps."""
import math
import threading
import time
from pathlib import Path

import pytest
import torch
from transformers import TrainerCallback

from engine.core import runs
from engine.core.jsonio import read_json, read_jsonl
from engine.core.messages import StudioError
from engine.models import store
from engine.train.arguments import last_complete_checkpoint
from engine.train.config import TrainConfig
from engine.train.jobs import JOBS
from engine.train.training import train
from tests.places import PAIRS


def config(name="m", **overrides):
    values = dict(csv=str(PAIRS), name=name, base="scratch", max_steps=4, batch_size=4, validation_split=0.2,
                  eval_every=2)
    values.update(overrides)
    return TrainConfig(**values)


def test_a_few_steps_make_a_complete_stored_model(home):
    outcome = train(config("first"))
    assert outcome.status == "finished" and outcome.steps == 4
    assert math.isfinite(outcome.metrics["train_loss"]) and math.isfinite(outcome.metrics["eval_loss"])
    folder = Path(outcome.path)
    assert {"model.safetensors", "tokenizer.json", "run.json", "README.md", "trainer_log.jsonl", "log.txt"} <= {
        p.name for p in folder.iterdir()}
    assert not (folder / "training_args.bin").exists()  # a pickle: never stored
    meta = read_json(folder / "run.json")
    assert meta["status"] == "finished" and meta["data_rows"] == 12 and len(meta["data_sha256"]) == 64
    assert meta["settings"]["learning_rate"] == 3e-4 and meta["base_model"] == "scratch"
    steps = [r["step"] for r in read_jsonl(folder / "trainer_log.jsonl") if "loss" in r]
    assert steps and steps == sorted(steps) and steps[-1] == 4
    assert store.model_names() == ["first"]
    assert runs.list_runs(kind="train")[0]["status"] == "finished"


def test_continue_training_a_stored_model(home):
    train(config("base"))
    outcome = train(config("child", base="base", max_steps=2))
    assert outcome.status == "finished"
    assert read_json(Path(outcome.path) / "run.json")["base_model"] == "base"


def test_save_only_stores_the_base_without_training(home):
    outcome = train(config("plain", save_only=True))
    assert outcome.status == "finished" and outcome.steps == 0
    assert not (Path(outcome.path) / "trainer_log.jsonl").exists()
    assert "plain" in store.model_names()


def test_stop_mid_run_keeps_a_usable_model_marked_stopped(home):
    job = JOBS.start(config("stopme", max_steps=2000, eval_every=1000), owner="tester")
    deadline = time.time() + 120
    while time.time() < deadline and not (job.refresh().run and any(
            r.get("step", 0) >= 2 for r in read_jsonl(job.run.trainer_log_path))):
        time.sleep(0.1)
    assert JOBS.stop("tester") == "running"
    assert job.wait(120)
    assert job.outcome["status"] == "stopped" and 2 <= job.outcome["steps"] < 2000
    assert store.load_meta("stopme")["status"] == "stopped"
    assert runs.load_run(job.run.id)["status"] == "stopped"


class PoisonWeights(TrainerCallback):
    """Turns the weights into NaN after step 1, as a diverging run would."""

    def on_step_end(self, args, state, control, model=None, **kwargs):
        if state.global_step == 1:
            with torch.no_grad():
                for parameter in model.parameters():
                    parameter.fill_(float("nan"))


def test_non_finite_loss_stops_with_a_clear_error(home):
    with pytest.raises(StudioError) as info:
        train(config("nan", max_steps=6, eval_every=1), extra_callbacks=[PoisonWeights()])
    assert info.value.key == "train.non_finite_loss"
    assert "学習率" in info.value.message()
    record = runs.list_runs(kind="train")[0]
    assert record["status"] == "failed" and "発散" in record["error"]
    assert store.model_names() == []


def test_crash_while_saving_leaves_nothing_that_looks_finished(home, monkeypatch):
    def explode(meta):
        raise OSError("disk gone")

    monkeypatch.setattr("engine.train.training.render_model_card", explode)
    with pytest.raises(OSError):
        train(config("crash"))
    assert store.model_names() == []
    assert list(store.models_root().iterdir()) == []  # no staging folder left behind either
    assert runs.list_runs(kind="train")[0]["status"] == "failed"


def test_leftover_staging_folder_is_never_listed_and_is_cleaned(home):
    leftover = store.models_root() / ".staging-half-1234"
    leftover.mkdir(parents=True)
    (leftover / "run.json").write_text('{"status": "finished"}')
    (leftover / "model.safetensors").write_bytes(b"partial")
    half = store.models_root() / "half"
    half.mkdir()
    (half / "model.safetensors").write_bytes(b"no metadata, no tokenizer")
    assert store.model_names() == []
    assert store.clean_staging() == 1 and not leftover.exists()


@pytest.mark.parametrize("overrides, key", [
    ({"name": "../evil"}, "common.name_bad_chars"),
    ({"name": "a/b"}, "common.name_bad_chars"),
    ({"name": ""}, "common.name_empty"),
    ({"batch_size": 0}, "train.bad_number"),
    ({"learning_rate": -1.0}, "train.bad_number"),
    ({"max_input_length": 0}, "train.bad_number"),
    ({"epochs": -3.0, "max_steps": 0}, "train.bad_number"),
    ({"early_stopping_patience": 2, "validation_split": 0.0}, "train.early_stopping_needs_validation"),
    ({"optimizer": "sgd-ish"}, "train.bad_choice"),
])
def test_bad_settings_are_refused_before_anything_starts(home, overrides, key):
    with pytest.raises(StudioError) as info:
        train(config(**overrides))
    keys = [e.key for e in getattr(info.value, "errors", [info.value])]
    assert key in keys
    assert runs.list_runs() == [] and store.model_names() == []


def test_hub_base_offline_gets_a_clear_message(home, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(StudioError) as info:
        train(config("hub", base="retrieva-jp/t5-small-short"))
    assert info.value.key == "train.hub_offline"


def test_the_default_recipe_on_a_slice_writes_japanese_words(home, tmp_path):
    """The defaults (the bundled base) fine-tuned on 120 sample rows for a few steps, then asked
    for held-out words it never saw: a real Trainer run judged by what the model writes."""
    import re

    import pandas as pd

    from engine.core.paths import SAMPLES_DIR
    from engine.generate.generation import generate_batch
    from engine.generate.settings import GenerationSettings

    part = tmp_path / "slice.csv"
    pd.read_csv(SAMPLES_DIR / "distractors_train.csv", dtype=str).head(120).to_csv(part, index=False)
    outcome = train(TrainConfig(csv=str(part), name="recipe", max_steps=15))
    assert outcome.status == "finished" and store.load_meta("recipe")["base_model"] == "t5studio-distractor-base"
    held = pd.read_csv(SAMPLES_DIR / "distractors_heldout.csv", dtype=str).head(40)
    results = generate_batch("recipe", list(held["Input"]), GenerationSettings(), answers=list(held["Correct"]))
    texts = [c[0].text if c else "" for c in results]
    japanese = [t for t in texts if re.fullmatch(r"[\u3041-\u3096\u30a1-\u30fa\u30fc\u3005\u4e00-\u9fff]+", t)]
    assert len(japanese) >= 0.9 * len(texts), texts
    correct = [t for t, c in zip(texts, held["Correct"]) if t in c.split("|")]
    assert len(correct) <= 0.3 * len(texts), correct
    assert len(set(texts)) >= 0.5 * len(texts)  # not one word for every input


def test_unreachable_hub_fails_fast_with_the_message(home, monkeypatch):
    """Not switched offline, but nothing answers: the short probe turns ~50 s of retries into seconds."""
    from huggingface_hub import constants

    from engine.models import publishing

    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # the discard port: nothing listens
    monkeypatch.setitem(publishing._reach, "at", float("-inf"))
    started = time.monotonic()
    with pytest.raises(StudioError) as info:
        train(config("hub", base="sonoisa/t5-base-english-japanese"))
    assert info.value.key == "train.hub_offline" and time.monotonic() - started < 10
    assert "t5studio-distractor-base" in info.value.message()


def test_the_bundled_base_is_the_default_and_its_name_is_reserved(home):
    assert TrainConfig().base == "t5studio-distractor-base"
    with pytest.raises(StudioError) as info:
        train(config("t5studio-distractor-base"))
    assert info.value.key == "store.reserved"


def test_existing_name_is_refused(home):
    train(config("same", save_only=True))
    with pytest.raises(StudioError) as info:
        train(config("same"))
    assert info.value.key == "store.exists"


def test_only_complete_checkpoints_count(tmp_path):
    for step, complete in ((2, True), (4, False)):
        folder = tmp_path / "checkpoints" / f"checkpoint-{step}"
        folder.mkdir(parents=True)
        (folder / "model.safetensors").write_bytes(b"x")
        if complete:
            (folder / "trainer_state.json").write_text("{}")
    assert last_complete_checkpoint(tmp_path).name == "checkpoint-2"


def test_crash_from_a_full_disk_is_explained(home, monkeypatch):
    import errno

    def full(meta):
        raise OSError(errno.ENOSPC, "No space left on device", str(home / "models"))

    monkeypatch.setattr("engine.train.training.render_model_card", full)
    with pytest.raises(StudioError) as info:
        train(config("full"))
    assert info.value.key == "common.disk_full" and "空き容量" in info.value.message()
    assert store.model_names() == [] and runs.list_runs()[0]["error"].startswith("保存先の空き容量")


def test_unwritable_data_home_is_explained(tmp_path, monkeypatch):
    from engine.core import paths

    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    monkeypatch.setenv("T5STUDIO_HOME", str(blocked / "home"))
    with pytest.raises(StudioError) as info:
        paths.models_dir()
    assert info.value.key == "common.home_unwritable" and "T5STUDIO_HOME" in info.value.message()


def test_base_model_kinds_are_told_apart(home, tmp_path):
    from engine.train.base import resolve_base

    train(config("stored", save_only=True))
    assert resolve_base("scratch") == ("scratch", None)
    assert resolve_base("stored")[0] == "store"
    assert resolve_base(str(store.model_path("stored")))[0] == "local"
    assert resolve_base("t5-small") == ("hub", "t5-small")
    assert resolve_base("retrieva-jp/t5-small-long") == ("hub", "retrieva-jp/t5-small-long")
    with pytest.raises(StudioError) as info:
        resolve_base(str(tmp_path), allow_paths=False)  # on a Space, folders are refused
    assert info.value.key == "train.base_not_found"


def test_a_base_vocabulary_that_cannot_spell_japanese_is_warned_about(home):
    """Like the original T5: an English-only vocabulary without byte fallback turns kanji into <unk>."""
    from transformers import T5Tokenizer

    from engine.core.jsonio import write_json
    from engine.models.scratch import build_model

    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0)]
    pieces += [(ch, -3.0) for ch in "abcdefghijklmnopqrstuvwxyz"]
    tokenizer = T5Tokenizer(vocab=pieces, extra_ids=0)
    with store.staging("english-only") as folder:
        build_model(tokenizer, "tiny").save_pretrained(folder)
        tokenizer.save_pretrained(folder)
        write_json(folder / "run.json", {"status": "finished", "base_model": "scratch"})
    outcome = train(config("child-of-english", base="english-only", max_steps=1))
    assert any("未知語" in warning for warning in outcome.warnings)
    assert "未知語" in runs.read_log(outcome.run_id)


def test_gradient_accumulation_keeps_the_loss_scale(home):
    """Two accumulated half-batches must report about the loss of one whole batch, not twice it."""
    whole = train(config("whole", max_steps=1, batch_size=4, grad_accum=1, validation_split=0.0))
    halves = train(config("halves", max_steps=1, batch_size=2, grad_accum=2, validation_split=0.0))
    first = {}
    for outcome in (whole, halves):
        losses = [r["loss"] for r in read_jsonl(Path(outcome.path) / "trainer_log.jsonl") if "loss" in r]
        first[outcome.name] = losses[0]
    assert 0.67 < first["halves"] / first["whole"] < 1.5, first


# ---------------------------------------------------------------- budgets and stops (public Space)

def test_public_mode_refuses_a_training_that_would_hold_the_slot_for_days(home, monkeypatch, tmp_path):
    from engine.train.config import PUBLIC_LIMITS

    monkeypatch.setenv("T5STUDIO_PUBLIC", "1")
    rows = tmp_path / "rows.csv"
    rows.write_text("Input,Output\n" + "".join(f"w{i},ね{i}\n" for i in range(100)), encoding="utf-8")
    # 80 training rows at batch 1 are 80 steps an epoch; the form accepts up to 1000 epochs.
    epochs = PUBLIC_LIMITS.steps // 80 + 1
    with pytest.raises(StudioError) as caught:
        train(config("forever", csv=str(rows), max_steps=0, epochs=epochs, batch_size=1, validation_split=0.2))
    assert caught.value.key == "train.too_many_steps"
    assert "バッチサイズを大きく" in caught.value.message()
    assert not store.model_names()
    monkeypatch.setenv("T5STUDIO_PUBLIC", "0")
    assert train(config("fine-locally", max_steps=2)).status == "finished"


def test_public_mode_caps_the_rows_of_one_training(home, monkeypatch, tmp_path):
    from engine.train import config as config_module

    monkeypatch.setenv("T5STUDIO_PUBLIC", "1")
    monkeypatch.setattr(config_module, "PUBLIC_LIMITS", config_module.TrainLimits(steps=100, rows=10, minutes=60))
    with pytest.raises(StudioError, match="上限 10 行"):
        train(config("too-many-rows"))


def test_stop_before_training_began_saves_nothing_and_says_so(home):
    asked = threading.Event()
    asked.set()  # Stop pressed while the data was still being read
    outcome = train(config("early-stop", max_steps=50), stop_event=asked)
    assert outcome.status == "stopped" and outcome.path == "" and "保存していません" in outcome.warnings[0]
    assert "early-stop" not in store.model_names()
    record = runs.load_run(outcome.run_id)
    assert record["status"] == "stopped" and "保存していません" in record["error"]


def test_stop_is_seen_while_tokenizing():
    import pandas as pd

    from engine.models.scratch import build_scratch
    from engine.train.data import TOKENIZE_ROWS, tokenize_frame
    from engine.train.progress import StoppedBeforeTraining

    _model, tokenizer = build_scratch(["dog いぬ"] * 10, "tiny")
    frame = pd.DataFrame({"Input": ["dog"] * (3 * TOKENIZE_ROWS), "Output": ["いぬ"] * (3 * TOKENIZE_ROWS)})
    looks = []

    def stop_on_second_look():
        looks.append(1)
        if len(looks) == 2:
            raise StoppedBeforeTraining()

    with pytest.raises(StoppedBeforeTraining):
        tokenize_frame(frame, tokenizer, TrainConfig(), stop_on_second_look)
    assert len(looks) == 2  # the first chunk was done, the second was never started


def test_after_a_stop_the_validation_rows_are_not_evaluated_again(home):
    class StopAtStepThree(TrainerCallback):
        def __init__(self, event):
            self.event = event

        def on_step_begin(self, args, state, control, **kwargs):
            if state.global_step == 2:
                self.event.set()

    event = threading.Event()
    # eval_every=3: without the fix, the stop at step 3 would still evaluate, then evaluate once more.
    outcome = train(config("stop-no-eval", max_steps=50, eval_every=3), stop_event=event,
                    extra_callbacks=[StopAtStepThree(event)])
    assert outcome.status == "stopped" and outcome.steps == 3
    records = read_jsonl(Path(outcome.path) / "trainer_log.jsonl")
    assert not [r for r in records if "eval_loss" in r]
    assert "eval_loss" not in outcome.metrics


def test_a_training_over_its_time_limit_stops_and_keeps_its_model(home, monkeypatch):
    from engine.train import config as config_module

    monkeypatch.setenv("T5STUDIO_PUBLIC", "1")
    monkeypatch.setattr(config_module, "PUBLIC_LIMITS", config_module.TrainLimits(steps=1000, rows=100, minutes=0.02))
    outcome = train(config("timed", max_steps=1000, eval_every=500))
    assert outcome.status == "stopped" and 1 <= outcome.steps < 1000
    assert any("時間が上限の 0.02 分" in w for w in outcome.warnings)
    assert store.load_meta("timed")["status"] == "stopped"


def test_overfitting_is_warned_of_in_the_result_the_log_and_the_run_record(home):
    """12 rows, a high learning rate, 60 steps: the validation loss falls, then climbs well above its best."""
    outcome = train(config("by-heart", max_steps=60, validation_split=0.3, eval_every=6, learning_rate=3e-3))
    warned = [w for w in outcome.warnings if "過学習" in w]
    assert len(warned) == 1
    assert runs.load_run(outcome.run_id)["warnings"] == outcome.warnings  # the Logs tab reads it there
    assert warned[0] in runs.read_log(outcome.run_id)
    quiet = train(config("quiet"))  # four steps: nothing to warn of
    assert not any("過学習" in w for w in quiet.warnings)


def test_the_overfitting_rule_needs_a_real_rise_after_the_best():
    from engine.train.data import overfitting_warning

    assert overfitting_warning([4.12, 4.3, 4.5, 4.74])
    assert overfitting_warning([4.5, 4.2, 4.0]) == overfitting_warning([4.0, 4.1]) == ""
    assert overfitting_warning([4.0, 3.0, 3.1]) == ""  # under 5 % above the best: noise


def test_a_file_the_training_would_refuse_is_refused_before_a_place_in_line(home, tmp_path):
    from engine.train import queue

    source = tmp_path / "no-output.csv"
    source.write_text("Input,Memo\ndog,x\ncat,y\n", encoding="utf-8")
    with pytest.raises(StudioError) as refused:
        JOBS.start(config("never-queued", csv=str(source)), owner="a" * 48)
    assert refused.value.key == "csv.missing_column_choose"
    assert queue.jobs() == [] and runs.list_runs() == []  # no place taken, no failed run in Logs
