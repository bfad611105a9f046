"""Source, byline and date: the indexer's answers against a hand-made gold set, and what it finds without evidence.

    python -m bench.facts [DATA_DIR] [--rss N] [--show]

1. Gold (bench/gold/facts.json, 61 real articles from BBC, RSS, Reuters-21578 and the extraction benchmark,
   written by hand before the extractor was run on them): the share of articles whose source, byline and
   date are each right, and all three at once.
2. Dates on the extraction benchmark's 97 pages: pages where a date is found; and the pages that carry a
   publication date in their markup (meta, microdata, <time datetime>, JSON-LD) where none is found.
3. BBC (2,225 stories, which never name their publisher nor carry a byline line) and the first N RSS items
   (whose only publisher evidence is `source_domain`/`source_feed` and which have no author field): every
   source and byline found, by the evidence it came from. On BBC any source is one without evidence; on RSS
   any source other than the outlet's own name, and any byline not from an explicit `By ...` line.

Runs the pipeline's `build_article` (no entities: they play no part in these fields).
"""
from __future__ import annotations

import gzip
import html as html_lib
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.metadata import lookup_domain  # noqa: E402
from indexer.clean import load_sources  # noqa: E402
from indexer.pipeline import NoArticleText, build_article  # noqa: E402
from indexer.readers import RawDocument, read_html, read_text, record_to_document  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data"
GOLD = ROOT / "bench" / "gold" / "facts.json"
RESULTS = ROOT / "bench" / "results" / "facts.json"
RSS_ITEMS = 20_000

# Markup that carries a publication date (for "the date found on every page that carries one in its markup").
_MARKUP_DATE = re.compile(
    r"""(?:property|name|itemprop)\s*=\s*["'][^"']*(?:published|datePublished|pubdate|publish-date|publication_date|"""
    r"""dc\.date|sailthru\.date|parsely-pub-date|dateCreated)[^"']*["']|"datePublished"\s*:|<time\b[^>]*\bdatetime\s*=""",
    re.I)


def _norm(value: str | None) -> str:
    return " ".join((value or "").split()).casefold()


def _right(found: str | None, accepted: list | None) -> bool:
    if not accepted:
        return found is None
    return _norm(found) in {_norm(a) for a in accepted if a is not None} or (found is None and None in accepted)


# -- reading the gold articles the way the indexer reads them -------------------------------------
def _rss_records(path: Path, limit: int):
    with gzip.open(path, "rb") as fh:
        for i, line in enumerate(fh):
            if i >= limit:
                return
            yield i + 1, line


def _reuters_stories(path: Path) -> dict[str, dict]:
    text = path.read_text(encoding="latin-1")
    stories = {}
    for newid, story in re.findall(r'<REUTERS[^>]*NEWID="(\d+)"[^>]*>(.*?)</REUTERS>', text, re.S):
        def tag(name: str) -> str:
            m = re.search(rf"<{name}>(.*?)</{name}>", story, re.S)
            return html_lib.unescape(m.group(1)).replace("\x03", "").strip() if m else ""
        record = {"id": f"reuters-{newid}", "title": tag("TITLE"), "date_published": tag("DATE"),
                  "body": (tag("DATELINE") + " " + tag("BODY")).strip()}
        if tag("AUTHOR"):
            record["author"] = " ".join(tag("AUTHOR").split())
        stories[newid] = record
    return stories


