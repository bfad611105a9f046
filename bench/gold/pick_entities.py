"""Which articles bench/gold/entities.json annotates: a seeded random draw, then a stated filter.

    python -m bench.gold.pick_entities [DATA_DIR]

Prints the chosen articles (corpus, ref, words, title) as JSON lines. Run once to choose; the choice is
then written down in entities.json. The filter looks only at length, language, outlet and a topic
keyword, never at what any extractor makes of the text. Articles already in facts.json are left out.

- BBC (news/bbc): per category, random.Random(1201) shuffles the sorted files; the first stories with
  120-330 words (headline + body; short enough to annotate every name) are taken: business 3, politics 3,
  sport 2, tech 2, entertainment 2.
- RSS (news/rss-2023q1, first 20,000 items): items whose description, HTML tags removed, has 40-160
  words and at least 3 capitalised words not opening a sentence (it names something). random.Random(1202)
  shuffles them; taken in that order, at most one item per outlet (source_domain), 11 items; then 3 more
  (still one per outlet not used yet) among items whose title or description matches a crime word
  (police, court, charged, murder, arrested, trial, sentenced, shooting), so crime is covered.
- Reuters-21578 (all 22 .sgm files): stories with a <BODY> of 60-260 words, random.Random(1203), first 12.
- Extraction benchmark (extraction/aeb): pages whose ground-truth articleBody has 100-600 words and
  is English (at least 5% of its words are one of the, of, and, to, in, is; a first version tested
  ASCII letters only and let an Italian page through), random.Random(1204), first 10.
"""
from __future__ import annotations

import gzip
import html as html_lib
import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
FACTS = ROOT / "bench" / "gold" / "facts.json"
RSS_ITEMS = 20_000
CRIME = re.compile(r"\b(police|court|charged|murder\w*|arrest\w*|trial|sentenced|shooting)\b", re.I)
_TAG = re.compile(r"<[^>]+>")
_ENGLISH = {"the", "of", "and", "to", "in", "is"}


def _words(text: str) -> int:
    return len(text.split())


def _named(text: str) -> int:
    """Capitalised words that do not open a sentence."""
    n = 0
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        n += sum(1 for w in sentence.split()[1:] if w[:1].isupper())
    return n


def rss_text(record: dict) -> str:
    return " ".join(html_lib.unescape(_TAG.sub(" ", record.get("description") or "")).split())


def pick(data: Path) -> list[dict]:
    taken = {(a["corpus"], a["ref"]) for a in json.loads(FACTS.read_text())["articles"]}
    chosen: list[dict] = []
    # BBC
    for category, n in (("business", 3), ("politics", 3), ("sport", 2), ("tech", 2), ("entertainment", 2)):
        files = sorted((data / "news" / "bbc" / category).glob("*.txt"))
        random.Random(1201).shuffle(files)
        got = 0
        for f in files:
            ref = f"{category}/{f.name}"
            text = f.read_bytes().decode("utf-8", "replace")
            if ("bbc", ref) in taken or not 120 <= _words(text) <= 330:
                continue
            chosen.append({"corpus": "bbc", "ref": ref, "words": _words(text), "title": text.splitlines()[0]})
            got += 1
            if got == n:
                break
    # RSS
    items = []
    with gzip.open(data / "news" / "rss-2023q1" / "articles.jsonl.gz", "rt", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i >= RSS_ITEMS:
                break
            r = json.loads(line)
            text = rss_text(r)
            if ("rss", r["id"]) in taken or not 40 <= _words(text) <= 160 or _named(text) < 3:
                continue
            items.append(r)
    random.Random(1202).shuffle(items)
    outlets: set[str] = set()
    for want, crime_only in ((11, False), (3, True)):
        got = 0
        for r in items:
            if r["source_domain"] in outlets or (crime_only and not CRIME.search(r["title"] + " " + rss_text(r))):
                continue
            outlets.add(r["source_domain"])
            chosen.append({"corpus": "rss", "ref": r["id"], "words": _words(rss_text(r)), "title": r["title"],
                           "outlet": r["source_domain"]})
            got += 1
            if got == want:
                break
    # Reuters
    stories = []
    for sgm in sorted((data / "news" / "reuters21578").glob("reut2-*.sgm")):
        text = sgm.read_text(encoding="latin-1")
        for newid, story in re.findall(r'<REUTERS[^>]*NEWID="(\d+)"[^>]*>(.*?)</REUTERS>', text, re.S):
            body = re.search(r"<BODY>(.*?)</BODY>", story, re.S)
            ref = f"{sgm.name}#{newid}"
            if body and ("reuters", ref) not in taken and 60 <= _words(body.group(1)) <= 260:
                title = re.search(r"<TITLE>(.*?)</TITLE>", story, re.S)
                stories.append({"corpus": "reuters", "ref": ref, "words": _words(body.group(1)),
                                "title": html_lib.unescape(title.group(1)) if title else ""})
    random.Random(1203).shuffle(stories)
    chosen.extend(stories[:12])
    # Extraction benchmark
    truth = json.loads((data / "extraction" / "aeb" / "ground-truth.json").read_text())
    pages = []
    for key in sorted(truth):
        body = truth[key]["articleBody"]
        words = body.lower().split()
        ref = f"html/{key}.html"
        if ("aeb", ref) in taken or not 100 <= _words(body) <= 600:
            continue
        if not words or sum(w in _ENGLISH for w in words) / len(words) < 0.05:
            continue
        pages.append({"corpus": "aeb", "ref": ref, "words": _words(body), "title": truth[key]["url"]})
    random.Random(1204).shuffle(pages)
    chosen.extend(pages[:10])
    return chosen


if __name__ == "__main__":
    for row in pick(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DATA):
        print(json.dumps(row, ensure_ascii=False))
