import json, sys
from opensearchpy import OpenSearch
c = OpenSearch(hosts=["http://127.0.0.1:9299"], timeout=10)
I="news_v1"
p=lambda n,r: print("###",n,"\n",json.dumps(r,default=str)[:1500],"\n")
p("analyze title railways", c.indices.analyze(index=I, body={"field":"title","text":"railways Railway"}))
p("analyze body railways", c.indices.analyze(index=I, body={"field":"body","text":"railways Railway"}))
r=c.search(index=I, body={"query":{"match":{"title":"railways"}},"explain":True,"size":10})
for h in r["hits"]["hits"]: print(h["_id"], h["_score"], h["_source"]["title"], json.dumps(h.get("_explanation"))[:600])
print()
p("termvectors title doc1", c.termvectors(index=I, id="1", body={"fields":["title"],"term_statistics":True}))
p("term title railwai", c.search(index=I, body={"query":{"term":{"title":"railwai"}}}))
p("validate explain", c.indices.validate_query(index=I, body={"query":{"match":{"title":"railways"}}}, explain=True))
