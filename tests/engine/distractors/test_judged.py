"""The judged set (data/judged): its shape, its split, and that every pool row carries two labels."""
import csv
import hashlib

from engine.core import paths
from engine.distractors import judged


def test_words_are_enough_and_none_is_a_sample_word():
    words = judged.words()
    assert len(words) >= 400 and len(judged.words("eval")) >= 150
    assert len({w["English"] for w in words}) == len(words)
    samples = set()
    for name in ("distractors_train.csv", "distractors_heldout.csv", "sample_train.csv", "distractors_benchmark.csv"):
        with (paths.SAMPLES_DIR / name).open(encoding="utf-8", newline="") as handle:
            samples |= {row["Input"] for row in csv.DictReader(handle)}
    assert not {w["English"] for w in words} & samples


def test_the_split_is_the_documented_hash_rule():
    for word in judged.words():
        digest = int(hashlib.sha1(word["English"].encode()).hexdigest(), 16)
        assert word["Split"] == ("eval" if digest % 5 < 2 else "dev"), word


def test_every_pool_row_has_two_independent_labels_and_a_settled_one():
    pools = {r["Id"]: r for r in judged.read("pools.csv")}
    labels = judged.read("labels.csv")
    assert [r["Id"] for r in labels] == list(pools)
    for row in labels:
        assert row["A"] in judged.LABELS and row["B"] in judged.LABELS and row["Label"] in judged.LABELS, row
        assert row["Label"] == row["A"] or row["A"] != row["B"], row  # agreement stands; a third reading settles the rest
        assert (row["English"], row["Candidate"]) == (pools[row["Id"]]["English"], pools[row["Id"]]["Candidate"])
    per_word = {}
    for row in labels:
        per_word[row["English"]] = per_word.get(row["English"], 0) + 1
    assert min(per_word.values()) >= 15  # a whole pool per word, every source


def test_an_option_shown_with_its_form_finds_its_label():
    found = {("famous", "簡単"): "G"}
    assert judged.label_of(found, "famous", "簡単な", "有名な") == "G"
    assert judged.label_of(found, "famous", "難解な", "有名な") == ""
