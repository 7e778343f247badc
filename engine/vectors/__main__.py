"""Command line for word vectors. The last line printed is one JSON object.

python -m engine.vectors similarity 犬 猫
python -m engine.vectors most-similar 犬 --topn 10
python -m engine.vectors analogy --positive 王 女 --negative 男
python -m engine.vectors doesnt-match 犬 猫 自動車
python -m engine.vectors sources | convert [--force] | import FILE --name NAME
python -m engine.vectors train CORPUS --name NAME [--vector-size 100 --epochs 10 --cbow …]
python -m engine.vectors hub REPO [--filename F] --name NAME
"""
import argparse
import json
import sys
from pathlib import Path

from engine.core.messages import StudioError
from engine.vectors import chive
from engine.vectors.lookup import analogy, doesnt_match, most_similar, similarity
from engine.vectors.sources import DEFAULT_SOURCE, import_word2vec, list_sources


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m engine.vectors", description="Word vectors (T5 Studio)")
    parser.add_argument("--source", default=DEFAULT_SOURCE, help="vector set name (default: chive)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("similarity", help="cosine similarity of two words")
    p.add_argument("word1")
    p.add_argument("word2")
    p = sub.add_parser("most-similar", help="nearest words")
    p.add_argument("word")
    p.add_argument("--topn", type=int, default=10)
    p = sub.add_parser("analogy", help="word arithmetic, e.g. --positive 王 女 --negative 男")
    p.add_argument("--positive", nargs="+", required=True)
    p.add_argument("--negative", nargs="*", default=[])
    p.add_argument("--topn", type=int, default=10)
    p = sub.add_parser("doesnt-match", help="the word that does not belong")
    p.add_argument("words", nargs="+")
    sub.add_parser("sources", help="list vector sets")
    p = sub.add_parser("convert", help="convert the bundled chiVe vectors into the cache")
    p.add_argument("--force", action="store_true")
    p = sub.add_parser("import", help="store a word2vec text/binary file as a set")
    p.add_argument("path")
    p.add_argument("--name", required=True)
    p = sub.add_parser("train", help="train vectors on a plain-text corpus")
    p.add_argument("corpus")
    p.add_argument("--name", required=True)
    p.add_argument("--vector-size", type=int, default=100)
    p.add_argument("--window", type=int, default=5)
    p.add_argument("--min-count", type=int, default=2)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--cbow", action="store_true", help="CBOW instead of skip-gram")
    p = sub.add_parser("hub", help="fetch a word2vec file from the Hugging Face Hub")
    p.add_argument("repo")
    p.add_argument("--filename", default="")
    p.add_argument("--name", required=True)
    return parser


def _run(args) -> dict:
    if args.command == "similarity":
        return similarity(args.word1, args.word2, args.source)
    if args.command == "most-similar":
        return most_similar(args.word, args.topn, args.source)
    if args.command == "analogy":
        return analogy(args.positive, args.negative, args.topn, args.source)
    if args.command == "doesnt-match":
        return doesnt_match(args.words, args.source)
    if args.command == "sources":
        return {"sources": list_sources()}
    if args.command == "convert":
        return {"folder": str(chive.ensure_cache(force=args.force))}
    if args.command == "import":
        return import_word2vec(args.path, args.name, origin=Path(args.path).name)
    if args.command == "train":
        from engine.vectors.training import VectorTrainConfig, train_vectors

        config = VectorTrainConfig(vector_size=args.vector_size, window=args.window, min_count=args.min_count,
                                   epochs=args.epochs, sg=not args.cbow)
        return train_vectors(args.corpus, args.name, config, progress=_print_progress)
    if args.command == "hub":
        from engine.vectors.hub import fetch_from_hub

        return fetch_from_hub(args.repo, args.filename, args.name)
    raise AssertionError(args.command)


def _print_progress(fraction: float, message: str) -> None:
    print(f"[{fraction:5.0%}] {message}", file=sys.stderr, flush=True)


def _print_human(result: dict) -> None:
    for note in result.get("notes", []):
        print(note)
    if "similarity" in result:
        print(f"{result['words'][0]} / {result['words'][1]}: {result['similarity']:+.4f}")
    for row in result.get("results", []) or result.get("scores", []):
        print(f"{row['score']:+.4f}  {row['word']}")
    if "odd" in result:
        print(f"odd one out: {result['odd']}")


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        result = _run(args)
    except StudioError as exc:
        print(json.dumps({"ok": False, "error": exc.key, "message": exc.message()}, ensure_ascii=False))
        return 1
    _print_human(result)
    print(json.dumps({"ok": True, **result}, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