def gold_documents(data: Path, gold: list[dict]) -> list[tuple[dict, RawDocument]]:
    rss_wanted = {g["ref"] for g in gold if g["corpus"] == "rss"}
    rss: dict[str, RawDocument] = {}
    if rss_wanted:
        for _, line in _rss_records(data / "news" / "rss-2023q1" / "articles.jsonl.gz", RSS_ITEMS):
            record = json.loads(line)
            if record.get("id") in rss_wanted:
                rss[record["id"]] = record_to_document(record, record["id"])
    reuters: dict[str, dict] = {}
    out = []
    for g in gold:
        corpus, ref = g["corpus"], g["ref"]
        if corpus == "bbc":
            root = data / "news" / "bbc"
            raw = read_text(root / ref, root)
        elif corpus == "rss":
            raw = rss[ref]
        elif corpus == "reuters":
            name, newid = ref.split("#")
            if name not in reuters:
                reuters[name] = _reuters_stories(data / "news" / "reuters21578" / name)
            raw = record_to_document(reuters[name][newid], ref)
        else:
            root = data / "extraction" / "aeb"
            raw = read_html(root / ref, root)
        out.append((g, raw))
    return out


def score_gold(data: Path, show: bool = False) -> dict:
    gold = json.loads(GOLD.read_text())["articles"]
    rows = []
    for g, raw in gold_documents(data, gold):
        article = build_article(raw)
        found_date = article.published.isoformat()[:10] if article.published else None
        row = {"corpus": g["corpus"], "ref": g["ref"],
               "source": _right(article.source, g["source"]), "author": _right(article.author, g["author"]),
               "published": found_date == g["published"],
               "found": {"source": article.source, "author": article.author, "published": found_date}}
        row["all"] = row["source"] and row["author"] and row["published"]
        rows.append(row)
        if show and not row["all"]:
            print(f"  miss {g['corpus']}:{g['ref'][:40]} found {row['found']} gold "
                  f"{ {k: g[k] for k in ('source', 'author', 'published')} }", file=sys.stderr)
    n = len(rows)
    share = {k: round(sum(r[k] for r in rows) / n, 3) for k in ("source", "author", "published", "all")}
    by_corpus = {c: {k: round(sum(r[k] for r in rows if r["corpus"] == c) / sum(r["corpus"] == c for r in rows), 3)
                     for k in ("source", "author", "published", "all")}
                 for c in dict.fromkeys(r["corpus"] for r in rows)}
    return {"articles": n, "share_right": share, "by_corpus": by_corpus,
            "misses": [r for r in rows if not r["all"]]}


def aeb_dates(aeb: Path) -> dict:
    pages = sorted((aeb / "html").glob("*.html"))
    without, markup_without = [], []
    for page in pages:
        raw = read_html(page, aeb)
        try:
            article = build_article(raw)
        except NoArticleText:
            article = None
        if article is None or article.published is None:
            without.append(page.name)
            if _MARKUP_DATE.search(page.read_text(encoding="utf-8", errors="replace")):
                markup_without.append(page.name)
    return {"pages": len(pages), "with_date": len(pages) - len(without), "without_date": without,
            "markup_date_but_none_found": markup_without}


