"""Scratch models: a fresh T5 from a size preset and a SentencePiece tokenizer trained on the data.

With no Hub access, this is how a newcomer trains at once. The tokenizer has byte fallback on,
so any Japanese character the data did not contain is spelled in UTF-8 bytes, never <unk>.
"""
import tempfile
from dataclasses import dataclass
from pathlib import Path

import sentencepiece as spm
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
from transformers import PreTrainedTokenizerFast, T5Config, T5ForConditionalGeneration

PAD, EOS, UNK = "<pad>", "</s>", "<unk>"


@dataclass(frozen=True)
class SizePreset:
    d_model: int
    d_ff: int
    num_layers: int
    num_heads: int
    d_kv: int
    vocab_size: int


# tiny: seconds per step on a laptop CPU, for tests and first tries.
# small: the shape of t5-small (6 layers, 512 wide) with a vocabulary fitted to the data.
SIZE_PRESETS = {
    "tiny": SizePreset(d_model=64, d_ff=128, num_layers=2, num_heads=2, d_kv=32, vocab_size=1000),
    "small": SizePreset(d_model=512, d_ff=2048, num_layers=6, num_heads=8, d_kv=64, vocab_size=8000),
}


def train_tokenizer(texts: list, vocab_size: int, workdir: Path = None) -> PreTrainedTokenizerFast:
    """Train a SentencePiece unigram model on `texts` and wrap it as a fast tokenizer."""
    # SentencePiece needs a piece for every character it keeps plus the 256 byte pieces; Japanese
    # data easily has more distinct characters than a tiny preset's vocabulary, so grow to fit.
    distinct_chars = len(set("".join(texts)))
    vocab_size = max(vocab_size, distinct_chars + 256 + 3 + 64)
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        corpus = Path(tmp) / "corpus.txt"
        corpus.write_text("\n".join(t.replace("\n", " ") for t in texts if t), encoding="utf-8")
        prefix = str(Path(tmp) / "spiece")
        spm.SentencePieceTrainer.train(
            input=str(corpus),
            model_prefix=prefix,
            vocab_size=vocab_size,
            hard_vocab_limit=False,  # small data cannot fill a big vocabulary; take what fits
            model_type="unigram",
            character_coverage=1.0,  # keep every kanji seen; byte fallback covers the rest
            byte_fallback=True,
            pad_id=0, eos_id=1, unk_id=2, bos_id=-1,  # T5's layout
            minloglevel=2,
            num_threads=1,
        )
        processor = spm.SentencePieceProcessor(model_file=prefix + ".model")
        vocab = [(processor.id_to_piece(i), processor.get_score(i)) for i in range(processor.get_piece_size())]
    return wrap_vocab(vocab)


def wrap_vocab(vocab: list) -> PreTrainedTokenizerFast:
    """A T5-style fast tokenizer (ends with </s>, pads with id 0) over a unigram vocabulary.

    transformers' own T5Tokenizer turns byte fallback off, so we assemble the pipeline here.
    """
    backend = Tokenizer(models.Unigram(vocab, unk_id=2, byte_fallback=True))
    backend.normalizer = normalizers.NFKC()
    backend.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    backend.decoder = decoders.Sequence(
        [decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)]
    )
    backend.post_processor = processors.TemplateProcessing(
        single=["$A", EOS], pair=["$A", EOS, "$B", EOS], special_tokens=[(EOS, 1)]
    )
    return PreTrainedTokenizerFast(tokenizer_object=backend, eos_token=EOS, pad_token=PAD, unk_token=UNK)


def build_model(tokenizer, size: str = "tiny", seed: int = 42) -> T5ForConditionalGeneration:
    """A freshly initialised T5 shaped by `size`, with its vocabulary matched to `tokenizer`."""
    import torch

    preset = SIZE_PRESETS[size]
    config = T5Config(
        vocab_size=len(tokenizer),
        d_model=preset.d_model,
        d_ff=preset.d_ff,
        d_kv=preset.d_kv,
        num_layers=preset.num_layers,
        num_decoder_layers=preset.num_layers,
        num_heads=preset.num_heads,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id,  # T5 starts decoding from <pad>
        dropout_rate=0.1,
    )
    torch.manual_seed(seed)
    return T5ForConditionalGeneration(config)


def build_scratch(texts: list, size: str = "tiny", seed: int = 42):
    """(model, tokenizer) for a new T5 of `size` whose tokenizer is trained on `texts`."""
    tokenizer = train_tokenizer(texts, SIZE_PRESETS[size].vocab_size)
    return build_model(tokenizer, size, seed), tokenizer
