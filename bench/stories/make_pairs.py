"""Draw candidate "same story?" pairs from the RSS archive and the BBC set, by documented strata.

No similarity detector is used (no MinHash, SimHash, shingle Jaccard): pairs are drawn
from exact keys (equal titles, link slugs, article ids, descriptions or their openings, file
hashes, first paragraphs), rare title word sequences, shared capitalised words, recurring-title
patterns and random draws. PER_STRATUM is a cap: a stratum with fewer candidates takes them all.
The labels are NOT computed here (except byte-identical BBC files): they are judgements made by
reading each pair, kept in labels.jsonl and bbc_labels.jsonl, and only joined in here
(pairs.jsonl, bbc_pairs.jsonl). Re-running with the same data and seed gives the same pairs.

    python -m bench.stories.make_pairs [--data ../shared/data] [--out bench/stories]
"""
from __future__ import annotations

import argparse
import collections
import gzip
import hashlib
import html
import json
import random
import re
from datetime import datetime, timedelta
from pathlib import Path

SEED = 16
RSS = "news/rss-2023q1/articles.jsonl.gz"
PER_STRATUM = {
    "a_identical_title": 120,
    "b_rare_sequence": 80,
    "c_same_outlet_day_word": 45,
    "d_same_slug": 40,
    "e_random_feed_week": 35,
    "f_recurring_title": 45,
    "g_same_description": 40,
    "h_same_article_id": 80,
    "j_same_lede_other_outlet": 75,
    "k_identical_title_same_outlet": 20,
    "l_same_opening_words": 40,
}
WORD = re.compile(r"[a-z0-9']+")
TAG = re.compile(r"<[^>]+>")
RECURRING = re.compile(
    r"live updates|live:|as it happened|horoscope|weather|forecast|stock market|"
    r"stocks |markets |crossword|wordle|briefing|morning digest|what to know|"
    r"quiz|premier league|results|recap|letters|podcast|photos of the day",
    re.I,
)
STOP = set("""a an the of to in on for and or but with at by from as is are was were be been
it its this that these those he she they we you i his her their our your not no after before
over under into out up down about more most new says say said will would can could has have
had do does did than then so if what who why how when where which while just all one two
us u.s. uk""".split())


def load_items(data_dir: Path) -> list[dict]:
    """Every RSS item, with its line number (0-based) in the gzip file."""
    items = []
    with gzip.open(data_dir / RSS, "rt", encoding="utf-8") as f:
        for line_no, line in enumerate(f):
            d = json.loads(line)
            d["line"] = line_no
            d["text"] = clean(d.get("description") or "")
            d["when"] = datetime.fromisoformat(d["date_published"])
            items.append(d)
    return items


def clean(text: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(TAG.sub(" ", text))).strip()


def words(title: str) -> list[str]:
    return WORD.findall(title.lower().replace("\u2019", "'"))


def slug(link: str) -> str:
    """The last meaningful path segment of a link, without query or ids."""
    path = re.sub(r"[?#].*", "", link).rstrip("/")
    parts = [p for p in path.split("/")[3:] if p]
    parts = [p for p in parts if not re.fullmatch(r"(ar-|vi-)?[A-Za-z0-9]{6,10}|\d+|index\.html?|story", p)]
    return parts[-1].lower() if parts else ""


def pair_key(x: dict, y: dict) -> tuple[str, str]:
    return (x["id"], y["id"]) if x["id"] < y["id"] else (y["id"], x["id"])


