"""Scratch models: the tokenizer spells any Japanese without <unk>, and the model matches it."""
import unicodedata

from transformers import AutoTokenizer

from engine.models.scratch import build_scratch

TEXTS = ["dog", "犬", "cat", "猫", "school", "学校", "teacher", "先生"] * 20


def test_japanese_round_trips_without_unknown_tokens(tmp_path):
    model, tokenizer = build_scratch(TEXTS, "tiny")
    tokenizer.save_pretrained(tmp_path)
    reloaded = AutoTokenizer.from_pretrained(tmp_path)  # what the store and generation will see
    for sample in ["犬と猫", "鬱蒼とした森の奥で髙橋さんが㈱を", "学校 school ～"]:
        ids = reloaded(sample).input_ids
        assert reloaded.unk_token_id not in ids
        # NFKC, like SentencePiece's default: ㈱ -> (株), full-width ～ -> ~, half-width kana -> full.
        expected = unicodedata.normalize("NFKC", sample).replace(" ", "")
        assert reloaded.decode(ids, skip_special_tokens=True).replace(" ", "") == expected
    assert model.config.vocab_size == len(tokenizer)
    assert model.config.decoder_start_token_id == tokenizer.pad_token_id == 0
    assert tokenizer.eos_token_id == 1


def test_seen_words_are_single_pieces_unseen_are_bytes():
    _, tokenizer = build_scratch(TEXTS, "tiny")
    seen = tokenizer.convert_ids_to_tokens(tokenizer("学校", add_special_tokens=False).input_ids)
    unseen = tokenizer.convert_ids_to_tokens(tokenizer("鬱", add_special_tokens=False).input_ids)
    assert "学" in seen or "学校" in seen or "▁学校" in seen
    assert unseen[-3:] == ["<0xE9>", "<0xAC>", "<0xB1>"]  # 鬱 is E9 AC B1 in UTF-8


def test_many_distinct_kanji_fit_a_tiny_preset():
    """A real word list has more distinct characters than the tiny preset's 1,000 pieces."""
    kanji = [chr(code) for code in range(0x4E00, 0x4E00 + 1500)]
    texts = ["".join(kanji[i:i + 3]) for i in range(0, len(kanji), 3)] * 2
    model, tokenizer = build_scratch(texts, "tiny")
    assert len(tokenizer) > 1500 and model.config.vocab_size == len(tokenizer)
    assert tokenizer.unk_token_id not in tokenizer(texts[0]).input_ids
