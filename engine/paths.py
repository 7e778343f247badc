"""Where T5 Studio keeps its data: one home folder with models/, runs/, vectors/."""
import os
from pathlib import Path

HOME_ENV = "T5STUDIO_HOME"
SPACE_HOME = Path("/data/t5studio")  # a Space's persistent storage, when it is mounted


def data_home() -> Path:
    """The data home: $T5STUDIO_HOME, else /data/t5studio when /data is writable, else ./studio_data."""
    env = os.environ.get(HOME_ENV)
    if env:
        home = Path(env)
    elif os.access("/data", os.W_OK):
        home = SPACE_HOME
    else:
        home = Path.cwd() / "studio_data"
    try:
        home.mkdir(parents=True, exist_ok=True)
        writable = os.access(home, os.W_OK)
    except OSError:
        writable = False
    if not writable:
        from engine.messages import StudioError

        raise StudioError("common.home_unwritable", path=str(home))
    return home


def sub(name: str) -> Path:
    path = data_home() / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def models_dir() -> Path:
    return sub("models")


def runs_dir() -> Path:
    return sub("runs")


def vectors_dir() -> Path:
    return sub("vectors")


def uploads_dir() -> Path:
    return sub("uploads")


REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLES_DIR = REPO_ROOT / "data" / "samples"
MODEL_CARDS_DIR = REPO_ROOT / "model_cards"
BUNDLED_DIR = REPO_ROOT / "bundled"  # models shipped in the repository (built by tools/build_base.py)
BUNDLED_BASE = "t5studio-distractor-base"  # the default base model of the Train tab and engine.train
LOCALES_DIR = REPO_ROOT / "locales"
