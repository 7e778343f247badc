"""Shared fixtures: a temporary data home, few torch threads, the sample CSV."""
import os

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


@pytest.fixture
def home(tmp_path, monkeypatch):
    """Point the data home at a fresh temporary folder for one test."""
    folder = tmp_path / "home"
    monkeypatch.setenv("T5STUDIO_HOME", str(folder))
    return folder
