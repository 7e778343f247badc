"""Build the bundled base model: a compact T5 that reads "English = one Japanese translation" and
writes another Japanese word, near that translation in meaning but not a translation of the word.

Why this shape (see BENCHMARKS.md, "The bundled base model", for the measurements):
a T5 trained from scratch on a few thousand word pairs cannot know what an unseen English word
means, and 2 CPU cores cannot teach a T5 the whole dictionary in an hour and a half. So the model
is given what it cannot learn here:

* The answer is in the input (``dog = 犬``), as in the task the app serves: "an English word and one
  Japanese translation in, a different translation out". The app adds it when a user gives only
  the word (engine.models.prompts, from the Correct column or the bundled JMdict lexicon).
* Japanese word knowledge comes from the chiVe vectors (Apache-2.0, shipped in ja-ginza). Each of
  their 19,000-odd Japanese words is one token of the vocabulary, and its embedding starts as its
  chiVe vector (projected to the model width by PCA). The embeddings are tied to the output layer
  and stay frozen while the rest learns, so a word the training never showed keeps its place
  among the words it did show: "near but not equal" learnt on 8,000 words applies to all 19,000.
* The training pairs are JMdict's common English words (JMdict through jamdict-data, CC BY-SA
  4.0) with, as targets, those of the nearest chiVe neighbours of their translation that pass every
  filter of tools/build_samples.py (same part of speech, not a translation in any sense, no shared
  gloss, reading or spelling) and that the ranker learned from teachers' labels calls good
  (engine.distractors.ranker, data/judged): up to six per word, best first, so the model learns to
  write what a teacher prints, not merely what is near.
* An unlikelihood term (Welleck et al. 2019) pushes down, at the first output position, every
  Japanese form JMdict lists for the English word, so synonyms of the answer are avoided as well.
* The 300 held-out words of data/samples (their English and every translation they list) and the
  judged set's evaluation words (data/judged) are left out of the training pairs, so the quality
  measured on them is on words the model never saw.

Deterministic (fixed seeds; every ordering has a tie-breaker) and resumable: the data, tokenizer
and initial weights are written once into the work folder, the Trainer saves a checkpoint every
few hundred steps, and a rerun with the same --work continues from the last complete one.
Progress (step, loss, ETA, and the held-out quality at every checkpoint) goes to stderr and to
<work>/progress.jsonl.

Usage:
    pip install -r tools/requirements.txt
    python tools/build_base.py                       # full build into bundled/t5studio-distractor-base
    python tools/build_base.py --limit 40 --steps 4 --out /tmp/base --work /tmp/base-work   # a slice
"""
from __future__ import annotations

import argparse
import csv
import importlib.util
import itertools
import json
import math
import random
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NAME = "t5studio-distractor-base"
SEED = 20261201
DISTRACTORS_PER_WORD = 6
LOOK_AT = 40               # filter-passing neighbours per word that the ranker chooses the targets among
GOOD_TARGET = 0.5          # the ranker's probability of "a teacher prints it" that a target needs
ANSWERS_PER_WORD = 2       # inputs per English word: its first two answers the vocabulary spells whole
SUBWORD_VOCAB = 6000       # SentencePiece pieces for English and for Japanese outside the word list
JAPANESE_WORD = re.compile(r"[\u3041-\u3096\u30a1-\u30fa\u30fc\u3005\u4e00-\u9fff]+")
# The model: 12 M parameters (about 48 MB in float32), under the 50 MB the repository allows.
SHAPE = {"d_model": 256, "d_ff": 768, "d_kv": 32, "num_heads": 8, "num_layers": 3, "num_decoder_layers": 3}
# 30 epochs: the ranker keeps about 14,000 pairs, so about 3,200 steps, as many as 6 epochs over the
# 72,000 nearest-neighbour pairs took before; 6 epochs (648 steps) left the model writing words in
# loose pieces (ひ よ こ) and one word for many inputs.
RECIPE = {"learning_rate": 2e-3, "batch_size": 128, "epochs": 30, "warmup_ratio": 0.03,
          "unlikelihood": 1.0, "save_steps": 300}