def draw(items: list[dict], rng: random.Random) -> list[dict]:
    seen: set[tuple[str, str]] = set()
    out: list[dict] = []

    def take(stratum: str, candidates: list[tuple[dict, dict]]) -> None:
        rng.shuffle(candidates)
        n = 0
        for x, y in candidates:
            k = pair_key(x, y)
            if k in seen or x["id"] == y["id"]:
                continue
            seen.add(k)
            out.append({"a": k[0], "b": k[1], "kind": stratum})
            n += 1
            if n >= PER_STRATUM[stratum]:
                break

    near = lambda x, y, days=3: abs(x["when"] - y["when"]) <= timedelta(days=days)  # noqa: E731

    # (a) identical titles across different outlets; one pair per title group
    groups = collections.defaultdict(list)
    for d in items:
        groups[d["title"].strip().lower()].append(d)
    cands = []
    for g in groups.values():
        outlets = {d["source_domain"] for d in g}
        if len(outlets) > 1:
            x = g[0]
            y = next(d for d in g if d["source_domain"] != x["source_domain"])
            cands.append((x, y))
    cands.sort(key=lambda p: pair_key(*p))
    take("a_identical_title", cands)

    # (b) different titles sharing a 4-word sequence whose words are all rare
    #     (document frequency <= 60 in titles), different outlets, within 3 days
    df = collections.Counter()
    for d in items:
        df.update(set(words(d["title"])))
    seqs = collections.defaultdict(list)
    for d in items:
        w = words(d["title"])
        for i in range(len(w) - 3):
            gram = w[i:i + 4]
            if sum(1 for t in gram if t not in STOP and df[t] <= 60) >= 2:
                seqs[" ".join(gram)].append(d)
    cands = []
    for gram in sorted(seqs):
        g = seqs[gram]
        if len(g) > 12:
            continue
        for i, x in enumerate(g):
            for y in g[i + 1:]:
                if (x["source_domain"] != y["source_domain"] and near(x, y)
                        and x["title"].strip().lower() != y["title"].strip().lower()):
                    cands.append((x, y))
    index = {d["id"]: d for d in items}
    cands = [(index[a], index[b]) for a, b in sorted({pair_key(x, y) for x, y in cands})]
    take("b_rare_sequence", cands)

    # (c) same outlet, same day, sharing a capitalised rare title word (a name), different titles
    names = collections.defaultdict(list)
    for d in items:
        for t in set(re.findall(r"\b[A-Z][a-z]{3,}\b", d["title"])):
            if t.lower() not in STOP and 3 <= df[t.lower()] <= 300:
                names[(d["source_domain"], d["when"].date(), t)].append(d)
    cands = []
    for key in sorted(names):
        g = names[key]
        if 2 <= len(g) <= 6:
            x, y = g[0], g[1]
            if x["title"].strip().lower() != y["title"].strip().lower():
                cands.append((x, y))
    take("c_same_outlet_day_word", cands)

    # (d) different titles, same link slug (updates, retitled copies)
    slugs = collections.defaultdict(list)
    for d in items:
        s = slug(d["link"])
        if len(s) >= 25:
            slugs[s].append(d)
    cands = []
    for s in sorted(slugs):
        g = slugs[s]
        titles = {d["title"].strip().lower() for d in g}
        if len(titles) > 1:
            x = g[0]
            y = next(d for d in g if d["title"].strip().lower() != x["title"].strip().lower())
            cands.append((x, y))
    take("d_same_slug", cands)

    # (e) random pairs from the same feed (the category) and the same ISO week
    feeds = collections.defaultdict(list)
    for d in items:
        feeds[(d["source_feed"], d["when"].isocalendar()[:2])].append(d)
    keys = sorted(k for k, g in feeds.items() if len(g) >= 2)
    cands = []
    for _ in range(PER_STRATUM["e_random_feed_week"] * 3):
        g = feeds[rng.choice(keys)]
        x, y = rng.sample(g, 2)
        cands.append((x, y))
    take("e_random_feed_week", cands)

    # (f) recurring titles (live blogs, weather, markets, horoscopes, results, quizzes):
    #     two items matching the same recurring pattern, same outlet, within 7 days
    rec = collections.defaultdict(list)
    for d in items:
        m = RECURRING.search(d["title"])
        if m:
            rec[(d["source_domain"], m.group(0).lower())].append(d)
    cands = []
    for key in sorted(rec):
        g = sorted(rec[key], key=lambda d: d["when"])
        for x, y in zip(g, g[1:]):
            if near(x, y, 7) and x["title"] != y["title"]:
                cands.append((x, y))
    take("f_recurring_title", cands)

    # (g) different titles, identical non-trivial description (retitled copies, or boilerplate)
    descs = collections.defaultdict(list)
    for d in items:
        if len(d["text"]) >= 60:
            descs[d["text"]].append(d)
    cands = []
    for text in sorted(descs):
        g = descs[text]
        for i, x in enumerate(g):
            y = next((z for z in g[i + 1:] if z["title"].strip().lower() != x["title"].strip().lower()), None)
            if y is not None:
                cands.append((x, y))
                break
    take("g_same_description", cands)

    # (h) different titles, same article id in the link (Daily Mail article-N, MSN ar-X,
    #     ABC ?id=N) or the same link path once host, query and fragment are dropped:
    #     retitled or updated versions of one page
    ids = collections.defaultdict(list)
    for d in items:
        ids[article_key(d["link"])].append(d)
    cands = []
    for key in sorted(ids):
        g = ids[key]
        y = next((z for z in g[1:] if z["title"].strip().lower() != g[0]["title"].strip().lower()), None)
        if y is not None:
            cands.append((g[0], y))
    take("h_same_article_id", cands)

    # (j) different outlets, different titles, the same first 80 characters of the
    #     description (a wire story under two headlines, or a shared boilerplate)
    ledes = collections.defaultdict(list)
    for d in items:
        if len(d["text"]) >= 80:
            ledes[d["text"][:80].lower()].append(d)
    cands = []
    for key in sorted(ledes):
        g = ledes[key]
        x = g[0]
        y = next((z for z in g[1:] if z["source_domain"] != x["source_domain"]
                  and z["title"].strip().lower() != x["title"].strip().lower()), None)
        if y is not None:
            cands.append((x, y))
    take("j_same_lede_other_outlet", cands)

    # (k) identical titles, same outlet, more than a day apart (recurring titles, reposts)
    cands = []
    for key in sorted(groups):
        g = sorted(groups[key], key=lambda d: d["when"])
        for x, y in zip(g, g[1:]):
            if x["source_domain"] == y["source_domain"] and not near(x, y, 1):
                cands.append((x, y))
                break
    take("k_identical_title_same_outlet", cands)

    # (l) different outlets within 3 days, different titles, descriptions opening with the
    #     same 50 characters (wire copies under new headlines, or two reports that happen
    #     to open alike)
    openings = collections.defaultdict(list)
    for d in items:
        if len(d["text"]) >= 50:
            openings[d["text"][:50].lower()].append(d)
    cands = []
    for key in sorted(openings):
        g = openings[key]
        for i, x in enumerate(g):
            y = next((z for z in g[i + 1:] if z["source_domain"] != x["source_domain"] and near(x, z)
                      and z["title"].strip().lower() != x["title"].strip().lower()), None)
            if y is not None:
                cands.append((x, y))
    take("l_same_opening_words", cands)
    return out


