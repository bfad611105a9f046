"""Extraction quality: our ``extract_main_text`` next to plain trafilatura, on the same pages, in the same run.

Data: scrapinghub's article-extraction-benchmark pages (``html/<id>.html`` + ``ground-truth.json``).
Metric (the benchmark's own): texts split into ``\\w+`` tokens, multisets of 4-token shingles per page,
per-page precision and recall averaged over pages, F1 from the two averages.

    python -m bench.extraction [DATA_DIR] [--ablate]
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "extraction" / "aeb"
RESULTS = ROOT / "bench" / "results" / "extraction.json"

_TOKEN = re.compile(r"\w+")


def shingles(text: str, n: int = 4) -> Counter:
    """Multiset of n-token shingles; a text shorter than n tokens is one shingle (as in the benchmark)."""
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i:i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i:i + n])


def page_scores(predicted: str, truth: str) -> tuple[float | None, float | None]:
    """(precision, recall) of one page; None where the benchmark leaves the page out of that average."""
    pred, gold = shingles(predicted), shingles(truth)
    tp = sum((pred & gold).values())
    fp = sum((pred - gold).values())
    fn = sum((gold - pred).values())
    if fp == fn == 0:
        return 1.0, 1.0
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    return precision, recall


def score(predictions: dict[str, str], truth: dict[str, str]) -> dict:
    precisions, recalls = [], []
    for page_id, gold in truth.items():
        p, r = page_scores(predictions.get(page_id, ""), gold)
        if p is not None:
            precisions.append(p)
        if r is not None:
            recalls.append(r)
    precision = sum(precisions) / len(precisions) if precisions else 0.0
    recall = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"f1": round(f1, 4), "precision": round(precision, 4), "recall": round(recall, 4)}


def load_pages(data_dir: Path) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """id -> (html, url) and id -> ground-truth article text."""
    truth_file = json.loads((data_dir / "ground-truth.json").read_text(encoding="utf-8"))
    pages, truth = {}, {}
    for page_id, item in sorted(truth_file.items()):
        path = data_dir / "html" / f"{page_id}.html"
        if not path.exists():
            continue
        pages[page_id] = (path.read_bytes().decode("utf-8", errors="replace"), item.get("url"))
        truth[page_id] = item.get("articleBody") or ""
    return pages, truth


def _timed(extract: Callable[[str, str | None], str], pages: dict[str, tuple[str, str]]) -> tuple[dict, float]:
    out, start = {}, time.perf_counter()
    for page_id, (html, url) in pages.items():
        out[page_id] = extract(html, url)
    return out, (time.perf_counter() - start) * 1000 / max(1, len(pages))


def _trafilatura(**options) -> Callable[[str, str | None], str]:
    import trafilatura
    from trafilatura.settings import use_config

    config = use_config()
    config.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")
    return lambda html, url: trafilatura.extract(html, url=url, config=config, **options) or ""


def run(data_dir: Path | None = None, ablate: bool = False) -> dict:
    """Score our extractor and trafilatura on ``data_dir``; {'skipped': reason} when the data is not there.

    trafilatura runs with its defaults and, to compare with its best, with comments off and with
    comments off plus ``favor_precision`` (the setting ours builds on). ``ablate`` adds our extractor
    with each of its rules switched off in turn.
    """
    data_dir = Path(data_dir) if data_dir else DEFAULT_DATA
    if not (data_dir / "ground-truth.json").exists():
        return {"skipped": f"no benchmark data at {data_dir}"}
    from indexer.html import RULES, extract_main_text

    extractors = {
        "newsearch": extract_main_text,
        "trafilatura": _trafilatura(),
        "trafilatura -comments": _trafilatura(include_comments=False),
        "trafilatura -comments +precision": _trafilatura(include_comments=False, favor_precision=True),
    }
    if ablate:
        for rule in sorted(RULES):
            extractors[f"newsearch -{rule}"] = (
                lambda html, url, rules=RULES - {rule}: extract_main_text(html, url, rules=rules))
    pages, truth = load_pages(data_dir)
    results = {"data": str(data_dir), "pages": len(pages), "extractors": {}}
    for name, extract in extractors.items():
        predictions, ms = _timed(extract, pages)
        results["extractors"][name] = {**score(predictions, truth), "ms_per_page": round(ms, 1)}
    return results


def main(argv: list[str]) -> int:
    ablate = "--ablate" in argv
    paths = [a for a in argv if a != "--ablate"]
    results = run(Path(paths[0]) if paths else None, ablate=ablate)
    if "skipped" in results:
        print(f"extraction bench skipped: {results['skipped']}")
        return 0
    print(f"extraction on {results['pages']} pages ({results['data']})")
    print(f"{'extractor':<34} {'F1':>6} {'prec':>6} {'recall':>6} {'ms/page':>8}")
    for name, r in results["extractors"].items():
        print(f"{name:<34} {r['f1']:>6.3f} {r['precision']:>6.3f} {r['recall']:>6.3f} {r['ms_per_page']:>8.1f}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
