"""The ranker learned from teachers' labels: the probability that a teacher prints a candidate (label G
in docs/distractor-rubric.md), a logistic regression over engine.distractors.features.

Its weights (data/judged/ranker.json) are written by tools/train_ranker.py with scikit-learn, from the
labelled pools of the judged set's development words only; here they are applied with numpy alone,
so the app needs no learning library."""
import json
import math
from functools import lru_cache

import numpy as np

from engine.core import paths
from engine.distractors import features

RANKER_FILE = paths.REPO_ROOT / "data" / "judged" / "ranker.json"
CLIP = 3.0  # standardised features are clipped to ±CLIP (tools/train_ranker.py does the same)


@lru_cache(maxsize=1)
def weights():
    """(mean, scale, coefficients, intercept) as arrays, or None when no ranker is shipped or its
    features are not the ones this code computes (then the scores of engine.distractors.ranking stand)."""
    if not RANKER_FILE.exists():
        return None
    found = json.loads(RANKER_FILE.read_text(encoding="utf-8"))
    if tuple(found["features"]) != features.NAMES:
        return None
    return (np.array(found["mean"]), np.array(found["scale"]), np.array(found["coef"]), float(found["intercept"]))


def probability(row_values: list, learned) -> float:
    mean, scale, coef, intercept = learned
    z = float(np.clip((np.array(row_values) - mean) / scale, -CLIP, CLIP) @ coef + intercept)
    return 1.0 / (1.0 + math.exp(-z))


def rank(cands: list, english: str, answer: str, kind: str, vs) -> bool:
    """Set each candidate's score to the ranker's probability of G; False (scores untouched) without one."""
    learned = weights()
    if learned is None:
        return False
    for cand, row in zip(cands, features.table(cands, english, answer, kind, vs)):
        cand.score = probability(row, learned)
    return True
