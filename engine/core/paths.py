"""Where T5 Studio keeps its data: one home folder with models/, runs/, vectors/."""
import os
from pathlib import Path

from engine.core.messages import StudioError

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


REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLES_DIR = REPO_ROOT / "data" / "samples"
MODEL_CARDS_DIR = REPO_ROOT / "model_cards"
BUNDLED_DIR = REPO_ROOT / "bundled"  # models shipped in the repository (built by tools/build_base.py)
BUNDLED_BASE = "t5studio-distractor-base"  # the default base model of the Train tab and engine.train


def public_mode() -> bool:
    """Whether visitors may be strangers to each other: each sees only their own runs, and no one may
    open server folders. T5STUDIO_PUBLIC=1 or 0 decides; unset, a Space is public. `python app.py`
    sets it when the app listens beyond this machine or opens a share link (see app.py)."""
    value = os.environ.get(PUBLIC_ENV, "").strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    return on_space()


PUBLIC_ENV = "T5STUDIO_PUBLIC"


def on_space() -> bool:
    """True on a Hugging Face Space, tested as gradio does (SYSTEM=spaces and SPACE_ID).

    SPACE_ID alone is not enough: elsewhere gradio would "mock" OAuth sign-in with the server's own
    Hub login, which must never stand in for a visitor's token.
    """
    return os.environ.get("SYSTEM") == "spaces" and bool(os.environ.get("SPACE_ID"))
