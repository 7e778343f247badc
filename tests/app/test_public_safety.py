"""Findings of the public-Space abuse test that fail fast without a server: owner keys kept out of
records, names that pass for others or for devices, numbers that are not numbers, CLI tracebacks."""
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

from engine.core import runs
from engine.core.jsonio import read_json, write_json
from engine.core.messages import StudioError, finite_number
from engine.core.names import check_name
from tests.places import ROOT


def key_of(call, *args, **kwargs) -> str:
    with pytest.raises(StudioError) as caught:
        call(*args, **kwargs)
    return caught.value.key


# ---------------------------------------------------------------- owners


def test_records_keep_a_digest_of_the_owner_never_the_key(home):
    run = runs.start_run("generate", "m", owner="a" * 48)
    run.finish("finished")
    stored = read_json(run.folder / "run.json")
    assert stored["owner"] != "a" * 48 and re.fullmatch(r"[0-9a-f]{32}", stored["owner"])
    from engine.logs.view import list_records

    assert [r["id"] for r in list_records(owner="a" * 48)] == [run.id]
    assert list_records(owner=stored["owner"]) == []  # the digest is no key


def test_a_record_written_with_a_plain_owner_is_rewritten_on_first_read(home):
    run = runs.start_run("generate", "old")
    run.finish("finished")
    data = read_json(run.folder / "run.json")
    write_json(run.folder / "run.json", {**data, "owner": "session-abc123"})
    assert runs.load_run(run.id)["owner"] == runs.owner_id("session-abc123")
    assert "session-abc123" not in (run.folder / "run.json").read_text()


def test_a_training_record_names_its_data_file_but_not_where_it_lies(home, tmp_path):
    from engine.train.config import TrainConfig
    from engine.train.training import train

    data = tmp_path / "uploads" / "someone" / "words.csv"
    data.parent.mkdir(parents=True)
    data.write_text("Input,Output\n" + "".join(f"w{i},語{i}\n" for i in range(8)), encoding="utf-8")
    outcome = train(TrainConfig(csv=str(data), name="m", base="scratch", max_steps=1, batch_size=4))
    record_text = (runs.run_folder(outcome.run_id) / "run.json").read_text(encoding="utf-8")
    assert "someone" not in record_text and json.loads(record_text)["settings"]["csv"] == "words.csv"
    assert runs.load_private(outcome.run_id) == {"csv": str(data)}  # what --resume reads
    assert "someone" not in (Path(outcome.path) / "run.json").read_text(encoding="utf-8")


# ---------------------------------------------------------------- names


@pytest.mark.parametrize("name, cleaned", [("ｍｏｄｅｌ１", "model1"), ("犬モデル", "犬モデル"), ("日本語-model", "日本語-model")])
def test_names_are_nfkc_normalised(name, cleaned):
    assert check_name(name) == cleaned


@pytest.mark.parametrize("name, key", [
    ("\u3164", "common.name_empty"), ("\u115f", "common.name_empty"), ("a\u3164b", "common.name_invisible"),
    ("CON", "common.name_reserved"), ("nul.txt", "common.name_reserved"), ("aux", "common.name_reserved"),
    ("com1", "common.name_reserved"), ("m\u0456ne", "common.name_mixed_scripts"), ("model\u200b", "common.name_bad_chars"),
])
def test_names_that_hide_or_pass_for_something_else_are_refused(name, key):
    assert key_of(check_name, name) == key


# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, "nan", "Infinity", None, "abc"])
def test_numbers_that_are_not_numbers_get_the_message(value):
    with pytest.raises(StudioError) as caught:
        finite_number(value, "バッチサイズ", whole=True)
    assert caught.value.key == "common.not_finite" and "バッチサイズ" in caught.value.message()


def test_train_form_try_settings_and_distractor_count_refuse_nan_and_infinity():
    from engine.distractors.making import check_n
    from tabs.train import NUMBER_FIELDS, build_config
    from tabs.try_t5 import SETTING_FIELDS, settings_from_widgets

    numbers = [1.0] * len(NUMBER_FIELDS)
    numbers[[f for f, _ in NUMBER_FIELDS].index("batch_size")] = math.nan
    assert key_of(build_config, "x.csv", "", "", "m", "scratch", "tiny", *numbers, "adamw", "linear") == "common.not_finite"
    settings = [None] * len(SETTING_FIELDS)
    settings[SETTING_FIELDS.index("num_beams")] = math.inf
    assert key_of(settings_from_widgets, "beam", *settings) == "common.not_finite"
    for value in (math.nan, math.inf, -math.inf):
        assert key_of(check_n, value) == "distractors.bad_n"


# ---------------------------------------------------------------- command lines


@pytest.mark.parametrize("args", [
    ["engine.train", "--stop", "../../x"],
    ["engine.train", "--stop", "20990101-000000-train-abcdef"],
    ["engine.train", "--resume", "../../"],
    ["engine.train", "--csv", "no-such-file.csv", "--name", "m"],
    ["engine.logs", "--run", "../../etc"],
])
def test_cli_errors_are_one_japanese_line_not_a_traceback(home, args):
    proc = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", proc.stderr), proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1])


def test_nan_and_infinity_in_every_number_of_every_endpoint_get_a_message(home):
    """Raw HTTP, as a script would send them (gradio_client refuses to encode NaN): each numeric
    parameter of each endpoint in turn, the others left at their defaults. The answer is always a
    message: ours in Japanese, or (infinity on a slider) gradio's own range check, never a bare
    "Error" nor 予期しないエラー."""
    import httpx

    import app
    from tests.launching import served

    def call(url, name, args) -> dict:
        body = json.dumps({"data": args})  # json writes NaN and Infinity, as JavaScript clients may
        event = httpx.post(f"{url}gradio_api/call{name}", content=body, timeout=60,
                           headers={"content-type": "application/json"}).json()["event_id"]
        stream = httpx.get(f"{url}gradio_api/call{name}/{event}", timeout=120).text
        data = [line[len("data: "):] for line in stream.splitlines() if line.startswith("data: ")]
        return json.loads(data[-1]) if data and data[-1] != "null" else {}

    checked = 0
    with served(app.build_app()) as (url, client):
        endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
        for name, info in endpoints.items():
            params = info["parameters"]
            for i, param in enumerate(params):
                if param.get("python_type", {}).get("type") not in ("float", "int"):
                    continue
                for bad in (math.nan, math.inf):
                    args = [p.get("parameter_default") for p in params]
                    args[i] = bad
                    answer = call(url, name, args)
                    message = answer.get("error") if isinstance(answer, dict) else None
                    where = (name, param["parameter_name"], bad)
                    assert message, where
                    assert "予期しない" not in message, where
                    if not message.startswith("Value inf is greater than maximum"):
                        assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", message), where
                    checked += 1
    assert checked >= 60
