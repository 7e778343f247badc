"""The house rules: engine/ never imports gradio; one package per job, named like the tabs, each with
its command line; packages import only downwards, never in a circle; files and functions stay short;
each tab is its own module with create_tab; tests mirror the packages."""
import ast
import pkgutil
import subprocess
import sys

import engine
import tabs
from tests.places import ROOT

ENGINE = ROOT / "engine"
JOBS = ("train", "generate", "evaluate", "vectors", "distractors", "logs")
# Lower layers never import higher ones; a package may use its own modules and any lower layer.
# train sits above evaluate: a search may rank its trials by an Evaluate metric (engine.train.search).
LAYERS = {"core": 0, "words": 1, "models": 2, "generate": 3, "vectors": 3, "logs": 3,
          "evaluate": 4, "distractors": 4, "train": 5}
MAX_FILE_LINES = 300
MAX_FUNCTION_LINES = 50


def engine_modules() -> dict:
    """Dotted name -> path of every module under engine/."""
    found = {}
    for path in ENGINE.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def engine_imports(path, modules: dict) -> set:
    """The engine modules `path` imports, at any depth (lazy imports inside functions count too)."""
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("engine"):
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            targets |= {n for n in names if n in modules} or {node.module}
        elif isinstance(node, ast.Import):
            targets |= {alias.name for alias in node.names if alias.name.startswith("engine.")}
    return {t for t in targets if t in modules}


def test_every_job_is_a_package_with_its_command_line_and_its_tests():
    for job in JOBS:
        assert (ENGINE / job / "__main__.py").is_file(), job
        assert any((ROOT / "tests" / "engine" / job).glob("test_*.py")), job
    assert set(LAYERS) == {p.name for p in ENGINE.iterdir() if (p / "__init__.py").is_file()}
    assert [p.name for p in ENGINE.glob("*.py")] == ["__init__.py"]  # every module lives in a package


def test_packages_import_only_downwards_and_core_only_itself():
    modules = engine_modules()
    wrong = []
    for name, path in modules.items():
        package = name.split(".")[1] if name.count(".") else None
        for target in engine_imports(path, modules):
            other = target.split(".")[1]
            if package and other != package and LAYERS[other] >= LAYERS[package]:
                wrong.append(f"{name} -> {target}")
    assert not wrong, wrong


def test_no_module_imports_itself_in_a_circle():
    modules = engine_modules()
    graph = {name: engine_imports(path, modules) - {name} for name, path in modules.items()}
    state = {}

    def visit(node, trail):
        state[node] = "open"
        for nxt in graph[node]:
            assert state.get(nxt) != "open", " -> ".join(trail + [nxt])
            if nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = "done"

    for node in graph:
        if node not in state:
            visit(node, [node])


def test_engine_files_and_functions_stay_short():
    long_files, long_functions = [], []
    for name, path in engine_modules().items():
        source = path.read_text(encoding="utf-8")
        if len(source.splitlines()) > MAX_FILE_LINES:
            long_files.append(name)
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno >= MAX_FUNCTION_LINES:
                long_functions.append(f"{name}.{node.name}")
    assert not long_files and not long_functions, (long_files, long_functions)


def test_engine_never_imports_gradio():
    modules = sorted(engine_modules())
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


def test_the_readme_quick_start_leads_with_distractors_for_a_word_list():
    """A teacher's first step needs no training: the quick start says so before it speaks of training."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme[readme.index("## すぐ使う"):readme.index("## タブ")]
    first = quick.index("### 先生が最初にすること")
    assert first < quick.index("### 最初の訓練で得られるもの")
    steps = quick[first:quick.index("### 動かす環境")]
    assert "英単語,日本語" in steps and steps.index("誤答選択肢") < steps.index("「訓練」タブ")
