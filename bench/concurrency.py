"""Many users at once: users generate on the Try tab while several people's trainings wait in line
and run, each in its own process (engine.train.queue).

The whole app is served in this process over a temporary data home holding a tiny stored model.
First a baseline: the users generate with no training at all. Then `--trainers` people submit a
training each (scratch, tiny, `--steps` steps) within a few seconds through the Train tab's /train
API, and the users generate until every training has ended. Each user sends its requests one after
another; failed requests are counted, never retried.

    OMP_NUM_THREADS=1 python bench/concurrency.py --users 10 --requests 5 --trainers 5

Prints the trainings' order and outcome (none refused, all finished, first come first trained), and
generation latency with and without trainings, with the ratio of their 95th percentiles. One request
before the baseline is not counted: it loads the model, which every later request finds cached.
"""
import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

WORDS = "apple dog cat red blue big small hot cold run walk eat drink book pen car".split()
BEAM3 = ["beam", 3, 16, 4, 2, 1.0, 1.0, 50, 1.0, 1.0, 0, 42]


def percentile(values: list, share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def user(url: str, index: int, requests: int, latencies: list, errors: list, keep_going=None) -> None:
    """`requests` requests one after another, and more while keep_going() says so."""
    from gradio_client import Client

    client = Client(url, verbose=False)
    k = 0
    while k < requests or (keep_going is not None and keep_going()):
        word = WORDS[(index + k) % len(WORDS)]
        started = time.perf_counter()
        try:
            table = client.predict("tiny-bench", word, *BEAM3, api_name="/try_generate")
            assert len(table["data"]) == 3, table
            latencies.append(time.perf_counter() - started)
        except Exception as exc:  # noqa: BLE001 - counted and shown, never retried
            errors.append(f"user {index}: {type(exc).__name__}: {str(exc)[:200]}")
        k += 1


def generate(url: str, users: int, requests: int, keep_going=None) -> tuple:
    latencies, errors = [], []
    threads = [threading.Thread(target=user, args=(url, i, requests, latencies, errors, keep_going))
               for i in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors


def submit_trainings(url: str, count: int, steps: int) -> list:
    """`count` people each upload the pairs and start a training, one after another."""
    from gradio_client import Client, handle_file

    jobs = []
    for k in range(count):
        person = Client(url, verbose=False)
        person.predict(handle_file(str(ROOT / "tests" / "data" / "pairs.csv")), api_name="/upload_csv")
        settings = [3.0, steps, 3e-4, 4, 1, 0.0, 0.0, 32, 32, 0.1, 42, 0, 0.0, 100000]
        jobs.append(person.submit(f"{k + 1:048x}", "English", "Japanese", f"bench-{k + 1}", "scratch", "tiny",
                                  *settings, "adamw", "linear", api_name="/train"))
    return jobs


def report(name: str, latencies: list, errors: list) -> float:
    for error in errors[:5]:
        print("error:", error)
    p95 = percentile(latencies, 0.95) if latencies else float("nan")
    print(f"{name}: requests {len(latencies) + len(errors)}, errors {len(errors)}, "
          f"p50 {percentile(latencies, 0.5) if latencies else float('nan'):.2f} s, p95 {p95:.2f} s, "
          f"max {max(latencies or [float('nan')]):.2f} s")
    return p95


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--requests", type=int, default=5, help="requests per user, one after another (at least)")
    parser.add_argument("--trainers", type=int, default=5, help="people who each submit a training")
    parser.add_argument("--steps", type=int, default=40, help="steps of each training")
    args = parser.parse_args(argv)

    home = Path(tempfile.mkdtemp(prefix="t5studio-bench-"))
    os.environ["T5STUDIO_HOME"] = str(home)
    import app
    from engine.core import paths
    from engine.train import queue
    from tests.launching import served
    from tests.model_fixtures import build_trained_tiny

    build_trained_tiny(paths.models_dir() / "tiny-bench", steps=30)
    with served(app.build_app()) as (url, _):
        generate(url, 1, 1)  # not counted: the first request loads the model into the server's cache
        base = report("baseline, no training", *generate(url, args.users, args.requests))
        started = time.perf_counter()
        submitted = submit_trainings(url, args.trainers, args.steps)
        print(f"{args.trainers} trainings submitted in {time.perf_counter() - started:.1f} s")
        waiting = lambda: any(j["state"] in (queue.QUEUED, queue.RUNNING) for j in queue.jobs())  # noqa: E731
        during = report("while the trainings ran", *generate(url, args.users, args.requests, waiting))
        while waiting():
            time.sleep(1)
        refused = sum(1 for job in submitted if job.exception(timeout=600) is not None)
        done = queue.jobs()
        in_order = [j["started"] for j in done] == sorted(j["started"] for j in done)
        print(f"trainings: {len(done)} of {args.trainers} accepted, refused {refused}, "
              f"states {[j['state'] for j in done]}, started in the order submitted: {in_order}, "
              f"all done after {time.perf_counter() - started:.0f} s")
    print(f"p95 ratio (trainings / baseline): {during / base:.2f}")


if __name__ == "__main__":
    main()
