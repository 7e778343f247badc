"""`python -m engine.train` end to end in a subprocess, a SIGKILL mid-run, and resuming."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from engine.core import runs
from engine.models import store
from engine.train.arguments import last_complete_checkpoint
from tests.places import PAIRS, ROOT


def cli(*args, home, **popen):
    env = {**os.environ, "T5STUDIO_HOME": str(home), "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "engine.train", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def last_json(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def test_cli_trains_and_ends_with_one_json_line(home):
    proc = cli("--csv", str(PAIRS), "--base", "scratch", "--name", "cli", "--max-steps", "3",
               "--batch-size", "4", "--size", "tiny", home=home)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    result = last_json(out)
    assert result["status"] == "finished" and result["name"] == "cli" and result["steps"] == 3
    assert "train_loss" in result and "eval_loss" in result
    assert any(line.startswith("step ") for line in out.splitlines())
    assert store.model_names() == ["cli"]


def test_cli_refuses_bad_arguments_in_japanese(home):
    proc = cli("--csv", str(PAIRS), "--name", "../x", "--batch-size", "0", home=home)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1
    result = last_json(out)
    assert result["status"] == "failed" and "バッチサイズ" in result["error"] and "名前" in err


def test_sigkill_mid_run_shows_interrupted_and_resume_finishes(home):
    proc = cli("--csv", str(PAIRS), "--name", "killed", "--max-steps", "400", "--eval-every", "2",
               "--batch-size", "2", home=home)
    deadline = time.time() + 240
    run_folder = None
    while time.time() < deadline:
        found = list((home / "runs").glob("*-train-*")) if (home / "runs").exists() else []
        if found and last_complete_checkpoint(found[0]) is not None:
            run_folder = found[0]
            break
        time.sleep(0.2)
    assert run_folder is not None, "no checkpoint appeared"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)

    record = runs.load_run(run_folder.name)
    assert record["status"] == "interrupted"
    assert store.model_names() == []  # nothing half-saved is listed

    resumed = cli("--resume", run_folder.name, "--max-steps", "8", home=home)
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    result = last_json(out)
    assert result["status"] == "finished" and result["run_id"] == run_folder.name
    assert store.model_names() == ["killed"]
    assert runs.load_run(run_folder.name)["status"] == "finished"


@pytest.mark.slow
def test_two_processes_through_accelerate(home):
    """The CLI unchanged under accelerate's launcher, 2 processes talking over gloo on CPU."""
    env = {**os.environ, "T5STUDIO_HOME": str(home), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        ["accelerate", "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
         "--mixed_precision", "no", "--dynamo_backend", "no",
         "-m", "engine.train", "--csv", str(PAIRS), "--name", "dist", "--max-steps", "4", "--batch-size", "2"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = last_json(proc.stdout)
    assert result["status"] == "finished" and result["steps"] == 4
    assert store.model_names() == ["dist"]
    # An untrained T5 starts near ln(vocabulary) ≈ 6; a loss scaled by the number of processes would be ≈ 12.
    assert result["train_loss"] < 9 and result["eval_loss"] < 9
    # 10 training rows (12 minus 2 validation), batch 2 per process, 2 processes: 3 steps per epoch.
    assert runs.load_run(result["run_id"])["status"] == "finished"
    epochs = [json.loads(l)["epoch"] for l in (home / "models" / "dist" / "trainer_log.jsonl").read_text().splitlines()
              if '"loss"' in l]
    assert epochs[-1] > 1.0  # one process alone would still be in its first epoch (5 steps each)