def article_key(link: str) -> str:
    """A page's identity in its link: an article id where the outlet has one, else the bare path."""
    for pattern in (r"dailymail\.co\.uk/.*article-(\d+)", r"msn\.com/.*/ar-([A-Za-z0-9]+)", r"abcnews\.go\.com/.*[?&]id=(\d+)"):
        m = re.search(pattern, link)
        if m:
            return m.group(1)
    path = re.sub(r"[?#].*", "", link)
    path = re.sub(r"^https?://[^/]+", "", path).replace("/webview/", "/")
    return re.sub(r"/(index\.html?)?$", "", path)


BBC = "news/bbc"


def load_bbc(data_dir: Path) -> list[dict]:
    """Every BBC story: key, path, category, headline, body and the sha256 of its bytes."""
    stories = []
    for path in sorted((data_dir / BBC).glob("*/*.txt")):
        raw = path.read_bytes()
        text = raw.decode("utf-8", errors="replace")
        title, _, body = text.partition("\n")
        rel = path.relative_to(data_dir).as_posix()
        stories.append({
            "id": "bbc:" + path.relative_to(data_dir / BBC).as_posix(), "file": rel,
            "category": path.parent.name, "sha256": hashlib.sha256(raw).hexdigest(),
            "title": title.strip(), "text": body.strip(),
        })
    return stories


def draw_bbc(stories: list[dict], rng: random.Random) -> list[dict]:
    """Byte-identical pairs (labelled by hash), same-headline non-identical pairs, pairs whose
    first paragraph is equal under different headlines, and as many
    same-category negatives: half sharing a rare headline word, half at random."""
    out = []
    by_hash = collections.defaultdict(list)
    for s in stories:
        by_hash[s["sha256"]].append(s)
    for g in sorted(by_hash.values(), key=lambda g: g[0]["id"]):
        for i, x in enumerate(g):
            for y in g[i + 1:]:
                out.append({"a": x["id"], "b": y["id"], "kind": "bbc_identical_bytes",
                            "label": "same_story", "note": "byte-identical files (equal sha256)"})
    by_title = collections.defaultdict(list)
    for s in stories:
        by_title[s["title"].lower()].append(s)
    for t in sorted(by_title):
        g = by_title[t]
        for i, x in enumerate(g):
            for y in g[i + 1:]:
                if x["sha256"] != y["sha256"]:
                    out.append({"a": x["id"], "b": y["id"], "kind": "bbc_same_headline"})
    by_opening = collections.defaultdict(list)
    for s in stories:
        by_opening[s["text"].split("\n")[0].strip().lower()].append(s)
    for t in sorted(by_opening):
        g = by_opening[t]
        for i, x in enumerate(g):
            for y in g[i + 1:]:
                if x["title"].lower() != y["title"].lower():
                    out.append({"a": x["id"], "b": y["id"], "kind": "bbc_same_first_paragraph"})
    taken = {(p["a"], p["b"]) for p in out}
    same_title = {s["id"]: s["title"].lower() for s in stories}
    df = collections.Counter()
    for s in stories:
        df.update(set(words(s["title"])))
    word_groups = collections.defaultdict(list)
    for s in stories:
        for w in set(words(s["title"])):
            if w not in STOP and 2 <= df[w] <= 8 and len(w) > 3:
                word_groups[(s["category"], w)].append(s)
    want = len(out)
    cands = []
    for key in sorted(word_groups):
        g = word_groups[key]
        for i, x in enumerate(g):
            for y in g[i + 1:]:
                cands.append((x, y))
    rng.shuffle(cands)
    negatives = []

    def add(x, y, kind):
        k = (x["id"], y["id"]) if x["id"] < y["id"] else (y["id"], x["id"])
        if k in taken or x["sha256"] == y["sha256"] or same_title[x["id"]] == same_title[y["id"]]:
            return False
        taken.add(k)
        negatives.append({"a": k[0], "b": k[1], "kind": kind})
        return True

    for x, y in cands:
        if len(negatives) >= want // 2:
            break
        add(x, y, "bbc_same_category_shared_word")
    by_cat = collections.defaultdict(list)
    for s in stories:
        by_cat[s["category"]].append(s)
    cats = sorted(by_cat)
    while len(negatives) < want:
        x, y = rng.sample(by_cat[rng.choice(cats)], 2)
        add(x, y, "bbc_same_category_random")
    return out + negatives


