"""Model inputs for models that read the correct answer beside the English word.

The bundled base model (see bundled/README.md) is trained on inputs such as ``dog = 犬`` and
writes another Japanese word, near the answer but not it (猫). Its config.json carries
``t5studio_input_format: "word=answer"``, and a model fine-tuned from it inherits that config,
so every model of the family is recognised the same way. People still type only ``dog``: the
app adds the answer — the one given (a Correct column, the answer box), else the one the bundled
dictionary data lists first (engine.words.lexicon). Models without the key get their inputs unchanged.
"""
from engine.words import checks as check
from engine.words.lexicon import known_answers, lexicon_answers, school_spelling

CONFIG_KEY = "t5studio_input_format"
WORD_AND_ANSWER = "word=answer"
SEPARATOR = "="
LOOKED_UP = 3  # dictionary forms considered when choosing the answer to show the model


def input_format(config) -> str:
    return str(getattr(config, CONFIG_KEY, "") or "")


def join(english: str, answer: str) -> str:
    """The text the model reads: ``dog = 犬`` (``dog =`` when no answer is known)."""
    return f"{english} {SEPARATOR} {answer}".strip()


def split(text: str) -> tuple:
    """(english, answer) of a text that may already hold the answer (``dog = 犬``)."""
    english, _, answer = str(text).partition(SEPARATOR)
    return check.clean(english), check.clean(answer)


def answers_for(english: str, correct="") -> list:
    """The answers to choose from: the given ones, else the sample data's, else the lexicon's first forms."""
    given = check.split_correct(correct)
    if given:
        return given
    return known_answers(english) or lexicon_answers(english)[:LOOKED_UP]


def pick_answer(answers: list, tokenizer) -> str:
    """The first answer the model's vocabulary holds as one whole word (its meaning is known), else the
    first; written as schools write it when that spelling is among the answers (林檎 -> りんご)."""
    whole = [answer for answer in answers if len(tokenizer.tokenize(answer)) == 1]
    picked = (whole or answers or [""])[0]
    school = school_spelling(picked)
    return school if school in answers else picked


def model_input(text: str, tokenizer, correct="") -> str:
    """What a word=answer model reads for a user's `text` and optional `correct` answer(s)."""
    english, answer = split(text)
    if not answer:
        answer = pick_answer(answers_for(english, correct), tokenizer)
    return join(english, answer)


def model_inputs(config, tokenizer, texts: list, corrects: list = None) -> list:
    """Inputs ready for the model: unchanged unless its config asks for the answer beside the word."""
    if input_format(config) != WORD_AND_ANSWER:
        return [str(t) for t in texts]
    corrects = corrects if corrects is not None else [""] * len(texts)
    return [model_input(t, tokenizer, c) for t, c in zip(texts, corrects)]


def answer_of(text: str) -> str:
    """The answer inside a model input (for leak checks), or ''."""
    return split(text)[1]
