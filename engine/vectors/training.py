"""Training your own word vectors: gensim Word2Vec on an uploaded plain-text corpus.

Japanese lines are cut into words by SudachiPy, other lines by spaces and punctuation
(engine.words.japanese.tokenize_line). Each training is recorded as a run ("vectors") and the
result is stored atomically as a new vector set.
"""
import hashlib
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from engine.core import runs
from engine.core.csvdata import ENCODINGS_TRIED, decode_bytes
from engine.core.messages import StudioError, int_in_range, text
from engine.models import storage
from engine.vectors import sets
from engine.words import japanese

MAX_CORPUS_BYTES = 20 * 1024 * 1024  # a class's texts; tokenizing more would hold the server for minutes


@dataclass
class VectorTrainConfig:
    vector_size: int = 100  # a class-sized corpus cannot fill chiVe's 300 dimensions
    window: int = 5  # words on each side that count as context; gensim's default
    min_count: int = 2  # a word seen once gets a vector that is mostly noise
    sg: bool = True  # skip-gram: better than CBOW for small corpora and rare words
    epochs: int = 10  # small corpora need more passes than gensim's default 5
    seed: int = 42
    workers: int = 0  # 0 = as many as the machine has, at most 4

    LIMITS = {"vector_size": (8, 600), "window": (1, 20), "min_count": (1, 100), "epochs": (1, 100)}

    def __post_init__(self):
        for field, (low, high) in self.LIMITS.items():
            setattr(self, field, int_in_range(getattr(self, field), low, high, "vectors.bad_setting", field=field))
        self.sg = bool(self.sg)
        if not self.workers:
            self.workers = max(1, min(4, os.cpu_count() or 1))


def read_corpus(path) -> list:
    """The corpus as a list of sentences (lists of words); decoding order as for CSV files."""
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_CORPUS_BYTES:
        raise StudioError("vectors.file_too_large", size_mb=f"{size / 1e6:.1f}", limit_mb=f"{MAX_CORPUS_BYTES / 1e6:.0f}")
    data = path.read_bytes()
    if not data.strip():
        raise StudioError("vectors.corpus_empty")
    try:
        content, _ = decode_bytes(data)
    except StudioError:
        raise StudioError("vectors.corpus_binary", tried=ENCODINGS_TRIED) from None
    return [line for line in content.splitlines() if line.strip()]


def tokenize(lines: list, progress=None) -> list:
    sentences = []
    step = max(1, len(lines) // 20)
    for i, line in enumerate(lines):
        words = japanese.tokenize_line(line)
        if words:
            sentences.append(words)
        if progress and i % step == 0:
            progress(0.3 * i / len(lines), text("vectors.progress_tokenize", done=i, total=len(lines)))
    return sentences


def train_vectors(corpus_path, name: str, config: VectorTrainConfig = None, progress=None, owner: str = "") -> dict:
    """Train Word2Vec on a text file and store it as set `name`; returns the set's meta (with run_id).

    progress(fraction, message) is called as the work advances (tokenizing, then each epoch).
    """
    config = config or VectorTrainConfig()
    name = sets.check_new_name(name)
    storage.check_room(owner)
    corpus_path = Path(corpus_path)
    report = progress or (lambda fraction, message: None)
    settings = {k: v for k, v in asdict(config).items() if k != "LIMITS"}
    data_sha = hashlib.sha256(corpus_path.read_bytes()).hexdigest() if corpus_path.exists() else ""
    recorded = {**settings, "corpus": corpus_path.name, "corpus_sha256": data_sha}
    with runs.running("vectors", name=name, owner=owner, settings=recorded) as run:
        started = time.monotonic()
        sentences = tokenize(read_corpus(corpus_path), report)
        tokens = sum(len(s) for s in sentences)
        run.log(f"corpus: {len(sentences)} sentences, {tokens} tokens")
        report(0.3, text("vectors.progress_vocab"))
        model = _fit(sentences, tokens, config, run, report)
        matrix = np.asarray(model.wv.vectors, dtype=np.float32)
        if not np.isfinite(matrix).all():
            raise StudioError("vectors.not_finite", word=model.wv.index_to_key[int(np.argmin(np.isfinite(matrix).all(axis=1)))])
        report(0.97, text("vectors.progress_save"))
        metrics = {"vocab": len(model.wv), "sentences": len(sentences), "tokens": tokens,
                   "seconds": round(time.monotonic() - started, 1)}
        meta = sets.save_set(name, list(model.wv.index_to_key), matrix, {
            "kind": "trained", "origin": corpus_path.name, "owner": run.record.owner, "run_id": run.id,
            "settings": settings, "metrics": metrics,
        })
        run.finish("finished", metrics=metrics)
    message = text("vectors.trained", name=name, dim=config.vector_size, **metrics)
    report(1.0, message)
    return {**meta, "run_id": run.id, "message": message}


def _fit(sentences: list, tokens: int, config: VectorTrainConfig, run, report):
    """A gensim Word2Vec trained on the sentences, reporting each epoch."""
    from gensim.models import Word2Vec
    from gensim.models.callbacks import CallbackAny2Vec

    if not sentences:
        raise StudioError("vectors.corpus_too_few", tokens=0, vocab=0, min_count=config.min_count)
    model = Word2Vec(vector_size=config.vector_size, window=config.window, min_count=config.min_count,
                     sg=int(config.sg), seed=config.seed, workers=config.workers)
    model.build_vocab(sentences)
    if len(model.wv) == 0:
        raise StudioError("vectors.corpus_too_few", tokens=tokens, vocab=0, min_count=config.min_count)

    class EpochReport(CallbackAny2Vec):
        def __init__(self):
            self.epoch = 0

        def on_epoch_end(self, _model):
            self.epoch += 1
            run.log(f"epoch {self.epoch}/{config.epochs}")
            report(0.3 + 0.65 * self.epoch / config.epochs,
                   text("vectors.progress_epoch", epoch=self.epoch, epochs=config.epochs))

    model.train(sentences, total_examples=model.corpus_count, epochs=config.epochs, callbacks=[EpochReport()])
    return model
