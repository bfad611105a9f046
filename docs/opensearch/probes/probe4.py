import json
from opensearchpy import OpenSearch
c = OpenSearch(hosts=["http://127.0.0.1:9299"], timeout=10)
variants = {
 "lc": (["lowercase"], {}),
 "lc_stemmer_en": (["lowercase","st"], {"st":{"type":"stemmer","language":"english"}}),
 "lc_porter": (["lowercase","porter_stem"], {}),
 "lc_poss": (["lowercase","ps"], {"ps":{"type":"stemmer","language":"possessive_english"}}),
 "lc_stop": (["lowercase","sp"], {"sp":{"type":"stop","stopwords":"_english_"}}),
 "lc_builtin_stop": (["lowercase","stop"], {}),
 "lc_kstem": (["lowercase","kstem"], {}),
 "lc_snowball": (["lowercase","sn"], {"sn":{"type":"snowball","language":"English"}}),
 "lc_asciifold": (["lowercase","asciifolding"], {}),
 "lc_poss_builtin_name": (["lowercase","ps"], {"ps":{"type":"stemmer","name":"possessive_english"}}),
 "lc_light_en": (["lowercase","ps"], {"ps":{"type":"stemmer","language":"light_english"}}),
 "lc_minimal_en": (["lowercase","ps"], {"ps":{"type":"stemmer","language":"minimal_english"}}),
 "lc_shingle": (["lowercase","sh"], {"sh":{"type":"shingle","min_shingle_size":2,"max_shingle_size":2}}),
 "lc_synonym": (["lowercase","sy"], {"sy":{"type":"synonym","synonyms":["rail, train"]}}),
 "lc_stop_poss_order": (["lowercase","sp","st"], {"sp":{"type":"stop","stopwords":"_english_"},"st":{"type":"stemmer","language":"english"}}),
 "html_strip_cf": (["lowercase"], {}),
}
for name,(filters,fdefs) in variants.items():
    idx="t_"+name
    c.indices.delete(index=idx, ignore=[404])
    try: c.indices.create(index=idx, body={"settings":{"analysis":{"analyzer":{"a":{"type":"custom","tokenizer":"standard","filter":filters}},"filter":fdefs}},"mappings":{"properties":{"t":{"type":"text","analyzer":"a"}}}})
    except Exception as e: print(name, "CREATE ERR", e); continue
    try:
      c.index(index=idx, id="1", body={"t":"Railways running"}, refresh=True)
    except Exception as e:
      print(name, "ERR", e); c.indices.delete(index=idx); continue
    c.index(index=idx, id="2", body={"t":"Football cup"}, refresh=True)
    tv = c.termvectors(index=idx, id="1", body={"fields":["t"]})["term_vectors"]["t"]["terms"]
    an = [t["token"] for t in c.indices.analyze(index=idx, body={"field":"t","text":"Railways running"})["tokens"]]
    hits = [h["_id"] for h in c.search(index=idx, body={"query":{"match":{"t":"railways"}}})["hits"]["hits"]]
    print(f"{name:18} indexed={list(tv)} analyze={an} match(railways)->{hits}")
    c.indices.delete(index=idx)
# built-in analyzers on a field
for an in ["english","standard","simple","whitespace","snowball"]:
    idx="t_b_"+an
    c.indices.delete(index=idx, ignore=[404])
    try:
        c.indices.create(index=idx, body={"mappings":{"properties":{"t":{"type":"text","analyzer":an}}}})
        c.index(index=idx, id="1", body={"t":"Railways running"}, refresh=True)
        tv = c.termvectors(index=idx, id="1", body={"fields":["t"]})["term_vectors"]["t"]["terms"]
        print(f"builtin {an:10} indexed={list(tv)}")
        c.indices.delete(index=idx)
    except Exception as e: print("builtin", an, "ERR", e)
