"""A tiny stored T5 for tests: a scratch model trained until it writes words (junk is never shown).

Built once per test session (a few seconds on one core) and copied into each test's data home.
"""
import shutil
from pathlib import Path

import pytest

# English word -> a plausible but wrong Japanese translation (the quiz-distractor task).
PAIRS = [
    ("apple", "みかん"), ("dog", "ねこ"), ("cat", "いぬ"), ("red", "青い"), ("blue", "赤い"),
    ("big", "小さい"), ("small", "大きい"), ("hot", "冷たい"), ("cold", "暑い"), ("run", "歩く"),
    ("walk", "走る"), ("eat", "飲む"), ("drink", "食べる"), ("book", "ノート"), ("pen", "鉛筆"),
    ("car", "電車"), ("train", "自動車"), ("sun", "月"), ("moon", "太陽"), ("sea", "山"),
    ("mountain", "海"), ("river", "湖"), ("school", "病院"), ("teacher", "生徒"), ("student", "先生"),
    ("morning", "夜"), ("night", "朝"), ("happy", "悲しい"), ("sad", "楽しい"), ("fast", "遅い"),
    ("slow", "速い"), ("new", "古い"), ("old", "新しい"), ("water", "お茶"), ("fire", "水"),
]
CORRECT = {
    "apple": "りんご", "dog": "いぬ", "cat": "ねこ", "red": "赤い", "blue": "青い", "big": "大きい",
    "small": "小さい", "hot": "暑い", "cold": "冷たい", "run": "走る",
}
MODEL_NAME = "tiny-test"


def build_trained_tiny(folder: Path, steps: int = 100, seed: int = 0) -> Path:
    """Train a tiny scratch T5 on PAIRS for `steps` steps and save it as a finished store model."""
    import torch

    from engine.models.scratch import build_scratch

    torch.manual_seed(seed)
    texts = [x for pair in PAIRS for x in pair]
    model, tok = build_scratch(texts, "tiny", seed=seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    inputs = tok([p[0] for p in PAIRS], padding=True, return_tensors="pt")
    labels = tok([p[1] for p in PAIRS], padding=True, return_tensors="pt")["input_ids"]
    labels[labels == tok.pad_token_id] = -100
    model.train()
    loss = torch.tensor(float("nan"))
    for _ in range(steps):
        loss = model(**inputs, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.eval()
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    from engine.core.jsonio import write_json

    write_json(folder / "run.json", {
        "status": "finished", "base_model": "scratch", "size": "tiny", "data_rows": len(PAIRS),
        "settings": {"steps": steps, "learning_rate": 3e-3}, "metrics": {"train_loss": round(loss.item(), 4)} if steps else {},
    })
    return folder


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """The trained tiny model's folder, built once per session (outside any data home)."""
    return build_trained_tiny(tmp_path_factory.mktemp("tiny-model") / MODEL_NAME)


@pytest.fixture
def stored_model(home, tiny_model_dir) -> str:
    """The tiny model copied into this test's data home; returns its store name."""
    from engine.core import paths

    shutil.copytree(tiny_model_dir, paths.models_dir() / MODEL_NAME)
    return MODEL_NAME


UNTRAINED_NAME = "untrained-test"


@pytest.fixture(scope="session")
def untrained_model_dir(tmp_path_factory) -> Path:
    """A tiny T5 that was never trained: it almost never writes its end token, so every output runs
    to the longest length allowed (the most work a visitor can ask for)."""
    return build_trained_tiny(tmp_path_factory.mktemp("untrained") / UNTRAINED_NAME, steps=0)


@pytest.fixture
def untrained_model(home, untrained_model_dir) -> str:
    from engine.core import paths

    shutil.copytree(untrained_model_dir, paths.models_dir() / UNTRAINED_NAME)
    return UNTRAINED_NAME
