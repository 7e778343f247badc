"""Fair turns, budgets and cancel for generation (engine.generate.turns), with a real (untrained) T5.

An untrained model almost never writes its end token, so every output runs to max_new_tokens:
the worst case a visitor can ask for."""
import threading
import time

import pytest

from engine.core.messages import StudioError
from engine.generate import turns
from engine.generate.generation import generate_batch
from engine.generate.settings import GenerationSettings
from engine.models.loading import LoadedModel

WIDE = GenerationSettings(method="beam", num_beams=8, num_outputs=2, max_new_tokens=64, batch_size=64)
ONE = GenerationSettings(method="greedy", max_new_tokens=8)


@pytest.fixture(scope="module")
def untrained():
    from engine.models.scratch import build_scratch

    model, tokenizer = build_scratch(["dog いぬ cat ねこ apple りんご"] * 20, "tiny", seed=3)
    model.eval()
    return LoadedModel(model=model, tokenizer=tokenizer, source="untrained", path="", device="cpu")


def _in_thread(fn, owner=""):
    """Run fn as `owner`'s request in a thread; returns (thread, outcome dict with 'end' or 'error')."""
    outcome = {}

    def work():
        try:
            with turns.request(owner):
                outcome["result"] = fn()
        except StudioError as exc:
            outcome["error"] = exc
        outcome["end"] = time.monotonic()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread, outcome


def test_a_short_request_does_not_wait_for_a_long_one(untrained):
    started = threading.Event()
    long_thread, long = _in_thread(lambda: generate_batch(untrained, ["dog"] * 40, WIDE, with_scores=False,
                                                          progress=lambda done, total: started.set()))
    assert started.wait(60)
    asked = time.monotonic()
    short_thread, short = _in_thread(lambda: generate_batch(untrained, ["cat"], ONE))
    short_thread.join(60)
    long_thread.join(300)
    assert "error" not in short and "error" not in long
    assert short["end"] < long["end"], "the one-word request waited for the whole batch"
    assert short["end"] - asked < (long["end"] - asked) / 3


def test_the_owner_can_cancel_a_running_request_and_others_cannot(untrained):
    started = threading.Event()
    thread, outcome = _in_thread(lambda: generate_batch(untrained, ["dog"] * 40, WIDE, with_scores=False,
                                                        progress=lambda done, total: started.set()), owner="alice")
    assert started.wait(60)
    assert not turns.cancel("mallory")
    assert turns.cancel("alice")
    thread.join(30)
    assert not thread.is_alive()
    assert outcome["error"].key == "turns.cancelled"
    assert not turns.cancel("alice")  # nothing left to cancel


def test_a_request_ends_at_its_time_limit(untrained):
    budget = turns.Limits(work=10**9, row_work=10**6, new_tokens=512, seconds=0.5)
    begun = time.monotonic()
    with pytest.raises(StudioError) as caught, turns.request(budget=budget):
        generate_batch(untrained, ["dog"] * 200, WIDE, with_scores=False)
    assert caught.value.key == "turns.time_limit"
    assert "0 秒" not in caught.value.message()
    assert time.monotonic() - begun < 10


@pytest.mark.parametrize("settings, key", [
    (GenerationSettings(method="beam", num_beams=64, num_outputs=50, max_new_tokens=128), "turns.row_too_big"),
    (GenerationSettings(max_new_tokens=512), "turns.too_many_tokens"),
    (GenerationSettings(method="beam", num_beams=8, num_outputs=4, max_new_tokens=64), "turns.too_much_work"),
])
def test_public_budgets_refuse_too_big_a_request_before_it_starts(untrained, settings, key):
    rows = 2000
    with pytest.raises(StudioError) as caught, turns.request(budget=turns.PUBLIC) as req:
        generate_batch(untrained, ["dog"] * rows, settings)
    assert caught.value.key == key
    assert req.seconds == 0  # refused before any model call
    assert any(hint in caught.value.message() for hint in ("減ら", "以下にして"))  # says what to reduce


def test_public_mode_lowers_the_budget_and_allows_one_request_per_owner(monkeypatch):
    monkeypatch.setenv("T5STUDIO_PUBLIC", "0")
    assert turns.limits() == turns.LOCAL
    monkeypatch.setenv("T5STUDIO_PUBLIC", "1")
    assert turns.limits() == turns.PUBLIC and turns.PUBLIC.work < turns.LOCAL.work
    with turns.request("alice"):
        with pytest.raises(StudioError, match="前の依頼がまだ動いています"):
            with turns.request("alice"):
                pass
        with turns.request("bob"):
            pass


def test_seeded_sampling_gives_the_same_outputs_when_other_turns_fall_between(untrained):
    sampling = GenerationSettings(method="sampling", num_outputs=3, max_new_tokens=6, seed=7, batch_size=1)
    words = ["dog", "cat", "apple", "red"]
    alone = [[c.text for c in cands] for cands in generate_batch(untrained, words, sampling, with_scores=False)]
    started = threading.Event()
    other, _ = _in_thread(lambda: generate_batch(untrained, ["sun"] * 30, sampling, with_scores=False,
                                                 progress=lambda done, total: started.set()))
    assert started.wait(60)
    mixed = [[c.text for c in cands] for cands in generate_batch(untrained, words, sampling, with_scores=False)]
    other.join(120)
    assert mixed == alone


def test_rows_are_grouped_into_small_turns():
    assert turns.rows_per_turn(GenerationSettings(), 32) == 32  # greedy words: one batch as before
    assert turns.rows_per_turn(GenerationSettings(method="beam", num_beams=64, num_outputs=1, max_new_tokens=512), 32) == 1
