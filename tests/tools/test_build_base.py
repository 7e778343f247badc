"""tools/build_base.py on a slice of JMdict: it builds a model of the bundled shape that loads and
generates, and a second run resumes from the first one's checkpoint.

Slow (about a minute): it reads the whole JMdict from jamdict-data and the chiVe vectors. jamdict-data
is a tool-time dependency (tools/requirements.txt); where it is not installed the module is skipped.
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.places import ROOT

pytestmark = pytest.mark.slow
pytest.importorskip("jamdict_data")
pytest.importorskip("ja_ginza")

SCRIPT = ROOT / "tools" / "build_base.py"
BUNDLED = ROOT / "bundled" / "t5studio-distractor-base"
SHAPE_KEYS = ("d_model", "d_ff", "d_kv", "num_heads", "num_layers", "num_decoder_layers", "vocab_size",
              "feed_forward_proj", "tie_word_embeddings", "t5studio_input_format")


def build(out: Path, work: Path, steps: int) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), "--limit", "30", "--steps", str(steps), "--save-steps", "2",
                           "--out", str(out), "--work", str(work)],
                          check=True, cwd=ROOT, timeout=900, capture_output=True, text=True,
                          env={**__import__("os").environ, "OMP_NUM_THREADS": "2"})


@pytest.fixture(scope="module")
def slice_build(tmp_path_factory):
    folder = tmp_path_factory.mktemp("base")
    first = build(folder / "first", folder / "work", steps=4)
    second = build(folder / "second", folder / "work", steps=6)
    return folder, first, second


def test_slice_has_the_bundled_shape_and_generates(slice_build, home):
    from engine.generate.generation import generate_batch
    from engine.generate.settings import GenerationSettings
    from engine.models.loading import load_model

    folder, _, _ = slice_build
    built = json.loads((folder / "second" / "config.json").read_text())
    shipped = json.loads((BUNDLED / "config.json").read_text())
    assert {k: built.get(k) for k in SHAPE_KEYS} == {k: shipped.get(k) for k in SHAPE_KEYS}
    assert {"model.safetensors", "tokenizer.json", "README.md", "build.json"} <= {p.name for p in (folder / "second").iterdir()}
    loaded = load_model(str(folder / "second"))
    results = generate_batch(loaded, ["dog", "cat"], GenerationSettings(method="beam", num_outputs=3, num_beams=4))
    assert len(results) == 2 and all(isinstance(c.text, str) and c.text for cands in results for c in cands)
    # Trained on 30 words for 6 steps it knows little, but every word of chiVe is one token already.
    assert loaded.tokenizer.tokenize("犬") == ["▁犬"]


def test_a_second_run_resumes_from_the_last_checkpoint(slice_build):
    folder, first, second = slice_build
    assert json.loads((folder / "first" / "build.json").read_text())["resumed_from_step"] == 0
    facts = json.loads((folder / "second" / "build.json").read_text())
    assert facts["resumed_from_step"] == 4 and facts["steps"] == 6
    assert "reading JMdict" in first.stderr and "reading JMdict" not in second.stderr  # data built once
    progress = [json.loads(line) for line in (folder / "work" / "progress.jsonl").read_text().splitlines()]
    assert [r["step"] for r in progress if "heldout" in r] == [2, 4, 6]  # held-out quality at each save
