"""Text generation with stored T5 models: inputs sorted by length, generated batch by batch in fair
turns (engine.generate.turns), duplicates merged, every output scored the same way.

Methods (engine.generate.settings): greedy, beam search, diverse beam search and sampling.
Models are loaded once and cached (engine.models.loading).
"""
import re
import unicodedata
from dataclasses import dataclass

from engine.core.messages import text as message
from engine.generate import turns
from engine.generate.answer_ban import AnswerBan, answer_bans
from engine.generate.search import diverse_beam, processors, run_generate
from engine.generate.settings import MAX_BEAMS, MAX_NEW_TOKENS, GenerationSettings
from engine.models import prompts
from engine.models.loading import LoadedModel, load_model

MAX_INPUT_TOKENS = 512  # T5's usual input length; longer inputs are cut
EXTRA_ROUNDS = 3  # more tries when merging duplicates leaves fewer than N distinct outputs


@dataclass
class Candidate:
    text: str
    score: float = None  # mean log-probability per token under the model (higher = more likely)


def generate_batch(source, inputs: list, settings: GenerationSettings = None, progress=None,
                   with_scores: bool = True, answers: list = None) -> list:
    """For each input, a list of up to settings.num_outputs distinct Candidates, best first.

    source: a model reference (see load_model) or a LoadedModel.
    progress: optional callable(done_inputs, total_inputs), called after each batch.
    with_scores: also compute each output's model score (one extra forward pass per batch).
    answers: per input, the correct answer(s) if known ("犬|いぬ"); a model that reads the answer
        beside the word (engine.models.prompts) gets them, or the dictionary's, and never repeats the one it read.
    The work is charged to the current request (engine.generate.turns) and done in fair turns.
    """
    import torch

    settings = (settings or GenerationSettings()).check()
    with turns.ensure() as request:
        request.charge(len(inputs), settings)
        loaded = source if isinstance(source, LoadedModel) else load_model(source)
        texts = prompts.model_inputs(loaded.model.config, loaded.tokenizer, [str(x) for x in inputs], answers)
        results = [None] * len(texts)
        # Sorting by length keeps padding small: neighbours in a batch have similar lengths.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        step = turns.rows_per_turn(settings, settings.batch_size)
        turns.seed(settings.seed)
        with torch.inference_mode():
            for start in range(0, len(order), step):
                chunk = order[start : start + step]
                outputs = _generate_chunk(loaded, [texts[i] for i in chunk], settings, with_scores)
                for i, candidates in zip(chunk, outputs):
                    results[i] = candidates
                if progress:
                    progress(min(start + step, len(order)), len(texts))
    return results


def generate_one(source, text: str, settings: GenerationSettings = None, answer: str = "") -> list:
    """Candidates for a single input."""
    return generate_batch(source, [text], settings, answers=[answer])[0]


def _encode(loaded: LoadedModel, texts: list) -> dict:
    batch = loaded.tokenizer(texts, padding=True, truncation=True, max_length=MAX_INPUT_TOKENS, return_tensors="pt")
    return {k: v.to(loaded.device) for k, v in batch.items() if k in ("input_ids", "attention_mask")}


