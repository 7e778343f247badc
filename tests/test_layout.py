"""The design card's rules: engine/ never imports gradio; each tab is its own module with create_tab."""
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import engine
import tabs

ROOT = Path(__file__).resolve().parent.parent


def test_engine_never_imports_gradio():
    modules = [f"engine.{m.name}" for m in pkgutil.iter_modules(engine.__path__)]
    code = ("import importlib, sys\n"
            f"for name in {modules!r}: importlib.import_module(name)\n"
            "print('gradio' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_every_tab_of_the_app_has_create_tab():
    import app

    keys = [key for key, _ in app.TABS]
    assert keys == ["train", "evaluate", "try", "word2vec", "logs", "catalog", "guide"]
    for _, module in app.TABS:
        assert callable(module.create_tab)
    names = {m.name for m in pkgutil.iter_modules(tabs.__path__)}
    assert {"train", "evaluate", "try_t5", "word2vec", "logs", "catalog", "guide"} <= names


def test_readme_has_space_front_matter_and_the_three_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    front = readme.split("---")[1]
    assert "sdk: gradio" in front and "app_file: app.py" in front and 'python_version: "3.11"' in front
    for command in ("pip install -r requirements.txt", "python app.py", "python -m pytest"):
        assert command in readme
    ci = (ROOT / ".ci" / "run").read_text()
    for command in ("pip install -q -r requirements.txt", "python app.py", "python -m pytest"):
        assert command in ci
