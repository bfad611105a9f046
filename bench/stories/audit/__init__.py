"""An audit of the folds the detector changed on the whole RSS archive: `python -m bench.stories.audit`.

The gold pairs (bench/stories/pairs.jsonl) were read before any detector existed; the detector was
then tuned on them, so they alone cannot say how it does on items it was not tuned on. This audit
samples the archive instead: pairs the detector folds that an earlier version did not, and the
reverse, labelled blind (README.md). `python -m bench.stories.audit` re-assigns the archive's
stories with the current code and reports, for the audited pairs, how many it folds and keeps
apart by their label.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run(data_dir=None) -> dict:
    from bench.stories.archive import DATA, RSS, assign, items

    data = Path(data_dir) if data_dir else DATA
    if not (data / RSS).exists():
        return {"skipped": f"no data at {data / RSS}"}
    rows = items(data)
    labels = assign(rows)
    story = {d["id"]: int(label) for d, label in zip(rows, labels)}
    read = {r["pair"]: r["label"] for r in map(json.loads, (HERE / "labels.jsonl").read_text().splitlines())}
    counts: Counter = Counter()
    for key in map(json.loads, (HERE / "key.jsonl").read_text().splitlines()):
        side = "added" if key["side"] == "n" else "removed"
        counts[(side, "folded" if story[key["a"]] == story[key["b"]] else "apart", read[key["pair"]])] += 1
    out: dict = {}
    for side in ("added", "removed"):
        folded_same = counts[(side, "folded", "same_story")]
        folded_diff = counts[(side, "folded", "different_story")]
        out[side] = {f"{state} {label}": counts[(side, state, label)]
                     for state in ("folded", "apart") for label in ("same_story", "different_story", "unsure")}
        out[side]["precision of the folded"] = (round(folded_same / (folded_same + folded_diff), 3)
                                                if folded_same + folded_diff else None)
    return out


def main() -> int:
    r = run()
    if "skipped" in r:
        print(f"audit: skipped ({r['skipped']})")
        return 0
    names = {"added": "pairs the 2026-12-01 detector folded and a54e576 did not (80)",
             "removed": "pairs a54e576 folded and the 2026-12-01 detector did not (40)"}
    for side, m in r.items():
        print(names[side])
        for name, value in m.items():
            print(f"  {name:<28} {value}")
    return 0
