import json, math
from opensearchpy import OpenSearch
c = OpenSearch(hosts=["http://127.0.0.1:9299"], timeout=10)
idx="bm25"
c.indices.delete(index=idx, ignore=[404])
c.indices.create(index=idx, body={"settings":{"number_of_shards":1},"mappings":{"properties":{"t":{"type":"text","analyzer":"whitespace"}}}})
docs={"1":"a b c","2":"a a d e f g","3":"b c d","4":"x y z w v","5":"a"}
for k,v in docs.items(): c.index(index=idx,id=k,body={"t":v})
c.indices.refresh(index=idx)
N=len(docs); lens={k:len(v.split()) for k,v in docs.items()}; avgdl=sum(lens.values())/N
def bm25(term, k1=1.2, b=0.75):
    n=sum(1 for v in docs.values() if term in v.split())
    idf=math.log(1+(N-n+0.5)/(n+0.5))
    out={}
    for k,v in docs.items():
        f=v.split().count(term)
        if f: out[k]=idf*f/(f+k1*(1-b+b*lens[k]/avgdl))
    return out
for q in ["a","b","d"]:
    r=c.search(index=idx, body={"query":{"match":{"t":q}}})
    got={h["_id"]:h["_score"] for h in r["hits"]["hits"]}
    exp=bm25(q)
    print(q, "osmem", {k:round(v,6) for k,v in sorted(got.items())}, "lucene-BM25 formula", {k:round(v,6) for k,v in sorted(exp.items())})
r=c.search(index=idx, body={"query":{"match":{"t":"a"}},"explain":True,"size":1})
print(json.dumps(r["hits"]["hits"][0].get("_explanation"))[:1500])
# multi-shard: same docs, 2 shards
idx2="bm25s"; c.indices.delete(index=idx2, ignore=[404])
c.indices.create(index=idx2, body={"settings":{"number_of_shards":3},"mappings":{"properties":{"t":{"type":"text","analyzer":"whitespace"}}}})
for k,v in docs.items(): c.index(index=idx2,id=k,body={"t":v})
c.indices.refresh(index=idx2)
for st in ["query_then_fetch","dfs_query_then_fetch"]:
    r=c.search(index=idx2, body={"query":{"match":{"t":"a"}}}, search_type=st)
    print("3 shards", st, {h["_id"]:round(h["_score"],6) for h in r["hits"]["hits"]}, r["_shards"])
