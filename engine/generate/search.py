"""One model call, as the method asks: generate()'s arguments, a fair turn per call, and diverse
beam search.

transformers 5 moved group (diverse) beam search out of the library into a Hub repo that runs
remote code (custom_generate, trust_remote_code=True); we never run remote code and are often
offline, so diverse beam search is done here: the beams are split into groups searched one after
another, and each group is penalised for the tokens that earlier groups' results put at the same
position (the Hamming diversity of Vijayakumar et al. 2016). It is sequential where the original
runs groups in lock-step, but the penalty and its meaning are the same.
"""
from engine.generate import turns
from engine.generate.settings import GenerationSettings
from engine.models.loading import LoadedModel


def generate_kwargs(settings: GenerationSettings, num_beams: int = None) -> dict:
    kwargs = {
        "max_new_tokens": settings.max_new_tokens,
        "repetition_penalty": settings.repetition_penalty,
        "no_repeat_ngram_size": settings.no_repeat_ngram_size,
    }
    if settings.method == "sampling":
        kwargs.update(
            do_sample=True,
            temperature=settings.temperature,
            top_k=settings.top_k,
            top_p=settings.top_p,
            num_return_sequences=settings.samples(),
        )
    elif settings.method in ("beam", "diverse_beam"):
        beams = num_beams or settings.num_beams
        # Every beam comes back, so that texts that decode alike can be merged and others fill in.
        kwargs.update(do_sample=False, num_beams=beams, num_return_sequences=beams, early_stopping=True)
    else:
        kwargs.update(do_sample=False, num_beams=1)
    return kwargs


def run_generate(loaded: LoadedModel, encoded: dict, settings: GenerationSettings, num_beams: int = None,
                  logits_processor=None) -> list:
    """One generate call; per input a list of decoded texts in the order generate returns them."""
    kwargs = generate_kwargs(settings, num_beams)
    if logits_processor is not None:
        kwargs["logits_processor"] = logits_processor
    sequences = model_generate(loaded, encoded, kwargs)
    decoded = loaded.tokenizer.batch_decode(sequences, skip_special_tokens=True)
    per = kwargs.get("num_return_sequences", 1)
    return [decoded[i * per : (i + 1) * per] for i in range(len(decoded) // per)]


def model_generate(loaded: LoadedModel, encoded: dict, kwargs: dict):
    """model.generate as one turn of the current request, cut off when its time budget runs out."""
    with turns.turn() as request:
        return loaded.model.generate(**encoded, **kwargs, max_time=max(request.seconds_left(), 0.1))


def processors(*processors):
    from transformers import LogitsProcessorList

    kept = [p for p in processors if p is not None]
    return LogitsProcessorList(kept) if kept else None


def diverse_beam(loaded: LoadedModel, encoded: dict, settings: GenerationSettings, widen: int = 1,
                  ban=None) -> list:
    """Diverse beam search: groups searched in turn, each penalised for earlier groups' tokens."""

    groups = settings.num_beam_groups
    group_beams = settings.num_beams * widen // groups
    batch = encoded["input_ids"].shape[0]
    pad = loaded.tokenizer.pad_token_id
    # used[b][t] = the tokens earlier groups' results put at output position t of input b.
    used = [dict() for _ in range(batch)]
    processor = HammingDiversity(used, settings.diversity_penalty, group_beams)
    per_group = []
    for _ in range(groups):
        kwargs = generate_kwargs(settings, group_beams)
        kwargs["logits_processor"] = processors(processor, ban)
        sequences = model_generate(loaded, encoded, kwargs)
        for row, tokens in enumerate(sequences[:, 1:].tolist()):  # [:, 1:] drops the start token
            for position, token in enumerate(tokens):
                if token != pad:
                    used[row // group_beams].setdefault(position, []).append(token)
        decoded = loaded.tokenizer.batch_decode(sequences, skip_special_tokens=True)
        per_group.append([decoded[i * group_beams : (i + 1) * group_beams] for i in range(batch)])
    # Interleave: the best of each group first, then the second of each, and so on.
    results = []
    for i in range(batch):
        merged = []
        for rank in range(group_beams):
            merged.extend(group[i][rank] for group in per_group)
        results.append(merged)
    return results


class HammingDiversity:
    """Subtract penalty × (uses by earlier groups) from each token's score at the same position."""

    def __init__(self, used: list, penalty: float, beams_per_input: int):
        self.used = used
        self.penalty = penalty
        self.beams_per_input = beams_per_input

    def __call__(self, input_ids, scores):
        import torch

        position = input_ids.shape[1] - 1  # decoder ids start with the start token
        if self.penalty == 0:
            return scores
        penalty = torch.zeros_like(scores)
        for row in range(scores.shape[0]):
            tokens = self.used[row // self.beams_per_input].get(position)
            if tokens:
                index = torch.tensor(tokens, device=scores.device)
                penalty[row].index_add_(0, index, torch.ones(len(tokens), device=scores.device, dtype=scores.dtype))
        return scores - self.penalty * penalty
