"""How to turn one input into outputs: the generation methods and their settings, checked in Japanese."""
import argparse
import dataclasses
import math
from dataclasses import asdict, dataclass

from engine.core.messages import StudioError, raise_all

METHODS = ("greedy", "beam", "diverse_beam", "sampling")
MAX_OUTPUTS = 50  # per input; a quiz needs a handful of distractors, not hundreds
MAX_BEAMS = 64
MAX_NEW_TOKENS = 512
MAX_INPUT_TOKENS = 512  # T5's usual input length; longer inputs are cut


@dataclass
class GenerationSettings:
    """How to turn one input into outputs. check() explains what is wrong, in Japanese."""

    method: str = "greedy"  # greedy | beam | diverse_beam | sampling
    num_outputs: int = 1  # distinct outputs wanted per input (num_return_sequences)
    max_new_tokens: int = 32  # words and short phrases need few tokens
    num_beams: int = 4  # beam and diverse_beam only
    num_beam_groups: int = 2  # diverse_beam only; num_beams must divide into the groups
    diversity_penalty: float = 1.0  # diverse_beam only; 0 makes groups ordinary beams
    temperature: float = 1.0  # sampling only; <1 sharper, >1 flatter
    top_k: int = 50  # sampling only; 0 = no limit
    top_p: float = 1.0  # sampling only; 1 = no limit
    repetition_penalty: float = 1.0  # 1 = off; >1 discourages repeating tokens
    no_repeat_ngram_size: int = 0  # 0 = off; n forbids repeating any n-gram
    seed: int = 42  # fixes sampling, so the same settings give the same outputs
    batch_size: int = 32  # inputs per generate call

    def check(self) -> "GenerationSettings":
        """Raise StudioError listing every invalid value or combination; return self when fine."""
        errors = []

        def bad(key, **params):
            errors.append(StudioError(f"generation.{key}", **params))

        if self.method not in METHODS:
            bad("bad_method", value=self.method, choices=", ".join(METHODS))
        if not 1 <= self.num_outputs <= MAX_OUTPUTS:
            bad("bad_num_outputs", value=self.num_outputs, limit=MAX_OUTPUTS)
        if not 1 <= self.max_new_tokens <= MAX_NEW_TOKENS:
            bad("bad_max_new_tokens", value=self.max_new_tokens, limit=MAX_NEW_TOKENS)
        if not self.repetition_penalty > 0 or not math.isfinite(self.repetition_penalty):
            bad("bad_repetition_penalty", value=self.repetition_penalty)
        if self.no_repeat_ngram_size < 0:
            bad("bad_no_repeat_ngram_size", value=self.no_repeat_ngram_size)
        if not 1 <= self.batch_size <= 1024:
            bad("bad_batch_size", value=self.batch_size)
        if not 0 <= self.seed < 2**32:  # torch refuses other seeds with a bare ValueError
            bad("bad_seed", value=self.seed)
        if self.method == "greedy" and self.num_outputs > 1:
            bad("greedy_one_output", value=self.num_outputs)
        if self.method in ("beam", "diverse_beam"):
            if not 1 <= self.num_beams <= MAX_BEAMS:
                bad("bad_num_beams", value=self.num_beams, limit=MAX_BEAMS)
            elif self.num_outputs > self.num_beams:
                bad("outputs_over_beams", outputs=self.num_outputs, beams=self.num_beams)
        if self.method == "diverse_beam":
            if self.num_beam_groups < 2:
                bad("bad_num_beam_groups", value=self.num_beam_groups)
            elif self.num_beams % self.num_beam_groups:
                bad("beams_not_divisible", beams=self.num_beams, groups=self.num_beam_groups)
            if not self.diversity_penalty >= 0 or not math.isfinite(self.diversity_penalty):
                bad("bad_diversity_penalty", value=self.diversity_penalty)
        if self.method == "sampling":
            if not self.temperature > 0 or not math.isfinite(self.temperature):
                bad("bad_temperature", value=self.temperature)
            if self.top_k < 0:
                bad("bad_top_k", value=self.top_k)
            if not 0 < self.top_p <= 1:
                bad("bad_top_p", value=self.top_p)
        raise_all(errors)
        return self

    def samples(self) -> int:
        """Samples drawn per input by sampling: more than wanted, as repeats are merged afterwards."""
        return min(2 * self.num_outputs + 2, 2 * MAX_OUTPUTS)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "GenerationSettings":
        known = {k: v for k, v in (values or {}).items() if k in cls.__dataclass_fields__ and v is not None}
        return cls(**known)


def add_settings_arguments(parser: argparse.ArgumentParser) -> None:
    """One --option per GenerationSettings field (e.g. --num-beams), defaults from the dataclass."""
    for f in dataclasses.fields(GenerationSettings):
        parser.add_argument("--" + f.name.replace("_", "-"), dest=f.name, type=type(f.default), default=f.default)


def settings_from_args(args) -> GenerationSettings:
    return GenerationSettings(**{f.name: getattr(args, f.name) for f in dataclasses.fields(GenerationSettings)})
