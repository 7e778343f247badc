"""Benchmark of the built-in word vectors: first conversion vs cached load, and most-similar latency.

    OMP_NUM_THREADS=1 python bench/vectors.py [--queries 200] [--topn 10]

Everything runs in a fresh temporary data home, in one process, so the two load times compare like
with like (the baseline, conversion, is measured in the same run). Each load is timed from a cold
in-memory state: the loaded-set cache is emptied first. Targets: median query < 20 ms on CPU,
cached load >= 5x faster than conversion.
"""
import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.core import paths  # noqa: E402
from engine.vectors import chive, lookup, sources


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--topn", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="t5studio-bench-") as home:
        os.environ[paths.HOME_ENV] = home
        # First use: spaCy reads ja-ginza's table, we convert and write the cache, then load it.
        sources._LOADED.clear()
        vs, convert_s = timed(lambda: sources.load_vectors("chive"))
        # Every later start: the cache is there; only numpy + JSON are read.
        sources._LOADED.clear()
        cached, cached_s = timed(lambda: sources.load_vectors("chive"))
        assert chive.cache_is_current()
        # The alias map (dropped word -> stand-in) is read only when a word is missing; timed apart.
        _, aliases_s = timed(lambda: len(cached.aliases))

        words = random.Random(args.seed).sample(vs.index_to_key, args.queries)
        lookup.most_similar(words[0], args.topn, vs)  # warm-up: first BLAS call
        latencies = []
        for word in words:
            _, seconds = timed(lambda: lookup.most_similar(word, args.topn, vs))
            latencies.append(seconds * 1000)

    median = statistics.median(latencies)
    p95 = sorted(latencies)[int(0.95 * len(latencies)) - 1]
    ratio = convert_s / cached_s
    print(f"vectors: chiVe {len(vs)} x {vs.vector_size}, {args.queries} queries, topn={args.topn}, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")
    print(f"first load (convert + cache): {convert_s * 1000:.0f} ms")
    print(f"cached load: {cached_s * 1000:.0f} ms")
    print(f"load ratio (conversion / cached): {ratio:.1f}x  (target >= 5x)")
    print(f"alias map, read on the first unknown word: {aliases_s * 1000:.0f} ms "
          f"(ratio with it: {convert_s / (cached_s + aliases_s):.1f}x)")
    print(f"median most-similar: {median:.2f} ms  (p95 {p95:.2f} ms; target < 20 ms)")


if __name__ == "__main__":
    main()
