import json
from opensearchpy import OpenSearch
c = OpenSearch(hosts=["http://127.0.0.1:9299"], timeout=10)
variants = {
 "lc_kstem": (["lowercase","kstem"], {}),
 "lc_snowball": (["lowercase","sn"], {"sn":{"type":"snowball","language":"English"}}),
 "lc_asciifold": (["lowercase","asciifolding"], {}),
 "lc_poss_name": (["lowercase","ps"], {"ps":{"type":"stemmer","name":"possessive_english"}}),
 "lc_light_en": (["lowercase","ps"], {"ps":{"type":"stemmer","language":"light_english"}}),
 "lc_minimal_en": (["lowercase","ps"], {"ps":{"type":"stemmer","language":"minimal_english"}}),
 "lc_shingle": (["lowercase","sh"], {"sh":{"type":"shingle","min_shingle_size":2,"max_shingle_size":2}}),
 "lc_synonym": (["lowercase","sy"], {"sy":{"type":"synonym","synonyms":["railways, trains"]}}),
 "lc_stop_stem": (["lowercase","sp","st"], {"sp":{"type":"stop","stopwords":"_english_"},"st":{"type":"stemmer","language":"english"}}),
}
for name,(filters,fdefs) in variants.items():
    idx="t_"+name
    c.indices.delete(index=idx, ignore=[404])
    try:
        c.indices.create(index=idx, body={"settings":{"analysis":{"analyzer":{"a":{"type":"custom","tokenizer":"standard","filter":filters}},"filter":fdefs}},"mappings":{"properties":{"t":{"type":"text","analyzer":"a"}}}})
        print(name, "created;", end=" ")
        c.index(index=idx, id="1", body={"t":"Railways running"}, refresh=True)
        c.index(index=idx, id="2", body={"t":"Football cup"}, refresh=True)
        tv = c.termvectors(index=idx, id="1", body={"fields":["t"]})["term_vectors"]["t"]["terms"]
        hits = [h["_id"] for h in c.search(index=idx, body={"query":{"match":{"t":"railways"}}})["hits"]["hits"]]
        an = [t["token"] for t in c.indices.analyze(index=idx, body={"field":"t","text":"Railways running"})["tokens"]]
        print(f"indexed={list(tv)} match(railways)->{hits} analyze={an}")
    except Exception as e:
        print("ERR", str(e)[:200])
    c.indices.delete(index=idx, ignore=[404])
for an in ["english","standard","simple","whitespace","snowball","keyword"]:
    idx="t_b_"+an
    c.indices.delete(index=idx, ignore=[404])
    try:
        c.indices.create(index=idx, body={"mappings":{"properties":{"t":{"type":"text","analyzer":an}}}})
        c.index(index=idx, id="1", body={"t":"The Railways' running"}, refresh=True)
        tv = c.termvectors(index=idx, id="1", body={"fields":["t"]})["term_vectors"]["t"]["terms"]
        print(f"builtin {an:10} indexed={list(tv)}")
    except Exception as e: print("builtin", an, "ERR", str(e)[:200])
    c.indices.delete(index=idx, ignore=[404])
