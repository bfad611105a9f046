"""Exploration, not the detector: how far simple signals go on the labelled pairs (issue 16).

    python -m bench.stories.signals

Prints pair precision and recall of a few rules (same URL, body 3-shingle Jaccard, equal titles
within two days, their union) and the union's misses and false folds. Exact Jaccard on the pairs,
no MinHash: it says which signals the detector needs, not what the detector will score.
Findings: docs/stories/groundwork.md.
"""
import re, sys, html, json, collections
from pathlib import Path
from datetime import datetime
from urllib.parse import urlsplit, parse_qs
from bench.stories.gold import load_pairs
pairs = load_pairs(str(Path(__file__).resolve().parents[2].parent / "shared" / "data"))
links = {d["id"]: d.get("link") for d in map(json.loads, open(Path(__file__).with_name("items.jsonl")))}
W = re.compile(r"\w+")
def clean(t): return re.sub(r"<[^>]+>", " ", html.unescape(t or ""))
def words(t): return [w.casefold() for w in W.findall(clean(t))]
def sh(ws, k): return {tuple(ws[i:i+k]) for i in range(max(1, len(ws)-k+1))} if ws else set()
def jac(a,b): return len(a&b)/len(a|b) if a and b else 0.0
def contain(a,b): return len(a&b)/min(len(a),len(b)) if a and b else 0.0
def ukey(u):
    if not u: return None
    s=urlsplit(u); host=s.netloc.lower().removeprefix("www."); path=s.path.rstrip("/")
    q=parse_qs(s.query); ident=q.get("id",[""])[0]
    return host+path+("?id="+ident if ident else "")
def date(s):
    try: return datetime.fromisoformat(s)
    except Exception: return None
rows=[]
for p in pairs:
    ta, tb = words(p.a.title), words(p.b.title)
    xa, xb = words(p.a.text), words(p.b.text)
    da, db = date(p.a.date), date(p.b.date)
    rows.append(dict(p=p, label=p.label, kind=p.kind, tj=jac(set(ta),set(tb)), teq=" ".join(ta)==" ".join(tb),
        bj=jac(sh(xa,3),sh(xb,3)), bc=contain(sh(xa,3),sh(xb,3)), nwa=len(xa), nwb=len(xb),
        url=ukey(links.get(p.a.id)) is not None and ukey(links.get(p.a.id))==ukey(links.get(p.b.id)),
        days=abs((da-db).total_seconds())/86400 if da and db else None, tlen=min(len(ta),len(tb))))
def ev(rule,name,show=0):
    tp=fp=fn=0; fps=[]; fns=[]
    for r in rows:
        pred=rule(r); same=r["label"]=="same_story"
        tp+=pred and same; fp+=pred and not same; fn+=(not pred) and same
        if pred and not same: fps.append(r)
        if same and not pred: fns.append(r)
    print(f"{name:55s} P={tp/max(1,tp+fp):.3f} R={tp/(tp+fn):.3f} fp={fp} fn={fn}")
    if show:
        print(" FN kinds", collections.Counter(r["kind"] for r in fns))
        print(" FP kinds", collections.Counter(r["kind"] for r in fps))
        for r in fps[:show]: print("  FP", r["kind"], round(r["bj"],2), r["teq"], r["url"], "|", r["p"].a.title[:60], "|", r["p"].b.title[:60], "|", r["p"].note[:80])
        for r in fns[:show]: print("  FN", r["kind"], round(r["bj"],2), round(r["tj"],2), r["nwa"], r["nwb"], r["url"], "|", r["p"].a.title[:50], "|", r["p"].b.title[:50],"|", r["p"].note[:70])
ev(lambda r: r["url"], "same url")
ev(lambda r: r["bj"]>=0.7 and min(r["nwa"],r["nwb"])>=15, "body J>=.7, >=15 words")
ev(lambda r: r["teq"] and r["tlen"]>=4 and (r["days"] is None or r["days"]<=2), "title eq >=4w within 2d")
ev(lambda r: r["url"] or (r["bj"]>=0.7 and min(r["nwa"],r["nwb"])>=15) or (r["teq"] and r["tlen"]>=4 and (r["days"] is None or r["days"]<=2)), "union", show=25)