def join_labels(candidates: Path, labels: Path, out: Path) -> int:
    """Write the drawn pairs with their hand labels (read from `labels`); returns how many lack one.

    A pair drawn with a label of its own (byte-identical BBC files) keeps it: that one is computed.
    """
    given = {}
    if labels.exists():
        for line in labels.open(encoding="utf-8"):
            r = json.loads(line)
            given[(r["a"], r["b"])] = r
    missing = 0
    with out.open("w", encoding="utf-8") as f:
        for line in candidates.open(encoding="utf-8"):
            p = json.loads(line)
            r = given.get((p["a"], p["b"]))
            row = {"a": p["a"], "b": p["b"]}
            if "label" in p:
                row.update(label=p["label"], kind=p["kind"], note=p["note"], labelled_by="computed")
            elif r is not None:
                row.update(label=r["label"], kind=p["kind"], note=r["note"], labelled_by="reading")
                if r.get("same_event"):
                    row["same_event"] = True
            else:
                missing += 1
                row.update(label="unlabelled", kind=p["kind"], note="")
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return missing


def item_record(d: dict) -> dict:
    return {
        "id": d["id"], "file": RSS, "line": d["line"], "source": d["source_domain"],
        "feed": d["source_feed"], "date": d["date_published"], "title": d["title"],
        "text": d["text"], "link": d["link"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args()
    items = load_items(args.data)
    rng = random.Random(args.seed)
    pairs = draw(items, rng)
    index = {d["id"]: d for d in items}
    used = sorted({p["a"] for p in pairs} | {p["b"] for p in pairs})
    with open(args.out / "candidates.jsonl", "w", encoding="utf-8") as f:
        for p in pairs:
            f.write(json.dumps(p, ensure_ascii=False) + "\n")
    with open(args.out / "items.jsonl", "w", encoding="utf-8") as f:
        for i in used:
            f.write(json.dumps(item_record(index[i]), ensure_ascii=False) + "\n")
    counts = collections.Counter(p["kind"] for p in pairs)

    stories = load_bbc(args.data)
    bbc = draw_bbc(stories, random.Random(args.seed))
    bbc_index = {s["id"]: s for s in stories}
    bbc_used = sorted({p["a"] for p in bbc} | {p["b"] for p in bbc})
    with open(args.out / "bbc_candidates.jsonl", "w", encoding="utf-8") as f:
        for p in bbc:
            f.write(json.dumps(p, ensure_ascii=False) + "\n")
    with open(args.out / "bbc_items.jsonl", "w", encoding="utf-8") as f:
        for i in bbc_used:
            # the lead paragraph only: enough to show a disagreement; the bench reads the whole
            # story from the data folder (we do not copy the corpus into the project)
            s = dict(bbc_index[i])
            body = s.pop("text")
            s["lead"] = body.split("\n")[0].strip()
            s["words"] = len(body.split())
            f.write(json.dumps(s, ensure_ascii=False) + "\n")
    counts.update(p["kind"] for p in bbc)

    unlabelled = join_labels(args.out / "candidates.jsonl", args.out / "labels.jsonl", args.out / "pairs.jsonl")
    unlabelled += join_labels(args.out / "bbc_candidates.jsonl", args.out / "bbc_labels.jsonl",
                              args.out / "bbc_pairs.jsonl")
    if unlabelled:
        print(f"warning: {unlabelled} drawn pairs have no label yet (label 'unlabelled' in the output)")
    print(json.dumps({"pairs": len(pairs), "items": len(used), "bbc_pairs": len(bbc),
                      "per_stratum": counts}, indent=1))


if __name__ == "__main__":
    main()
