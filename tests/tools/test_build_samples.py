"""tools/build_samples.py on a small slice: the filters hold on what it writes, and it is deterministic.

Slow (about a minute): it reads the whole JMdict from jamdict-data and the chiVe vectors from
ja-ginza, twice. jamdict-data is a tool-time dependency (tools/requirements.txt); where it is not
installed the module is skipped. CI may run it where it is installed.
"""
import csv
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.places import ROOT

pytestmark = pytest.mark.slow
pytest.importorskip("jamdict_data")
pytest.importorskip("ja_ginza")

SCRIPT = ROOT / "tools" / "build_samples.py"
FILES = ("distractors_train.csv", "distractors_heldout.csv", "sample_train.csv")


def build(out: Path) -> None:
    subprocess.run([sys.executable, str(SCRIPT), "--limit", "30", "--out", str(out)],
                   check=True, cwd=ROOT, timeout=600, capture_output=True)


@pytest.fixture(scope="module")
def tool():
    spec = importlib.util.spec_from_file_location("build_samples", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module       # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def slices(tmp_path_factory):
    first, second = tmp_path_factory.mktemp("first"), tmp_path_factory.mktemp("second")
    build(first)
    build(second)
    return first, second


@pytest.fixture(scope="module")
def rows(slices):
    out = []
    for name in ("distractors_train.csv", "distractors_heldout.csv"):
        with (slices[0] / name).open(encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            assert next(reader) == ["Input", "Output", "Correct"]
            out.extend(reader)
    return out


def test_slice_size(rows):
    assert len(rows) == 30


def test_deterministic(slices):
    first, second = slices
    for name in FILES:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_output_is_not_a_correct_form(rows):
    for english, wrong, correct in rows:
        for right in correct.split("|"):
            assert wrong != right and wrong not in right and right not in wrong, (english, wrong, right)


def test_output_has_no_english_letters(rows):
    for _, wrong, _ in rows:
        assert not re.search(r"[A-Za-zＡ-Ｚａ-ｚ]", wrong), wrong


def test_output_is_not_a_reading_of_the_answer(rows, tool):
    """犬 → いぬ/イヌ: the same word in kana would be the answer in disguise."""
    entries = tool.load_jmdict(tool.jmdict_path())
    readings = {}
    for entry in entries.values():
        for form in entry.kanji + entry.kana:
            readings.setdefault(form.text, set()).update(entry.readings())
    for english, wrong, correct in rows:
        for right in correct.split("|"):
            assert tool.hiragana(wrong) not in readings.get(right, set()), (english, wrong, right)


@pytest.mark.parametrize("gloss, heads", [
    ("pug (variety of dog)", {"dog"}), ("shiba (Japanese breed of dog)", {"dog"}),
    ("Japanese cedar (Cryptomeria japonica)", {"cedar"}), ("motor vehicle", {"vehicle"}),
    ("cat (esp. the domestic cat, Felis catus)", set()), ("piece of cake", set()), ("New York", set())])
def test_kinds_read_from_glosses(tool, gloss, heads):
    assert tool.kinds_of(gloss) == heads
