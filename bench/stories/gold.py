"""The labelled "same story" pairs of bench/stories, with the two texts of each pair.

    from bench.stories.gold import load_pairs
    pairs = load_pairs("../shared/data")            # RSS and BBC pairs, targets only
    same = [p for p in pairs if p.label == "same_story"]

Texts are read from the data folder (RSS items by their line in the gzip file, checked against
their id; BBC stories by path, checked against their sha256). With `data_dir=None` the copies kept
beside the labels are used instead: RSS summaries in full, BBC stories by their lead paragraph
only, enough to show a disagreement but not to measure on.
"""
from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGETS = ("same_story", "different_story")


@dataclass(frozen=True)
class Item:
    id: str              # RSS item id (rss2023-NNNNNN) or bbc:<category>/<n>.txt
    source: str          # outlet domain, or "bbc"
    date: str | None     # date_published as the feed gives it; None for BBC (no dates)
    title: str
    text: str            # RSS: the description as the feed gives it (may hold HTML); BBC: the body
    file: str            # path under the data folder
    line: int | None     # 0-based line in the gzip file (RSS), None for BBC


@dataclass(frozen=True)
class Pair:
    a: Item
    b: Item
    label: str           # same_story | different_story | unsure
    kind: str            # the stratum it was drawn from (README.md)
    note: str            # why, in a few words
    corpus: str          # rss | bbc
    same_event: bool     # different reports of one event by different newsrooms (different_story)
    labelled_by: str     # reading | computed (byte-identical BBC files)


def _read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _rss_items(data_dir: Path | None) -> dict[str, Item]:
    stored = {r["id"]: r for r in _read_jsonl(HERE / "items.jsonl")}
    if data_dir is None:
        return {i: Item(i, r["source"], r["date"], r["title"], r["text"], r["file"], r["line"])
                for i, r in stored.items()}
    files = {r["file"] for r in stored.values()}
    (file,) = files
    wanted = {r["line"]: r["id"] for r in stored.values()}
    last = max(wanted)
    items = {}
    with gzip.open(data_dir / file, "rt", encoding="utf-8") as f:
        for line_no, line in enumerate(f):
            if line_no in wanted:
                d = json.loads(line)
                if d["id"] != wanted[line_no]:
                    raise ValueError(f"{file} line {line_no} holds {d['id']}, expected {wanted[line_no]}")
                items[d["id"]] = Item(d["id"], d["source_domain"], d["date_published"], d["title"],
                                      d.get("description") or "", file, line_no)
            if line_no >= last:
                break
    missing = set(stored) - set(items)
    if missing:
        raise ValueError(f"{len(missing)} labelled RSS items not found in {data_dir / file}")
    return items


def _bbc_items(data_dir: Path | None) -> dict[str, Item]:
    import hashlib

    items = {}
    for r in _read_jsonl(HERE / "bbc_items.jsonl"):
        if data_dir is None:
            items[r["id"]] = Item(r["id"], "bbc", None, r["title"], r["lead"], r["file"], None)
            continue
        raw = (data_dir / r["file"]).read_bytes()
        if hashlib.sha256(raw).hexdigest() != r["sha256"]:
            raise ValueError(f"{r['file']} differs from the file that was labelled")
        title, _, body = raw.decode("utf-8", errors="replace").partition("\n")
        items[r["id"]] = Item(r["id"], "bbc", None, title.strip(), body.strip(), r["file"], None)
    return items


def load_pairs(data_dir: str | Path | None = "../shared/data", corpus: str = "all",
               include_unsure: bool = False) -> list[Pair]:
    """The labelled pairs with both items' texts; `corpus` is rss, bbc or all.

    Pairs labelled `unsure` are left out unless `include_unsure`: they are not targets.
    """
    if corpus not in ("rss", "bbc", "all"):
        raise ValueError(f"corpus must be rss, bbc or all, not {corpus!r}")
    root = None if data_dir is None else Path(data_dir)
    pairs = []
    for name, pairs_file, loader in (("rss", "pairs.jsonl", _rss_items), ("bbc", "bbc_pairs.jsonl", _bbc_items)):
        if corpus not in (name, "all"):
            continue
        items = loader(root)
        for r in _read_jsonl(HERE / pairs_file):
            if r["label"] not in TARGETS and not (include_unsure and r["label"] == "unsure"):
                continue
            pairs.append(Pair(items[r["a"]], items[r["b"]], r["label"], r["kind"], r["note"], name,
                              bool(r.get("same_event")), r["labelled_by"]))
    return pairs
