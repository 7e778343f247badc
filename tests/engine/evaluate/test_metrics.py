"""Metrics against values worked out by hand on small cases."""
import pytest

from engine.evaluate.metrics import (bleu, cer, chrf, compute_metrics, correct_row_metrics, direction, exact_match,
                                     is_distractor_metric, register_correct_metric, row_metrics, similarity)
from tests.chive_fixtures import chive_cache, chive_home  # noqa: F401 - fixtures


def test_identical_texts_score_perfectly():
    assert row_metrics("東京", "東京") == {"exact_match": 1.0, "chrf": 100.0, "bleu": 100.0, "cer": 0.0,
                                           "similarity": 1.0}


def test_disjoint_texts_score_zero():
    assert row_metrics("東京", "大阪") == {"exact_match": 0.0, "chrf": 0.0, "bleu": 0.0, "cer": 1.0,
                                           "similarity": 0.0}


def test_partial_overlap_latin():
    # abcd vs abce: char n-gram matches 3/4, 2/3, 1/2, 0/1 (orders 5-6 absent on both sides).
    # chrF (beta 2, precision = recall): mean(0.75, 0.667, 0.5, 0) = 0.4792 -> 47.92
    assert chrf("abcd", "abce") == pytest.approx(47.9167, abs=1e-3)
    # BLEU: precisions 3/4, 2/3, 1/2 and the zero 4-gram smoothed to 1/2 ('exp'); no brevity penalty
    # -> (0.75 * 0.6667 * 0.5 * 0.5) ** 0.25 = 0.5946
    assert bleu("abcd", "abce") == pytest.approx(59.4604, abs=1e-3)
    assert cer("abcd", "abce") == pytest.approx(0.25)  # one substitution over four characters
    assert similarity("abcd", "abce") == pytest.approx(0.75)


def test_partial_overlap_japanese():
    # 東京 vs 京都: unigrams match 1 of 2, the bigram does not -> chrF mean(0.5, 0) = 0.25 -> 25
    assert chrf("東京", "京都") == pytest.approx(25.0)
    # BLEU with effective order 2: p1 = 1/2, p2 = 0 smoothed to 1/2 -> 50
    assert bleu("東京", "京都") == pytest.approx(50.0)
    # Two edits (東 out, 都 in) over two characters.
    assert cer("東京", "京都") == pytest.approx(1.0)
    assert similarity("東京", "京都") == pytest.approx(0.0)
    # りんご vs りんごジュース: 4 insertions; similarity 1 - 4/7; CER 4/7 too (ref is the long one).
    assert similarity("りんご", "りんごジュース") == pytest.approx(3 / 7)
    assert cer("りんご", "りんごジュース") == pytest.approx(4 / 7)


def test_width_and_spaces_do_not_count():
    assert exact_match(" ＡＢＣ１ ", "ABC1") == 1.0


def test_cer_over_one_for_long_outputs_and_empty_reference():
    assert cer("みみみみ", "み") == pytest.approx(3.0)
    assert cer("", "") == 0.0 and cer("x", "") == 1.0


def test_corpus_metrics_pool_counts():
    values = compute_metrics(["東京", "ab"], ["京都", "ab"])
    assert values["rows"] == 2
    assert values["exact_match"] == 0.5
    assert values["similarity"] == 0.5
    assert values["cer"] == pytest.approx(2 / 4)  # 2 edits over 4 reference characters
    # Pooled chrF: unigrams 3/4 (京, a, b), bigrams 1/2 (ab) -> mean 0.625 -> 62.5
    assert values["chrf"] == pytest.approx(62.5)
    # Pooled BLEU, effective order 2: sqrt(3/4 * 1/2) = 0.6124
    assert values["bleu"] == pytest.approx(61.2372, abs=1e-3)


def test_empty_corpus():
    assert compute_metrics([], [])["rows"] == 0


def test_correct_column_hook(chive_home):
    values = correct_row_metrics("ねこ", "いぬ", "ねこ")
    assert {k: values[k] for k in ("correct_chrf", "correct_similarity")} == {"correct_chrf": 100.0,
                                                                            "correct_similarity": 1.0}
    # Several correct translations: the nearest one counts, the | is not part of any answer.
    assert correct_row_metrics("ねこ", "いぬ", "犬|ねこ")["correct_similarity"] == 1.0

    def leak(generated, expected, correct):
        return {"correct_leak": float(generated == correct)}

    register_correct_metric(leak)
    try:
        assert correct_row_metrics("ねこ", "いぬ", "ねこ")["correct_leak"] == 1.0
    finally:
        from engine.evaluate import metrics

        metrics._CORRECT_METRICS.remove(leak)


def test_directions():
    assert direction("cer") == "lower"
    assert direction("chrf") == "higher"
    assert direction("correct_similarity") == "higher"
    assert direction("correct_leak_rate") == "lower" and direction("correct_validity") == "higher"
    assert is_distractor_metric("correct_leak_rate") and not is_distractor_metric("correct_chrf")
