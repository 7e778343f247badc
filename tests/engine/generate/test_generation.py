"""Generation engine: every method on a tiny trained model, distinct outputs, clear errors, CLI."""
import json
import subprocess
import sys

import pytest

from engine.core.messages import StudioError, ValidationErrors
from engine.generate.generation import generate_batch, generate_one
from engine.generate.settings import GenerationSettings
from engine.models.loading import load_model
from tests.model_fixtures import PAIRS, stored_model, tiny_model_dir  # noqa: F401 - fixtures

INPUTS = [p[0] for p in PAIRS[:6]]


@pytest.mark.parametrize("settings", [
    GenerationSettings(method="greedy", num_outputs=1),
    GenerationSettings(method="beam", num_outputs=3, num_beams=4),
    GenerationSettings(method="diverse_beam", num_outputs=4, num_beams=4, num_beam_groups=2, diversity_penalty=2.0),
    GenerationSettings(method="sampling", num_outputs=5, temperature=1.2, top_k=50, top_p=0.95),
    GenerationSettings(method="beam", num_outputs=2, num_beams=2, repetition_penalty=1.3, no_repeat_ngram_size=2),
], ids=lambda s: s.method)
def test_each_method_gives_the_asked_number_of_distinct_outputs(stored_model, settings):
    results = generate_batch(stored_model, INPUTS, settings)
    assert len(results) == len(INPUTS)
    for candidates in results:
        texts = [c.text for c in candidates]
        assert len(texts) == settings.num_outputs
        assert len(set(texts)) == len(texts)
        assert all(isinstance(c.score, float) and c.score <= 0 for c in candidates)


def test_results_keep_input_order_despite_length_sorting(stored_model):
    settings = GenerationSettings(batch_size=2)
    together = [c[0].text for c in generate_batch(stored_model, INPUTS, settings)]
    alone = [generate_one(stored_model, text, settings)[0].text for text in INPUTS]
    assert together == alone


def test_training_made_the_model_learn_something(stored_model):
    beams = generate_one(stored_model, "dog", GenerationSettings(method="beam", num_outputs=3, num_beams=4))
    assert "ねこ" in [c.text for c in beams]


def test_sampling_is_reproducible_with_a_seed(stored_model):
    settings = GenerationSettings(method="sampling", num_outputs=3, seed=7)
    first = [c.text for c in generate_one(stored_model, "apple", settings)]
    again = [c.text for c in generate_one(stored_model, "apple", settings)]
    assert first == again


def test_diverse_beam_differs_from_plain_beam_with_a_big_penalty(stored_model):
    plain = generate_one(stored_model, "apple", GenerationSettings(method="beam", num_outputs=4, num_beams=4))
    diverse = generate_one(stored_model, "apple", GenerationSettings(
        method="diverse_beam", num_outputs=4, num_beams=4, num_beam_groups=2, diversity_penalty=10.0))
    assert [c.text for c in plain] != [c.text for c in diverse]


def test_model_is_loaded_once(stored_model):
    assert load_model(stored_model) is load_model(stored_model)


@pytest.mark.parametrize("settings, key", [
    (GenerationSettings(method="greedy", num_outputs=3), "generation.greedy_one_output"),
    (GenerationSettings(method="beam", num_outputs=5, num_beams=4), "generation.outputs_over_beams"),
    (GenerationSettings(method="diverse_beam", num_beams=5, num_beam_groups=2), "generation.beams_not_divisible"),
    (GenerationSettings(method="diverse_beam", num_beams=4, num_beam_groups=1), "generation.bad_num_beam_groups"),
    (GenerationSettings(method="sampling", temperature=0), "generation.bad_temperature"),
    (GenerationSettings(method="sampling", top_p=1.5), "generation.bad_top_p"),
    (GenerationSettings(method="sampling", top_p=0), "generation.bad_top_p"),
    (GenerationSettings(method="nucleus"), "generation.bad_method"),
    (GenerationSettings(max_new_tokens=0), "generation.bad_max_new_tokens"),
])
def test_invalid_settings_get_a_clear_message(settings, key):
    with pytest.raises(StudioError) as caught:
        settings.check()
    assert caught.value.key == key
    assert "Traceback" not in caught.value.message()


def test_several_problems_are_reported_together():
    with pytest.raises(ValidationErrors) as caught:
        GenerationSettings(method="sampling", num_outputs=2, temperature=-1, top_p=2).check()
    keys = {e.key for e in caught.value.errors}
    assert keys == {"generation.bad_temperature", "generation.bad_top_p"}


def test_missing_model_and_offline_hub_are_clear(home):
    with pytest.raises(StudioError) as caught:
        load_model("no-such-model")
    assert caught.value.key == "generation.model_not_found"
    with pytest.raises(StudioError) as caught:
        load_model("someone/some-t5")
    assert caught.value.key == "generation.hub_offline"


def test_a_folder_without_safetensors_is_refused(home, tmp_path):
    folder = tmp_path / "pickled"
    folder.mkdir()
    (folder / "pytorch_model.bin").write_bytes(b"not loaded")
    with pytest.raises(StudioError) as caught:
        load_model(str(folder))
    assert caught.value.key == "generation.no_safetensors"


def _cli(*args, env_home):
    import os

    env = {**os.environ, "T5STUDIO_HOME": str(env_home), "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-m", "engine.generate", *args], capture_output=True, text=True,
                          env=env, timeout=180)
    return done.returncode, json.loads(done.stdout.strip().splitlines()[-1])


def test_cli_text_and_csv(stored_model, home, tmp_path):
    code, result = _cli("--model", stored_model, "--text", "dog", "--method", "beam", "--num-outputs", "3",
                        env_home=home)
    assert code == 0 and len(result["outputs"]) == 3
    source = tmp_path / "in.csv"
    source.write_text("Input\ndog\n=SUM(A1)\ncat\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    code, result = _cli("--model", stored_model, "--csv", str(source), "--out", str(out), env_home=home)
    assert code == 0 and result["rows"] == 3
    written = out.read_bytes()
    assert written.startswith(b"\xef\xbb\xbf")
    assert "'=SUM(A1)" in written.decode("utf-8-sig")
    from engine.core import runs

    assert [r["kind"] for r in runs.list_runs()] == ["generate"]


def test_cli_reports_bad_settings_as_json(stored_model, home):
    code, result = _cli("--model", stored_model, "--text", "dog", "--num-outputs", "3", env_home=home)
    assert code == 1 and result["status"] == "failed" and "貪欲法" in result["error"]
