"""Never give back the answer a word=answer model read beside the word, however it is tokenized."""
import math

from engine.models import prompts
from engine.models.loading import LoadedModel


def answer_bans(loaded: LoadedModel, texts: list) -> list:
    """Per input, the answer a word=answer model read (it must not echo it), or ''."""
    if prompts.input_format(loaded.model.config) != prompts.WORD_AND_ANSWER:
        return ["" for _ in texts]
    return [prompts.answer_of(t) for t in texts]


def piece_texts(tokenizer) -> tuple:
    """(text of each token id, ids by text): "▁" as a space; bytes and special tokens match nothing."""
    cached = getattr(tokenizer, "_t5studio_piece_texts", None)
    if cached is None:
        pieces = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
        special = set(tokenizer.all_special_tokens)
        texts = ["\uffff" if p is None or p in special or (p.startswith("<0x") and p.endswith(">")) else p.replace("▁", " ")
                 for p in pieces]
        by_text = {}
        for index, piece in enumerate(texts):
            by_text.setdefault(piece, []).append(index)
        cached = (texts, by_text)
        tokenizer._t5studio_piece_texts = cached
    return cached


class AnswerBan:
    """Forbid each input's own answer as the whole output, however it is spelled in tokens.

    A word has several tokenizations (▁花, or ▁ then 花): banning the usual one alone lets the
    model write the answer another way. So at each step the text so far is compared with the
    answer, and every token that would complete it exactly (or end the output on it) is banned."""

    def __init__(self, answers: list, tokenizer):
        self.answers = answers
        self.texts, self.by_text = piece_texts(tokenizer)
        self.eos = tokenizer.eos_token_id

    def __call__(self, input_ids, scores):
        rows_per_input = input_ids.shape[0] // len(self.answers)
        for row, ids in enumerate(input_ids[:, 1:].tolist()):  # position 0 is the start token
            answer = self.answers[row // rows_per_input]
            if answer:
                for token in self._completing("".join(self.texts[i] for i in ids), answer):
                    scores[row, token] = -math.inf
        return scores

    def _completing(self, so_far: str, answer: str) -> list:
        banned = []
        for whole in (answer, " " + answer):  # the decoder drops one leading space
            if whole.startswith(so_far):
                rest = whole[len(so_far):]
                banned += self.by_text.get(rest, []) if rest else [self.eos]
        return banned
