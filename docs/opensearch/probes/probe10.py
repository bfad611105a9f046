import json
from opensearchpy import OpenSearch, helpers
c = OpenSearch(hosts=["http://127.0.0.1:9299"], timeout=10)
I="news_v2"
c.indices.delete(index=I, ignore=[404])
c.indices.create(index=I, body={"settings":{"number_of_shards":1,"analysis":{"analyzer":{"shingle_an":{"type":"custom","tokenizer":"standard","filter":["lowercase","sh"]}},"filter":{"sh":{"type":"shingle","min_shingle_size":2,"max_shingle_size":3}}}},
 "mappings":{"properties":{"title":{"type":"text","analyzer":"english","fields":{"plain":{"type":"text","analyzer":"standard"},"shingle":{"type":"text","analyzer":"shingle_an"}}},"section":{"type":"keyword"},"published":{"type":"date"},"suggest":{"type":"completion","contexts":[{"name":"section","type":"category","path":"section"}]}}}})
docs=["Railway strike ends after talks","Ministers announce new railway funding","Government railway plans","Football club wins cup final","Railway workers vote on strike"]
helpers.bulk(c,[{"_index":I,"_id":str(i),"_source":{"title":t,"section":"s"+str(i%2),"published":"2026-11-0%dT00:00:00Z"%(i+1),"suggest":{"input":[t],"weight":i+1}}} for i,t in enumerate(docs)], refresh=True)
def s(name, body):
    try:
        r=c.search(index=I, body=body); out={"hits":[(h["_id"],h["_score"]) for h in r["hits"]["hits"]]}
        if "suggest" in r: out["suggest"]={k:[[o.get("text") for o in e["options"]] for e in v] for k,v in r["suggest"].items()}
        print(f"### {name}\nREQ {json.dumps(body)}\nOK {json.dumps(out)[:700]}\n")
    except Exception as e: print(f"### {name}\nREQ {json.dumps(body)}\nERR {str(e)[:400]}\n")
s("prefix on english text", {"query":{"prefix":{"title":"rail"}}})
s("fuzzy on english text (term railwai, 1 edit)", {"query":{"fuzzy":{"title":{"value":"raiwai","fuzziness":"AUTO"}}}})
s("match fuzziness AUTO typo", {"query":{"match":{"title":{"query":"raliway","fuzziness":"AUTO"}}}})
s("match_bool_prefix", {"query":{"match_bool_prefix":{"title":"railway str"}}})
s("match_phrase_prefix", {"query":{"match_phrase_prefix":{"title":"railway str"}}})
s("term suggester on plain subfield", {"size":0,"suggest":{"t":{"text":"raliway strke","term":{"field":"title.plain","suggest_mode":"missing"}}}})
s("phrase suggester on shingle subfield", {"size":0,"suggest":{"p":{"text":"raliway strke","phrase":{"field":"title.shingle","size":2,"direct_generator":[{"field":"title.plain","suggest_mode":"always"}],"collate":{"query":{"source":{"match_phrase":{"title.plain":"{{suggestion}}"}}},"prune":True}}}}})
s("completion with weights", {"suggest":{"ac":{"prefix":"rai","completion":{"field":"suggest","size":5}}},"_source":False})
s("completion with category context", {"suggest":{"ac":{"prefix":"rai","completion":{"field":"suggest","size":5,"contexts":{"section":["s0"]}}}},"_source":False})
s("highlight multi-field matched_fields", {"query":{"match":{"title":"railways"}},"highlight":{"pre_tags":["<mark>"],"post_tags":["</mark>"],"fields":{"title":{}}},"size":2})