def load_build_samples():
    spec = importlib.util.spec_from_file_location("build_samples", ROOT / "tools" / "build_samples.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------

def heldout_words(path: Path) -> tuple[set, set]:
    """English words and every Japanese translation of the held-out sample rows."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {r["Input"] for r in rows}, {c for r in rows for c in r["Correct"].split("|")}


def judged_words() -> tuple[set, set]:
    """English words and answers of the judged set's evaluation words (data/judged): never trained on."""
    from engine.distractors import judged

    words = judged.words("eval")
    return {w["English"] for w in words}, {w["Answer"] for w in words}


def good_targets(english: str, answers: list, candidates: list, vs) -> list:
    """The candidates the ranker learned from teachers' labels calls good (probability of G at least
    GOOD_TARGET, after the teacher's rules), best first: what the model learns to write."""
    from engine.distractors import features, ranker, rules
    from engine.distractors.ranking import Candidate, mark_kinds, score
    from engine.words import checks

    kind = rules.slot(answers[0])
    kept = [Candidate(w, "vectors", key=checks.vector_key(w, vs)) for w in candidates
            if not rules.reason(w, answers, kind)]
    for cand in kept:
        cand.score = score(cand, answers, vs)
    mark_kinds(kept, english, answers, vs)
    learned = ranker.weights()
    table = features.table(kept, english, answers[0], kind, vs)
    scored = [(ranker.probability(row, learned), c.text) for c, row in zip(kept, table)]
    return [w for p, w in sorted(scored, key=lambda t: -t[0]) if p >= GOOD_TARGET]


def build_rows(bs, vectors, limit: int | None, heldout: Path) -> list:
    """Per English word: (english, [answers], [distractors], [every JMdict form of every sense])."""
    from engine.vectors import sources

    dic = bs.Dictionary(bs.load_jmdict(bs.jmdict_path()), vectors.row_of, bs.load_names(bs.jmdict_path()))
    chooser = bs.Chooser(dic, vectors)
    held_english, held_japanese = heldout_words(heldout)
    judged_english, judged_japanese = judged_words()
    vs = sources.load_vectors("chive")
    rows = []
    for word in bs.english_words(dic):
        if limit is not None and len(rows) >= limit:
            break
        if word in held_english | judged_english:
            continue
        found = chooser.candidates(word)
        if found is None:
            continue
        correct, passing = found
        answers = [t.entry.display(t.sense) for t in correct]
        if set(answers) & (held_japanese | judged_japanese):
            continue
        wrong = list(dict.fromkeys(shown for shown, _ in itertools.islice(passing, LOOK_AT)))
        wrong = good_targets(word, answers, wrong, vs)
        if wrong:
            forms = sorted({f for idseq in dic.any_sense.get(word, ()) for f in dic.entries[idseq].all_texts()})
            rows.append((word, answers, wrong[:DISTRACTORS_PER_WORD], forms))
    return rows


def write_data(work: Path, rows: list, words: list, unit: np.ndarray, chive_words: list) -> None:
    with (work / "rows.jsonl").open("w", encoding="utf-8") as handle:
        for english, answers, wrong, forms in rows:
            handle.write(json.dumps({"english": english, "answers": answers, "wrong": wrong, "forms": forms},
                                    ensure_ascii=False) + "\n")
    (work / "words.json").write_text(json.dumps(words, ensure_ascii=False), encoding="utf-8")
    np.save(work / "chive_unit.npy", unit)
    (work / "chive_words.json").write_text(json.dumps(chive_words, ensure_ascii=False), encoding="utf-8")


def read_rows(work: Path) -> list:
    with (work / "rows.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


# ---------------------------------------------------------------------------------------------
# Tokenizer and model
# ---------------------------------------------------------------------------------------------

def build_tokenizer(words: list, lexicon: Path, work: Path):
    """A unigram vocabulary: SentencePiece pieces (byte fallback on) plus one token per chiVe word.

    The pieces are trained on the lexicon's English words beside their first Japanese form (the
    shape of the model's inputs) and on further Japanese forms, so English words and Japanese words
    outside the list are spelled in a few pieces. Whole words get score 0, the highest, so a word
    of the list is always one token.
    """
    import sentencepiece as spm

    from engine.models.scratch import wrap_vocab

    with lexicon.open(encoding="utf-8", newline="") as handle:
        entries = [(r["English"], r["Japanese"].split("|")) for r in csv.DictReader(handle)]
    corpus = [f"{english} = {forms[0]}" for english, forms in entries] + [f for _, forms in entries for f in forms[1:3]]
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "corpus.txt").write_text("\n".join(corpus), encoding="utf-8")
        spm.SentencePieceTrainer.train(
            input=str(Path(tmp) / "corpus.txt"), model_prefix=str(Path(tmp) / "sp"), vocab_size=SUBWORD_VOCAB,
            model_type="unigram", character_coverage=0.9995, byte_fallback=True,
            pad_id=0, eos_id=1, unk_id=2, bos_id=-1, minloglevel=2, num_threads=1, seed_sentencepiece_size=200000,
        )
        processor = spm.SentencePieceProcessor(model_file=str(Path(tmp) / "sp.model"))
        vocab = [(processor.id_to_piece(i), processor.get_score(i)) for i in range(processor.get_piece_size())]
    have = {piece for piece, _ in vocab}
    vocab += [("▁" + w, 0.0) for w in words if "▁" + w not in have]
    tokenizer = wrap_vocab(vocab)
    tokenizer.save_pretrained(work / "tokenizer")
    return tokenizer


def build_model(tokenizer, unit: np.ndarray, chive_words: list):
    """A fresh T5 of SHAPE whose word tokens start from their chiVe vectors."""
    import torch
    from transformers import T5Config, T5ForConditionalGeneration

    from engine.models import prompts

    config = T5Config(vocab_size=len(tokenizer), feed_forward_proj="gated-gelu", tie_word_embeddings=True,
                      pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
                      decoder_start_token_id=tokenizer.pad_token_id, dropout_rate=0.1, **SHAPE)
    setattr(config, prompts.CONFIG_KEY, prompts.WORD_AND_ANSWER)
    torch.manual_seed(SEED)
    model = T5ForConditionalGeneration(config)
    projection = pca(unit, SHAPE["d_model"])
    row_of = {w: i for i, w in enumerate(chive_words) if w}
    weight = model.shared.weight.data
    for piece, index in tokenizer.get_vocab().items():
        word = piece[1:] if piece.startswith("▁") else piece
        if word in row_of:
            vector = unit[row_of[word]] @ projection
            # T5 initialises embeddings at unit variance per dimension: keep that scale.
            weight[index] = torch.from_numpy(vector / np.linalg.norm(vector) * math.sqrt(SHAPE["d_model"]))
    return model


def pca(unit: np.ndarray, width: int) -> np.ndarray:
    """The (300, width) projection onto the main directions of the chiVe vectors."""
    centred = unit - unit.mean(axis=0)
    _, _, vt = np.linalg.svd(centred.astype(np.float64), full_matrices=False)
    return vt[:width].T.astype(np.float32)


# ---------------------------------------------------------------------------------------------
# Training pairs
# ---------------------------------------------------------------------------------------------

def training_pairs(rows: list, tokenizer) -> list:
    """(input, target, banned token ids) for each word, answer shown and distractor."""
    from engine.models import prompts

    pairs = []
    for row in rows:
        whole = [a for a in row["answers"] if len(tokenizer.tokenize(a)) == 1]
        shown = list(dict.fromkeys(whole + row["answers"]))[:ANSWERS_PER_WORD]
        banned = sorted({ids[0] for ids in tokenizer(row["forms"] + row["answers"], add_special_tokens=False)["input_ids"]
                         if len(ids) == 1})
        for answer in shown:
            for wrong in row["wrong"]:
                pairs.append((prompts.join(row["english"], answer), wrong, banned))
    return pairs


def to_dataset(pairs: list, tokenizer):
    from datasets import Dataset

    inputs = tokenizer([p[0] for p in pairs], max_length=32, truncation=True)
    labels = tokenizer(text_target=[p[1] for p in pairs], max_length=16, truncation=True)
    return Dataset.from_dict({"input_ids": inputs["input_ids"], "attention_mask": inputs["attention_mask"],
                              "labels": labels["input_ids"], "banned": [p[2] for p in pairs]})


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------

def collate(tokenizer):
    """Pad inputs and labels per batch; banned ids become a (batch, k) tensor padded with -1."""
    import torch

    def collate_batch(features):
        width = max(1, max(len(f["banned"]) for f in features))
        banned = torch.full((len(features), width), -1, dtype=torch.long)
        for row, f in enumerate(features):
            banned[row, : len(f["banned"])] = torch.tensor(f["banned"], dtype=torch.long)
        inputs = tokenizer.pad([{"input_ids": f["input_ids"], "attention_mask": f["attention_mask"]} for f in features],
                               return_tensors="pt")
        longest = max(len(f["labels"]) for f in features)
        labels = torch.full((len(features), longest), -100, dtype=torch.long)
        for row, f in enumerate(features):
            labels[row, : len(f["labels"])] = torch.tensor(f["labels"], dtype=torch.long)
        return {**inputs, "labels": labels, "banned": banned}

    return collate_batch


def make_trainer_class():
    import torch
    from transformers import Seq2SeqTrainer

    class UnlikelihoodTrainer(Seq2SeqTrainer):
        """Cross-entropy on the distractor plus -log(1 - p) for each banned token at the first position."""

        weight = RECIPE["unlikelihood"]

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            banned = inputs.pop("banned")
            outputs = model(**inputs)
            loss = outputs.loss
            if self.weight and (banned >= 0).any():
                first = outputs.logits[:, 0].float().softmax(-1)
                picked = first.gather(1, banned.clamp(min=0)).clamp(max=1 - 1e-6)
                penalty = -torch.log1p(-picked) * (banned >= 0)
                loss = loss + self.weight * penalty.sum() / banned.shape[0]
            return (loss, outputs) if return_outputs else loss

    return UnlikelihoodTrainer


def progress_callback(work: Path, probe):
    from transformers import TrainerCallback

    class Progress(TrainerCallback):
        """Step, loss and ETA on stderr and in progress.jsonl; held-out quality at every save."""

        def __init__(self):
            self.started, self.first_step = time.monotonic(), 0

        def on_train_begin(self, args, state, control, **kwargs):
            self.started, self.first_step = time.monotonic(), state.global_step  # a resumed run starts late

        def on_log(self, args, state, control, logs=None, **kwargs):
            done = max(1, state.global_step - self.first_step)
            eta = (state.max_steps - state.global_step) * (time.monotonic() - self.started) / done
            record = {"step": state.global_step, "max_steps": state.max_steps, "eta_s": round(eta),
                      **{k: v for k, v in (logs or {}).items() if isinstance(v, (int, float))}}
            self.write(record)
            log(f"step {state.global_step}/{state.max_steps} loss {record.get('loss', float('nan')):.3f} "
                f"eta {eta / 60:.1f} min")

        def on_save(self, args, state, control, model=None, **kwargs):
            quality = probe(model)
            self.write({"step": state.global_step, "heldout": quality})
            log(f"held-out at step {state.global_step}: {quality}")

        def write(self, record):
            record["time"] = time.time()
            with (work / "progress.jsonl").open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")

    return Progress()


def last_checkpoint(folder: Path):
    """The newest checkpoint written completely (trainer_state.json is saved last)."""
    done = [(int(p.name.split("-")[-1]), p) for p in folder.glob("checkpoint-*") if (p / "trainer_state.json").exists()]
    return str(max(done)[1]) if done else None


def train(work: Path, model, tokenizer, pairs: list, steps: int | None, probe, freeze: bool = True,
          save_steps: int = RECIPE["save_steps"]) -> int:
    import torch
    from transformers import Seq2SeqTrainingArguments

    model.shared.weight.requires_grad_(not freeze)  # tied to the output layer: both stay chiVe's
    dataset = to_dataset(pairs, tokenizer)
    args = Seq2SeqTrainingArguments(
        output_dir=str(work / "checkpoints"), seed=SEED, data_seed=SEED,
        learning_rate=RECIPE["learning_rate"], per_device_train_batch_size=RECIPE["batch_size"],
        num_train_epochs=RECIPE["epochs"], max_steps=steps or -1, warmup_steps=RECIPE["warmup_ratio"],
        lr_scheduler_type="linear", weight_decay=0.0, max_grad_norm=1.0, optim="adamw_torch",
        logging_steps=50, save_steps=save_steps, save_total_limit=2, save_only_model=False,
        remove_unused_columns=False, report_to="none", disable_tqdm=True, dataloader_num_workers=0,
        use_cpu=not torch.cuda.is_available(),
    )
    trainer = make_trainer_class()(model=model, args=args, train_dataset=dataset, data_collator=collate(tokenizer),
                                   processing_class=tokenizer, callbacks=[progress_callback(work, probe)])
    trainer.model_accepts_loss_kwargs = False
    from transformers.trainer_callback import PrinterCallback

    trainer.remove_callback(PrinterCallback)
    trainer.train(resume_from_checkpoint=last_checkpoint(work / "checkpoints"))
    model.shared.weight.requires_grad_(True)  # saved models fine-tune like any other T5
    return trainer.state.global_step


# ---------------------------------------------------------------------------------------------
# Measuring and saving
# ---------------------------------------------------------------------------------------------

def heldout_probe(heldout: Path, tokenizer, unit: np.ndarray, chive_words: list, rows: int = 300):
    """probe(model) -> quality of greedy outputs on the held-out words, generated as the app does."""
    import torch

    from engine.generate.generation import generate_batch
    from engine.generate.settings import GenerationSettings
    from engine.models.loading import LoadedModel

    with heldout.open(encoding="utf-8", newline="") as handle:
        table = list(csv.DictReader(handle))[:rows]
    row_of = {w: i for i, w in enumerate(chive_words) if w}

    def cosine(word, answers):
        known = [row_of[a] for a in answers if a in row_of]
        if word not in row_of or not known:
            return 0.0
        return max(float(unit[row_of[word]] @ unit[k]) for k in known)

    def probe(model) -> dict:
        was_training = model.training
        model.eval()
        loaded = LoadedModel(model, tokenizer, "build", "build", "cuda" if torch.cuda.is_available() else "cpu")
        results = generate_batch(loaded, [r["Input"] for r in table], GenerationSettings(batch_size=100),
                                 with_scores=False, answers=[r["Correct"] for r in table])
        model.train(was_training)
        outputs = [c[0].text if c else "" for c in results]
        answers = [r["Correct"].split("|") for r in table]
        japanese = [bool(JAPANESE_WORD.fullmatch(o)) for o in outputs]
        correct = [o in a for o, a in zip(outputs, answers)]
        cosines = [cosine(o, a) for o, a in zip(outputs, answers)]
        related = [j and not c and cos >= 0.3 for j, c, cos in zip(japanese, correct, cosines)]
        return {"japanese": round(float(np.mean(japanese)), 3), "correct": round(float(np.mean(correct)), 3),
                "cosine": round(float(np.mean(cosines)), 3), "related": round(float(np.mean(related)), 3),
                "distinct": len(set(outputs)), "examples": dict(list(zip([r["Input"] for r in table], outputs))[:8])}

    return probe


CARD = """---
language: [en, ja]
license: cc-by-sa-4.0
library_name: transformers
pipeline_tag: text2text-generation
tags: [t5, japanese, vocabulary-quiz, distractors]
---

# {name}

A compact T5 (`T5ForConditionalGeneration`, {params:.1f} M parameters, {vocab:,}-token vocabulary with
byte fallback) that reads an English word and one correct Japanese translation, and writes another
Japanese word that is close in meaning but **not** a translation: a wrong option for a vocabulary quiz.

英単語と正しい日本語訳を一つ読み、意味は近いが訳としては誤りの日本語（単語テストの誤答選択肢）を書く、
小さな T5 です。T5 Studio の訓練タブの初期ベースモデルです。

    input:  dog = 犬
    output: {example}

T5 Studio adds the answer when a user types only the word (from a Correct column, or the first
translation its JMdict lexicon lists) and never lets the model repeat the answer it read.

## Data

- **JMdict** (© EDRDG, CC BY-SA 4.0, the release packaged in `jamdict-data` 1.5): {words:,} common
  English words and their translations. Targets: up to {per_word} nearest chiVe neighbours of the translation that
  pass the filters of `tools/build_samples.py` (same part of speech, not a translation in any sense, no
  shared gloss, reading or spelling) and that the distractor ranker, learned from teachers' labels
  (`data/judged`, `docs/distractor-rubric.md`), calls good; {pairs:,} training pairs. The 300 held-out words of
  `data/samples/distractors_heldout.csv`, every translation they list, and the judged set's evaluation
  words are left out.
- **chiVe** word vectors (© Works Applications, Apache-2.0, as shipped in `ja-ginza`): every Japanese word
  among their 20,000 rows is one token, whose embedding starts as its chiVe vector (PCA to {d_model} dims)
  and stays frozen in training (tied to the output layer).

Because the weights are derived from JMdict, they are shared under **CC BY-SA 4.0**.

## Recipe

{shape} gated-GELU; AdamW, learning rate {lr}, batch {batch}, {epochs} epochs ({steps} steps), linear
decay after {warmup:.0%} warm-up; cross-entropy on the target plus an unlikelihood term on every
Japanese form JMdict lists for the English word. Seed {seed}. Trained in {minutes} minutes on {where};
reading JMdict and training the tokenizer take about a minute more.

Rebuild (deterministic on one kind of machine, resumable; the targets come from the ranker in
`data/judged/ranker.json`, so retrain it first when the labels change):

    pip install -r tools/requirements.txt
    python tools/build_base.py

## Measured quality

Greedy output on the 300 held-out words (never seen in training), generated as the app does:

| measure | value |
| --- | ---: |
| a Japanese word | {japanese:.1%} |
| one of the correct translations | {correct:.1%} |
| mean chiVe cosine to the correct translation | {cosine:.3f} |
| Japanese, not a translation, and related (cosine ≥ 0.30) | {related:.1%} |
| distinct outputs | {distinct} of 300 |

{judged}
## Limits

The model knows Japanese words through the chiVe vectors: a translation outside their 19,000 Japanese
words is read in pieces and its neighbours are guessed less well. It proposes words; it does not check
that a word is wrong in every sense. T5 Studio's distractor mode filters its candidates with the JMdict
lexicon and the vectors before showing them; look over any quiz before students see it.
"""


def render_card(facts: dict, params: int) -> str:
    quality = facts["heldout"]  # measured by heldout_probe: greedy, as the app generates
    shape = (f"d_model {SHAPE['d_model']}, d_ff {SHAPE['d_ff']}, {SHAPE['num_heads']} heads, "
             f"{SHAPE['num_layers']} + {SHAPE['num_decoder_layers']} layers")
    return CARD.format(
        name=NAME, params=params / 1e6, vocab=facts["vocab"], example=facts["dog"], words=facts["words"],
        per_word=DISTRACTORS_PER_WORD, pairs=facts["pairs"], d_model=SHAPE["d_model"], shape=shape,
        lr=RECIPE["learning_rate"], batch=RECIPE["batch_size"], epochs=RECIPE["epochs"], steps=facts["steps"],
        warmup=RECIPE["warmup_ratio"], seed=SEED, minutes=facts["training_minutes"],
        where=facts.get("trained_on", "2 CPU cores"), judged=judged_section(facts.get("judged")), **quality)


def judged_section(found) -> str:
    """The card's lines on the judged set (facts["judged"], written by hand from bench/judged.py), or ""."""
    if not found:
        return ""
    return ("Judged as a teacher judges options (`bench/judged.py`, the judged set's evaluation words,\n"
            "never trained on; rubric in `docs/distractor-rubric.md`): of the model's own first "
            f"{found['top']} candidates per word\nthat pass every rule, {found['good']:.1%} are ones a teacher "
            f"prints (the previous model: {found['previous_good']:.1%}).\nSee BENCHMARKS_DISTRACTORS.md.\n")


def trained_on() -> str:
    import os

    import torch

    return torch.cuda.get_device_name(0) + " GPU" if torch.cuda.is_available() else f"{os.cpu_count()} CPU cores"


def training_minutes(work: Path) -> float:
    """Minutes spent training, summed over every run of this work folder (a resumed build included)."""
    total = 0.0
    with (work / "progress.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            total += json.loads(line).get("train_runtime", 0.0)
    return round(total / 60, 1)


def first_output(model, tokenizer, english: str, answer: str) -> str:
    from engine.generate.generation import generate_one
    from engine.models.loading import LoadedModel

    model.eval()
    found = generate_one(LoadedModel(model, tokenizer, "build", "build", str(model.device)), english, answer=answer)
    return found[0].text if found else ""


def save(model, tokenizer, out: Path, facts: dict) -> None:
    """Weights (safetensors), tokenizer and build facts into `out`, written whole or not at all."""
    import shutil

    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    model.config.use_cache = True  # the Trainer turned it off for training; generation wants it
    model.save_pretrained(staging)
    tokenizer.save_pretrained(staging)
    (staging / "build.json").write_text(json.dumps(facts, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    params = sum(p.numel() for p in model.parameters())
    (staging / "README.md").write_text(render_card(facts, params), encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    staging.rename(out)


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------

def prepare(work: Path, limit: int | None, heldout: Path) -> None:
    """Data, tokenizer and initial weights, each written once (a rerun reuses them)."""
    if not (work / "rows.jsonl").exists():
        log("reading JMdict and the chiVe vectors")
        bs = load_build_samples()
        vectors = bs.Neighbours()
        rows = build_rows(bs, vectors, limit, heldout)
        words = [w for w in vectors.words if w and JAPANESE_WORD.fullmatch(w)]
        write_data(work, rows, words, vectors.unit, vectors.words)
        log(f"{len(rows)} English words with distractors, {len(words)} chiVe words")
    if not (work / "tokenizer" / "tokenizer.json").exists():
        log("training the tokenizer")
        words = json.loads((work / "words.json").read_text(encoding="utf-8"))
        build_tokenizer(words, ROOT / "data" / "samples" / "lexicon_en_ja.csv", work)


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bundled" / NAME, help="where the model goes")
    parser.add_argument("--work", type=Path, default=ROOT / ".build" / NAME,
                        help="data, tokenizer and checkpoints; rerun with the same folder to resume")
    parser.add_argument("--limit", type=int, default=None, help="only this many English words (a quick slice)")
    parser.add_argument("--steps", type=int, default=None, help="stop after this many steps (default: the recipe's epochs)")
    parser.add_argument("--save-steps", type=int, default=RECIPE["save_steps"], help="checkpoint every N steps")
    parser.add_argument("--train-embeddings", action="store_true",
                        help="let the word embeddings move (the comparison run in BENCHMARKS.md; the shipped model keeps them)")
    parser.add_argument("--heldout", type=Path, default=ROOT / "data" / "samples" / "distractors_heldout.csv")
    args = parser.parse_args(argv)

    import torch
    from transformers import AutoTokenizer

    torch.set_num_threads(max(1, torch.get_num_threads()))
    started = time.monotonic()
    args.work.mkdir(parents=True, exist_ok=True)
    prepare(args.work, args.limit, args.heldout)
    tokenizer = AutoTokenizer.from_pretrained(args.work / "tokenizer")
    unit = np.load(args.work / "chive_unit.npy")
    chive_words = json.loads((args.work / "chive_words.json").read_text(encoding="utf-8"))
    model = build_model(tokenizer, unit, chive_words)
    pairs = training_pairs(read_rows(args.work), tokenizer)
    random.Random(SEED).shuffle(pairs)  # the Trainer shuffles too; this fixes the dataset's own order
    log(f"{len(pairs)} training pairs, {sum(p.numel() for p in model.parameters()) / 1e6:.1f} M parameters")
    probe = heldout_probe(args.heldout, tokenizer, unit, chive_words)
    resumed_from = int(Path(last_checkpoint(args.work / "checkpoints") or "checkpoint-0").name.split("-")[-1])
    steps_done = train(args.work, model, tokenizer, pairs, args.steps, probe, freeze=not args.train_embeddings,
                       save_steps=args.save_steps)
    quality = probe(model)
    log(f"held-out quality: {quality}")
    facts = {"recipe": RECIPE, "shape": SHAPE, "seed": SEED, "pairs": len(pairs), "words": len(read_rows(args.work)),
             "vocab": len(tokenizer), "steps": steps_done, "resumed_from_step": resumed_from,
             "heldout": {k: v for k, v in quality.items() if k != "examples"}, "examples": quality["examples"],
             "dog": first_output(model, tokenizer, "dog", "犬"), "minutes_this_run": round((time.monotonic() - started) / 60, 1),
             "training_minutes": training_minutes(args.work), "trained_on": trained_on(),
             "command": "python tools/build_base.py" + (f" --limit {args.limit}" if args.limit else "")
             + (f" --steps {args.steps}" if args.steps else "") + (" --train-embeddings" if args.train_embeddings else "")}
    save(model, tokenizer, args.out, facts)
    log(f"saved to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
