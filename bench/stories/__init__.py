"""Stories (issue 16): `bench.stories.quality` (pair precision and recall on the labelled pairs),
`bench.stories.audit` (the folds changed since a54e576 on the whole RSS archive, labelled blind) and
`bench.stories.cost` (indexing and search with and without folding), run together by `make bench`."""
from __future__ import annotations

from pathlib import Path


def run(data: Path, quick: bool = False) -> dict:
    from bench.stories import audit, cost, quality

    out = {"quality": quality.run(data), "audit": audit.run(data)}
    out.update(cost.run(data) if not quick else {"search": cost.search(data, repeats=1)})
    return out


def summary(r: dict) -> list[tuple]:
    rows = []
    q = r.get("quality", {})
    for name, label in (("all", "all 913"), ("rss", "RSS"), ("bbc", "BBC")):
        m = q.get(name)
        if m:
            rows.append((f"stories: same-story pairs, {label} P / R", f"{m['precision']:.3f} / {m['recall']:.3f}", "",
                         "P ≥ 0.98, R ≥ 0.90", m["precision"] >= 0.98 and m["recall"] >= 0.90))
    a = r.get("audit", {}).get("added")
    if a:
        rows.append(("stories: archive folds added since a54e576, P (80 read blind)", f"{a['precision of the folded']}",
                     f"{a['folded same_story']} same, {a['folded different_story']} different", "", None))
    i = r.get("indexing")
    if i:
        rows.append(("stories: indexing art/s (reuters, no entities, 2 workers)", f"{i['with stories']}",
                     f"without {i['without']}", "drop ≤ 10%", i["drop"] <= 0.10))
    s = r.get("search")
    if s and "skipped" not in s:
        rows.append(("stories: full search p50 ms, folded", f"{s['story']['p50']}", f"collapse=none {s['none']['p50']}",
                     "≤ +1 ms", s["p50_added_ms"] <= 1.0))
    return rows