def _generate_chunk(loaded: LoadedModel, texts: list, settings: GenerationSettings, with_scores: bool) -> list:
    """Candidates for one batch. When merging duplicates leaves fewer than asked for, the inputs
    short of outputs go round again: sampling draws anew, beam searches widen (twice the beams)."""
    encoded = _encode(loaded, texts)
    bans = answer_bans(loaded, texts)
    wanted = settings.num_outputs
    per_input = [[] for _ in texts]
    rounds = 1 if settings.method == "greedy" else EXTRA_ROUNDS + 1
    for round_no in range(rounds):
        missing = [i for i, got in enumerate(per_input) if len(_distinct(got)) < wanted]
        if not missing:
            break
        widen = 2**round_no if settings.method != "sampling" else 1
        if settings.num_beams * widen > MAX_BEAMS:
            break
        sub = {k: v[missing] for k, v in encoded.items()}
        ban = AnswerBan([bans[i] for i in missing], loaded.tokenizer) if any(bans) else None
        if settings.method == "diverse_beam":
            outputs = diverse_beam(loaded, sub, settings, widen, ban)
        else:
            outputs = run_generate(loaded, sub, settings, settings.num_beams * widen, processors(ban))
        for i, outs in zip(missing, outputs):
            per_input[i].extend(outs)
    candidates = [[Candidate(text) for text in _distinct(outs)[:wanted]] for outs in per_input]
    if with_scores:
        _score(loaded, texts, candidates)
        # Best first by one measure for every method: beam searches end their beams at different
        # lengths and diverse groups interleave, so their own order is not the score order.
        for cands in candidates:
            cands.sort(key=lambda c: c.score, reverse=True)
    return candidates


REPEATED = re.compile(r"(.)\1{2,}")  # one character three times in a row: 写写写


def outputs_warning(results: list) -> str:
    """A Japanese note when a model's outputs as a whole are unusable (nothing usable, mostly
    repeated characters, or the same output for nearly every input), else ''.

    results: what generate_batch returned, one candidate list per input."""
    from collections import Counter

    firsts = [cands[0].text for cands in results if cands]
    if not firsts:
        return message("generation.outputs_empty")
    repeated = [t for t in firsts if REPEATED.search(t)]
    if len(repeated) * 2 > len(firsts):
        return message("generation.outputs_repetitive", example=repeated[0])
    common, count = Counter(firsts).most_common(1)[0]
    if len(results) >= 5 and count >= 0.8 * len(results):
        return message("generation.outputs_same", example=common, count=count, total=len(results))
    return ""


def is_junk(text: str) -> bool:
    """Nothing a person could use: empty, a broken byte (U+FFFD) or a control character."""
    text = text.strip()
    return not text or "\ufffd" in text or any(unicodedata.category(c) in ("Cc", "Cs") for c in text)


# A word decoded from pieces that each start a word (▁ひ ▁よ ▁こ) comes out with spaces inside it.
JAPANESE_GAP = re.compile(r"(?<=[\u3005\u3041-\u30ff\u3400-\u9fff])\s+(?=[\u3005\u3041-\u30ff\u3400-\u9fff])")


def _distinct(outputs: list) -> list:
    """Outputs in order, each text once (after trimming spaces and closing gaps inside Japanese, which
    writes no spaces between its words: ありが たい is ありがたい), junk left out."""
    seen, kept = set(), []
    for text in outputs:
        key = JAPANESE_GAP.sub("", text.strip())
        if key not in seen and not is_junk(key):
            seen.add(key)
            kept.append(key)
    return kept


def _score(loaded: LoadedModel, texts: list, candidates: list) -> None:
    """Fill each candidate's score: the mean log-probability per token of its text given the input.

    Computed the same way for every method (teacher forcing, no penalties), so scores from
    greedy, beam and sampling can be compared; near 0 means the model is confident.
    """
    import torch

    pairs = [(texts[i], c) for i, cands in enumerate(candidates) for c in cands]
    if not pairs:
        return
    tok = loaded.tokenizer
    for start in range(0, len(pairs), 64):
        part = pairs[start : start + 64]
        enc = _encode(loaded, [p[0] for p in part])
        labels = tok([p[1].text for p in part], padding=True, truncation=True, max_length=MAX_NEW_TOKENS,
                     return_tensors="pt")["input_ids"].to(loaded.device)
        labels[labels == tok.pad_token_id] = -100
        with turns.turn():
            logits = loaded.model(**enc, labels=labels).logits
        logp = torch.log_softmax(logits.float(), dim=-1)
        mask = labels != -100
        picked = logp.gather(-1, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1) * mask
        means = picked.sum(1) / mask.sum(1).clamp(min=1)
        for (_, cand), value in zip(part, means.tolist()):
            cand.score = round(value, 4)
