import json
from opensearchpy import OpenSearch
c = OpenSearch(hosts=["http://127.0.0.1:9299"], timeout=10)
I="news_v2"
for name, ph in [("shingle field, no collate", {"field":"title.shingle","size":2,"direct_generator":[{"field":"title.plain","suggest_mode":"always"}]}),
                 ("plain field, default generator", {"field":"title.plain","size":2}),
                 ("plain field gram_size 1 + highlight", {"field":"title.plain","size":2,"gram_size":1,"highlight":{"pre_tag":"<mark>","post_tag":"</mark>"}}),
                 ("shingle field, generator on shingle", {"field":"title.shingle","size":2})]:
    try:
        r=c.search(index=I, body={"size":0,"suggest":{"p":{"text":"raliway strke","phrase":ph}}})
        print(name, "->", [(o["text"], o.get("highlighted"), round(o["score"],6)) for o in r["suggest"]["p"][0]["options"]])
    except Exception as e: print(name, "ERR", str(e)[:300])
r=c.search(index=I, body={"query":{"match":{"title":"railways"}},"highlight":{"pre_tags":["<mark>"],"post_tags":["</mark>"],"fields":{"title":{},"title.plain":{}},"require_field_match":False},"size":1})
print("highlight stemmed field:", r["hits"]["hits"][0].get("highlight"))
