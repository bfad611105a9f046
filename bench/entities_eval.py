"""Entity extraction on the seeds: strict distinct-entity F1 against a hand-made gold list, and speed.

    .venv/bin/python bench/entities_eval.py [--docs 200] [--no-speed]

F1 is micro-averaged over distinct (article, kind, name) triples; a name counts only
when kind and spelling match exactly (curly and straight apostrophes are the same).
"Raw" is spaCy's spans as labelled (whitespace collapsed, de-duplicated); "canonical" is
EntityExtractor. Speed is extract_many (NER plus canonicalisation) over the seeds
repeated, in one process, with only the `ner` pipe and with the full pipeline.
"""
from __future__ import annotations

import argparse
import importlib
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.entities import KINDS, LABEL_KINDS, MODEL, Entities, EntityExtractor  # noqa: E402

GOLD = ROOT / "tests" / "fixtures" / "entities" / "gold.json"
SEEDS = ROOT / "seeds"


def triples(article: str, entities: Entities) -> set[tuple[str, str, str]]:
    return {(article, kind, name.replace("’", "'"))
            for kind in KINDS for name in getattr(entities, kind)}


def f1(predicted: set, gold: set) -> tuple[float, float, float]:
    hits = len(predicted & gold)
    precision = hits / len(predicted) if predicted else 0.0
    recall = hits / len(gold) if gold else 0.0
    return precision, recall, (2 * precision * recall / (precision + recall) if hits else 0.0)


def raw_entities(nlp, text: str) -> Entities:
    found = Entities()
    for ent in nlp(text).ents:
        kind = LABEL_KINDS.get(ent.label_)
        name = re.sub(r"\s+", " ", ent.text).strip()
        if kind and name not in getattr(found, kind):
            getattr(found, kind).append(name)
    return found


def speed(extractor: EntityExtractor, docs: list[tuple[str, str]]) -> float:
    extractor.extract_many(docs[:5])  # warm up: model loaded, first batch done
    start = time.perf_counter()
    extractor.extract_many(docs)
    return len(docs) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=200, help="articles for the speed runs")
    parser.add_argument("--no-speed", action="store_true")
    args = parser.parse_args()

    gold_table = {k: v for k, v in json.loads(GOLD.read_text("utf-8")).items() if not k.startswith("_")}
    paths = {p.name[:3]: p for p in sorted(SEEDS.glob("*.txt"))}
    texts = {k: paths[k].read_text("utf-8") for k in gold_table}

    extractor = EntityExtractor()
    canonical = dict(zip(texts, extractor.extract_many(("", t) for t in texts.values())))
    gold = set().union(*(triples(k, Entities(**v)) for k, v in gold_table.items()))
    raw = set().union(*(triples(k, raw_entities(extractor.nlp, t)) for k, t in texts.items()))
    canon = set().union(*(triples(k, e) for k, e in canonical.items()))

    print(f"{'seeds':<12} {'P':>6} {'R':>6} {'F1':>6}   ({len(gold)} gold entities)")
    for label, predicted in (("raw spaCy", raw), ("canonical", canon)):
        p, r, f = f1(predicted, gold)
        print(f"{label:<12} {p:6.3f} {r:6.3f} {f:6.3f}")
    print("missed:  ", sorted(f"{a}:{n}" for a, _, n in gold - canon))
    print("spurious:", sorted(f"{a}:{n}" for a, _, n in canon - gold))

    if args.no_speed:
        return
    bodies = list(texts.values())
    docs = [("", bodies[i % len(bodies)]) for i in range(args.docs)]
    ner_only = speed(EntityExtractor(), docs)
    full = EntityExtractor()
    full._nlp = importlib.import_module(MODEL).load()  # every pipe, for comparison only
    all_pipes = speed(full, docs)
    chars = sum(len(b) for _, b in docs) / len(docs)
    print(f"\nextract_many, {len(docs)} seed articles (mean {chars:.0f} chars), one process:")
    print(f"  ner only:      {ner_only:7.1f} articles/s")
    print(f"  full pipeline: {all_pipes:7.1f} articles/s  ({', '.join(full.nlp.pipe_names)})")
    print(f"  ratio:         {ner_only / all_pipes:7.2f}x")


if __name__ == "__main__":
    main()
