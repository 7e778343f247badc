"""engine.models.prompts: what a word=answer model reads for what a user typed."""
from types import SimpleNamespace

import pytest

from engine.models import prompts
from engine.models.scratch import wrap_vocab

SPECIALS = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
BYTES = [(f"<0x{i:02X}>", 0.0) for i in range(256)]


@pytest.fixture(scope="module")
def tokenizer():
    """A vocabulary holding 犬 and 猫 as whole words; anything else is spelled in bytes."""
    pieces = SPECIALS + BYTES + [("▁犬", 0.0), ("▁猫", 0.0), ("▁", -1.0), ("=", -1.0), ("▁dog", -1.0)]
    return wrap_vocab(pieces)


WORD_ANSWER = SimpleNamespace(**{prompts.CONFIG_KEY: prompts.WORD_AND_ANSWER})
PLAIN = SimpleNamespace()


def test_models_without_the_format_get_the_text_unchanged(tokenizer):
    assert prompts.model_inputs(PLAIN, tokenizer, ["dog", " cat "], ["犬", ""]) == ["dog", " cat "]


def test_a_given_answer_goes_beside_the_word(tokenizer):
    assert prompts.model_inputs(WORD_ANSWER, tokenizer, ["dog"], ["犬"]) == ["dog = 犬"]


def test_the_answer_the_vocabulary_knows_whole_is_preferred(tokenizer):
    # イヌ would be spelled in bytes: the model knows nothing of it. 犬 is one word it knows.
    assert prompts.model_inputs(WORD_ANSWER, tokenizer, ["dog"], ["イヌ|犬"]) == ["dog = 犬"]
    assert prompts.model_inputs(WORD_ANSWER, tokenizer, ["dog"], ["イヌ|いぬ"]) == ["dog = イヌ"]


def test_without_an_answer_the_lexicon_supplies_one(tokenizer):
    # "dog" is not in the sample CSVs; the JMdict lexicon lists 犬 first.
    assert prompts.model_inputs(WORD_ANSWER, tokenizer, ["dog"]) == ["dog = 犬"]


def test_a_typed_answer_wins_and_unknown_words_still_get_an_input(tokenizer):
    assert prompts.model_inputs(WORD_ANSWER, tokenizer, ["dog = 猫"], ["犬"]) == ["dog = 猫"]
    assert prompts.model_inputs(WORD_ANSWER, tokenizer, ["qwxyzzy"]) == ["qwxyzzy ="]


def test_split_and_answer_of():
    assert prompts.split(" dog  =  犬 ") == ("dog", "犬")
    assert prompts.answer_of("dog = 犬") == "犬" and prompts.answer_of("dog") == ""
