"""Train the distractor ranker (data/judged/ranker.json) from the teachers' labels of the judged set.

    pip install -r tools/requirements.txt
    python tools/train_ranker.py [--out data/judged/ranker.json]

Only the development words (words.csv, Split = dev) are read: the evaluation words never train, tune
or choose anything. For each word the candidates come as the app makes them (every source, the bundled
model's included, after the leak rules and the teacher's rules: engine.distractors.gathering.gather),
cut to each source's shortlist as the app ranks them; those with a settled label are the examples, G
against the rest. Standardised features are clipped to ±CLIP, in training and in the app, so a feature
that training rarely saw change cannot swing a score. The model is scikit-learn's
logistic regression on standardised features (engine.distractors.features), cross-validated by word
(GroupKFold: a word's candidates are never split between training and validation). Deterministic:
lbfgs, fixed folds, inputs in file order. The app applies the weights with numpy alone.
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.distractors import features, judged, ranker, rules  # noqa: E402
from engine.distractors.ranking import shortlist  # noqa: E402
from engine.vectors import sources  # noqa: E402
from engine.words.lexicon import school_spelling  # noqa: E402

FOLDS = 5
C = 1.0  # inverse regularisation; the default, not tuned on anything


def examples(words: list, vs) -> tuple:
    """(X, y, groups): one row per labelled candidate of each word, as the app sees it."""
    found = judged.labels()
    X, y, groups = [], [], []
    for index, (word, row, kept) in enumerate(judged.gathered(words, vs)):
        kept = shortlist(kept)
        kind = rules.slot(row["anchors"][0])
        table = features.table(kept, word["English"], row["anchors"][0], kind, vs)
        for cand, values in zip(kept, table):
            label = judged.label_of(found, word["English"], school_spelling(cand.text), word["Answer"])
            if label:
                X.append(values)
                y.append(int(label == "G"))
                groups.append(index)
    return np.array(X), np.array(y), np.array(groups)


def cross_validate(X, y, groups) -> dict:
    """Out-of-fold AUC, and the share of G among each word's five best by the out-of-fold score."""
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import GroupKFold

    scores = np.zeros(len(y))
    for train, test in GroupKFold(n_splits=FOLDS).split(X, y, groups):
        scores[test] = fit(X[train], y[train]).predict_proba(X[test])[:, 1]
    top = [y[groups == g][np.argsort(-scores[groups == g], kind="stable")[:5]] for g in np.unique(groups)]
    return {"auc": round(float(roc_auc_score(y, scores)), 4),
            "good_in_top5": round(float(np.mean([t.mean() for t in top])), 4),
            "base_rate": round(float(y.mean()), 4)}


def fit(X, y):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    clip = FunctionTransformer(lambda z: np.clip(z, -ranker.CLIP, ranker.CLIP))
    return make_pipeline(StandardScaler(), clip, LogisticRegression(C=C, max_iter=5000)).fit(X, y)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=judged.FOLDER / "ranker.json")
    parser.add_argument("--limit", type=int, default=None, help="only the first N development words (a quick check)")
    args = parser.parse_args(argv)
    vs = sources.load_vectors("chive")
    words = judged.words("dev")[: args.limit]
    X, y, groups = examples(words, vs)
    scaler = fit(X, y)
    std, model = scaler[0], scaler[2]
    scale = np.where(std.scale_ > 0, std.scale_, 1.0)
    result = {"features": list(features.NAMES), "clip": ranker.CLIP, "mean": std.mean_.round(6).tolist(), "scale": scale.round(6).tolist(),
              "coef": model.coef_[0].round(6).tolist(), "intercept": round(float(model.intercept_[0]), 6),
              "examples": int(len(y)), "words": int(len(np.unique(groups))), "cross_validation": cross_validate(X, y, groups),
              "command": "python tools/train_ranker.py" + (f" --limit {args.limit}" if args.limit else "")}
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: result[k] for k in ("examples", "words", "cross_validation")}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
