"""How the audit's 120 pairs were drawn (run once, 2026-12-01; kept as the record, not run by the bench).

Inputs: `old.json` and `new.json`, each item id -> story label over the whole RSS archive, made by
`bench.stories.archive.assign` (then a one-off script of the same steps) with the code of a54e576
(the detector of stop 21) and of cf4b072 (this session's, before its last three guards).
Pairs: consecutive versions (by date) of a story in one assignment whose items are in different
stories in the other, leaving out items of the gold pairs: 105 pairs only the new code folded, 1,003
only the old. 80 and 40 drawn with random.Random(20261201), shuffled together, numbered; the
annotator saw `pairs.jsonl` only (not `key.jsonl`, not which code folded which).
"""
import json, gzip, random, collections
old = json.load(open('/tmp/s16/old.json')); new = json.load(open('/tmp/s16/new.json'))
items = {}
for line in gzip.open('/work/shared/data/news/rss-2023q1/articles.jsonl.gz','rt'):
    d = json.loads(line); items[d['id']] = d
gold = set()
for l in open('/work/main/bench/stories/pairs.jsonl'):
    r = json.loads(l); gold.add(r.get('a')); gold.add(r.get('b'))
def pairs(lab):
    g = collections.defaultdict(list)
    for i, l in lab.items(): g[l].append(i)
    out = set()
    for m in g.values():
        if len(m) < 2: continue
        m = sorted(m, key=lambda i: items[i]['date_published'] or '')
        for x, y in zip(m, m[1:]): out.add((x, y))   # consecutive versions: the edges a reader sees
    return out
po, pn = pairs(old), pairs(new)
lo = {i: l for i, l in old.items()}; ln = new
only_new = [p for p in pn if lo[p[0]] != lo[p[1]] and not (set(p) & gold)]
only_old = [p for p in po if ln[p[0]] != ln[p[1]] and not (set(p) & gold)]
print(len(only_new), len(only_old))
rnd = random.Random(20261201)
sample = [('n', p) for p in rnd.sample(sorted(only_new), 80)] + [('o', p) for p in rnd.sample(sorted(only_old), 40)]
rnd.shuffle(sample)
def show(d):
    return {"id": d["id"], "source": d["source_domain"], "date": d["date_published"], "title": d["title"],
            "url": d.get("link"), "description": (d.get("description") or "")[:600]}
with open('/tmp/s16/audit_pairs.jsonl', 'w') as f, open('/tmp/s16/audit_key.jsonl', 'w') as k:
    for n, (side, (x, y)) in enumerate(sample):
        f.write(json.dumps({"pair": n, "a": show(items[x]), "b": show(items[y])}, ensure_ascii=False) + "\n")
        k.write(json.dumps({"pair": n, "side": side, "a": x, "b": y}) + "\n")