def evidence_survey(data: Path, rss_items: int = RSS_ITEMS) -> dict:
    """Every source and byline found on BBC and the first RSS items; those without evidence counted."""
    bbc_root = data / "news" / "bbc"
    sources, authors = Counter(), Counter()
    started = time.perf_counter()
    bbc = 0
    for path in sorted(bbc_root.glob("*/*.txt")):
        raw = read_text(path, bbc_root)
        if not isinstance(raw, RawDocument):
            continue
        bbc += 1
        article = build_article(raw)
        if article.source:
            sources[article.source] += 1
        if article.author:
            authors[article.author] += 1
    out = {"bbc": {"articles": bbc, "with_source": sum(sources.values()), "with_author": sum(authors.values()),
                   # BBC texts never name their publisher: every source found is one without evidence.
                   "sources_without_evidence": sum(sources.values()),
                   "sources": sources.most_common(), "authors": authors.most_common(),
                   "seconds": round(time.perf_counter() - started, 1)}}
    domains = load_sources()["domains"]
    sources, authors, bad_sources, bad_authors = Counter(), Counter(), Counter(), Counter()
    n = 0
    started = time.perf_counter()
    for lineno, line in _rss_records(data / "news" / "rss-2023q1" / "articles.jsonl.gz", rss_items):
        record = json.loads(line)
        raw = record_to_document(record, f"rss:{lineno}")
        if not isinstance(raw, RawDocument):
            continue
        try:
            article = build_article(raw)
        except NoArticleText:
            continue
        n += 1
        expected = lookup_domain(record.get("source_domain"), domains) or record.get("source_domain")
        sources[article.source] += 1
        if article.source != expected:
            bad_sources[f"{article.source} ({record.get('source_domain')})"] += 1
        if article.author:
            authors[article.author] += 1
            text = f"{record.get('description') or ''}"
            first = re.escape(article.author.split(",")[0].split(" and ")[0])
            # Evidence: a `By ...` line, or a closing bio that opens with the name (`Devi Sridhar is chair of ...`).
            if not re.search(rf"(?:^|\n|>)\s*By:?\s+{first}|(?:^|\n|>)\s*{first}\s+(?:is|writes|serves as)\b", text):
                bad_authors[article.author] += 1
    out["rss"] = {"articles": n, "sources": sources.most_common(), "authors": authors.most_common(),
                  "sources_without_evidence": sum(bad_sources.values()), "sources_not_the_outlets": bad_sources.most_common(),
                  "authors_without_evidence": sum(bad_authors.values()), "authors_not_from_a_byline": bad_authors.most_common(),
                  "seconds": round(time.perf_counter() - started, 1)}
    return out


def run(data: Path | None = None, rss_items: int = RSS_ITEMS, show: bool = False) -> dict:
    data = Path(data or DEFAULT_DATA)
    result = {"gold": score_gold(data, show=show), "aeb_dates": aeb_dates(data / "extraction" / "aeb"),
              "survey": evidence_survey(data, rss_items)}
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    return result


def summary(r: dict) -> list[tuple]:
    """Rows for `python -m bench`'s table."""
    g, d, s = r["gold"], r["aeb_dates"], r["survey"]
    share = g["share_right"]
    return [
        (f"facts: source/byline/date right ({g['articles']} gold articles)",
         f"{share['source']:.2f}/{share['author']:.2f}/{share['published']:.2f}", f"all three {share['all']:.2f}",
         "all three ≥ 0.95", share["all"] >= 0.95),
        ("facts: aeb pages with a date (markup date missed)", f"{d['with_date']}/{d['pages']}",
         f"missed with markup: {len(d['markup_date_but_none_found'])}", "0 missed with markup",
         not d["markup_date_but_none_found"]),
        (f"facts: sources/bylines without evidence, BBC ({s['bbc']['articles']})",
         f"{s['bbc']['sources_without_evidence']}/{s['bbc']['with_author']}", "bylines all judged by hand", "0 sources",
         s["bbc"]["sources_without_evidence"] == 0),
        (f"facts: sources/bylines without evidence, RSS ({s['rss']['articles']})",
         f"{s['rss']['sources_without_evidence']}/{s['rss']['authors_without_evidence']}", "", "0 / 0",
         s["rss"]["sources_without_evidence"] == 0 and s["rss"]["authors_without_evidence"] == 0),
    ]


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--rss", type=int, default=RSS_ITEMS)
    parser.add_argument("--show", action="store_true", help="print each gold miss")
    args = parser.parse_args(argv)
    r = run(args.data, args.rss, show=args.show)
    print(json.dumps({"gold": {k: r["gold"][k] for k in ("articles", "share_right", "by_corpus")},
                      "aeb_dates": {k: v for k, v in r["aeb_dates"].items() if k != "without_date"},
                      "bbc": {k: v for k, v in r["survey"]["bbc"].items() if k != "sources"} | {
                          "sources": r["survey"]["bbc"]["sources"][:40]},
                      "rss": {k: (v[:40] if isinstance(v, list) else v) for k, v in r["survey"]["rss"].items()
                              if k not in ("authors",)}}, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
