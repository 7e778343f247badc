"""Batched generation (engine.generate.generation.generate_batch) against a per-row generate loop.

The baseline is the loop of the user's evaluate_model (reference 003): one tokenizer call and one
model.generate per row. Both paths use the same model, greedy decoding and max_new_tokens, in
one run, so the ratio does not depend on the machine.

    OMP_NUM_THREADS=2 python bench/generate_throughput.py --rows 1000 --size tiny

Last line: `ratio: X.XX` (batched rows/s ÷ per-row rows/s).
"""
import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WORDS = ("apple dog cat red blue big small hot cold run walk eat drink book pen car train sun moon sea "
         "mountain river school teacher student morning night happy sad fast slow new old water fire").split()


def make_inputs(rows: int, seed: int = 0) -> list:
    """Short English inputs of 1-3 words, as in a vocabulary list."""
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3))) for _ in range(rows)]


def build_model(size: str, folder: Path):
    """A scratch model of `size`, saved and loaded back the way the app loads stored models."""
    from engine.core.jsonio import write_json
    from engine.models.scratch import build_scratch

    texts = WORDS + ["みかん", "ねこ", "いぬ", "青い", "赤い", "大きい", "小さい", "走る", "歩く"]
    model, tok = build_scratch(texts, size)
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    write_json(folder / "run.json", {"status": "finished", "base_model": "scratch", "size": size})


def per_row(model, tokenizer, inputs: list, max_new_tokens: int) -> list:
    """The baseline: reference 003's loop (encode_plus → generate → decode for each row)."""
    import torch

    outputs = []
    with torch.inference_mode():  # the baseline gets inference mode too, so only batching differs
        for text in inputs:
            encoded = tokenizer(text, return_tensors="pt")
            generated = model.generate(**encoded, max_new_tokens=max_new_tokens, do_sample=False, num_beams=1)
            outputs.append(tokenizer.decode(generated[0], skip_special_tokens=True))
    return outputs


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--size", default="tiny", choices=("tiny", "small"))
    parser.add_argument("--max-new-tokens", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--baseline-rows", type=int, default=0,
                        help="time the per-row loop on this many rows only (0 = all), rows/s extrapolates")
    args = parser.parse_args(argv)

    import torch

    from engine.generate.generation import generate_batch
    from engine.generate.settings import GenerationSettings
    from engine.models.loading import device_name, load_model

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["T5STUDIO_HOME"] = tmp
        folder = Path(tmp) / "bench-model"
        build_model(args.size, folder)
        loaded = load_model(str(folder))
        inputs = make_inputs(args.rows)
        settings = GenerationSettings(method="greedy", max_new_tokens=args.max_new_tokens, batch_size=args.batch_size)
        print(f"model: scratch {args.size}, {sum(p.numel() for p in loaded.model.parameters()) / 1e6:.1f}M params, "
              f"device {device_name()}, torch threads {torch.get_num_threads()}")
        print(f"rows: {args.rows}, greedy, max_new_tokens {args.max_new_tokens}, batch size {args.batch_size}")

        generate_batch(loaded, inputs[:8], settings, with_scores=False)  # warm-up, both paths share it
        start = time.perf_counter()
        batched = generate_batch(loaded, inputs, settings, with_scores=False)
        batched_s = time.perf_counter() - start

        base_inputs = inputs[: args.baseline_rows] if args.baseline_rows else inputs
        start = time.perf_counter()
        looped = per_row(loaded.model, loaded.tokenizer, base_inputs, args.max_new_tokens)
        loop_s = time.perf_counter() - start

        same = sum(b[0].text == l.strip() for b, l in zip(batched, looped))
        batched_rate = len(inputs) / batched_s
        loop_rate = len(base_inputs) / loop_s
        print(f"per-row loop: {len(base_inputs)} rows in {loop_s:.1f}s = {loop_rate:.1f} rows/s")
        print(f"batched:      {len(inputs)} rows in {batched_s:.1f}s = {batched_rate:.1f} rows/s")
        print(f"same output on {same}/{len(base_inputs)} rows")
        print(f"ratio: {batched_rate / loop_rate:.2f}")


if __name__ == "__main__":
    main()
