"""Training throughput: our engine against the naive recipe of the conversation behind the app.

The naive recipe (reference 003, WordTranslationDataset) tokenizes each row inside __getitem__
and pads every example to max_length=32. Our engine tokenizes once in batch, pads each batch
only to its longest row, and groups rows of similar length. Both runs use the same scratch
model weights, tokenizer, data, batch size, optimizer and number of steps, in one process.

    python bench/train_throughput.py [--size small] [--steps 40] [--batch-size 16]

Prints samples/s of both and, on the last line, `ratio: X.XX` (ours / naive).
"""
import argparse
import copy
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402
import torch  # noqa: E402
from torch.utils.data import Dataset  # noqa: E402
from transformers import DataCollatorForSeq2Seq, Seq2SeqTrainer, Seq2SeqTrainingArguments  # noqa: E402

from engine.models.scratch import build_scratch  # noqa: E402
from engine.train.config import TrainConfig  # noqa: E402
from engine.train.data import tokenize_frame  # noqa: E402

DEFAULT_DATA = ROOT / "data" / "samples" / "distractors_train.csv"


class WordTranslationDataset(Dataset):
    """The naive recipe: per-row tokenization, every example padded to max_length."""

    def __init__(self, tokenizer, df, max_length=32):
        self.tokenizer, self.df, self.max_length = tokenizer, df, max_length

    def __len__(self):
        return len(self.df)

    def __getitem__(self, idx):
        row = self.df.iloc[idx]
        inputs = self.tokenizer(row["Input"], max_length=self.max_length, padding="max_length",
                                truncation=True, return_tensors="pt")
        outputs = self.tokenizer(row["Output"], max_length=self.max_length, padding="max_length",
                                 truncation=True, return_tensors="pt")
        return {"input_ids": inputs["input_ids"].flatten(), "attention_mask": inputs["attention_mask"].flatten(),
                "labels": outputs["input_ids"].flatten()}


def arguments(out_dir, steps, batch_size, group_by_length):
    return Seq2SeqTrainingArguments(
        output_dir=out_dir, max_steps=steps, per_device_train_batch_size=batch_size, learning_rate=3e-4,
        seed=0, data_seed=0, logging_strategy="no", save_strategy="no", eval_strategy="no", report_to="none",
        disable_tqdm=True, use_cpu=not torch.cuda.is_available(), dataloader_num_workers=0,
        train_sampling_strategy="group_by_length" if group_by_length else "random",
    )


def timed_train(trainer) -> float:
    start = time.perf_counter()
    trainer.train()
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--size", default="small", choices=["tiny", "small"])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args(argv)

    frame = pd.read_csv(args.data, dtype=str, keep_default_na=False)[["Input", "Output"]]
    model, tokenizer = build_scratch(list(frame["Input"]) + list(frame["Output"]), size=args.size, seed=0)
    print(f"data: {args.data} ({len(frame)} rows), model: scratch-{args.size} "
          f"({sum(p.numel() for p in model.parameters()) / 1e6:.1f}M params), steps: {args.steps}, "
          f"batch: {args.batch_size}, threads: {torch.get_num_threads()}")
    samples = args.steps * args.batch_size
    config = TrainConfig(max_input_length=32, max_target_length=32)
    engine_data = tokenize_frame(frame, tokenizer, config)  # once, as the engine does before training
    naive_data = WordTranslationDataset(tokenizer, frame)

    def run(kind: str, tmp: str) -> float:
        fresh = copy.deepcopy(model)
        if kind == "naive":
            trainer = Seq2SeqTrainer(model=fresh, args=arguments(tmp, args.steps, args.batch_size, False),
                                     train_dataset=naive_data)
        else:
            trainer = Seq2SeqTrainer(model=fresh, args=arguments(tmp, args.steps, args.batch_size, True),
                                     train_dataset=engine_data,
                                     data_collator=DataCollatorForSeq2Seq(tokenizer, model=fresh, label_pad_token_id=-100))
        return timed_train(trainer)

    # A-B-B-A order, so a machine that gets busier or quieter during the run favours neither side.
    seconds = {"naive": 0.0, "engine": 0.0}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("naive", "engine", "engine", "naive"):
            took = run(kind, tmp)
            seconds[kind] += took
            print(f"  {kind}: {samples / took:.1f} samples/s", flush=True)
    naive_seconds, ours_seconds = seconds["naive"] / 2, seconds["engine"] / 2

    naive_rate, ours_rate = samples / naive_seconds, samples / ours_seconds
    print(f"naive (per-row tokenization, padded to 32): {naive_rate:.1f} samples/s ({naive_seconds:.1f} s)")
    print(f"engine (batch tokenization, dynamic padding, length grouping): {ours_rate:.1f} samples/s ({ours_seconds:.1f} s)")
    print(f"ratio: {ours_rate / naive_rate:.2f}")


if __name__ == "__main__":
    main()
