import json, sys, traceback
from opensearchpy import OpenSearch, helpers
from opensearchpy.exceptions import TransportError
c = OpenSearch(hosts=[sys.argv[1] if len(sys.argv)>1 else "http://127.0.0.1:9299"], timeout=10)
OUT=[]
def run(name, fn):
    try:
        r = fn()
        s = json.dumps(r, default=str)
        print(f"### {name}\nOK {s[:1500]}\n")
        return r
    except TransportError as e:
        print(f"### {name}\nERR {type(e).__name__} status={e.status_code} info={json.dumps(e.info, default=str)[:1500]}\n")
    except Exception as e:
        print(f"### {name}\nEXC {type(e).__name__}: {e}\n")
I="news_v1"
run("delete", lambda: c.indices.delete(index="news_*", ignore=[404]))
mapping = {
 "settings": {"number_of_shards": 2, "number_of_replicas": 0,
   "analysis": {"analyzer": {"en_stem": {"type":"custom","tokenizer":"standard","filter":["lowercase","english_possessive_stemmer","english_stop","english_stemmer"]}},
                "filter": {"english_stemmer":{"type":"stemmer","language":"english"},"english_possessive_stemmer":{"type":"stemmer","language":"possessive_english"},"english_stop":{"type":"stop","stopwords":"_english_"}}}},
 "mappings": {"properties": {
   "title": {"type":"text","analyzer":"en_stem"},
   "body": {"type":"text","analyzer":"english"},
   "section": {"type":"keyword"}, "tags": {"type":"keyword"},
   "published": {"type":"date"}, "checksum": {"type":"keyword","index":False},
   "suggest": {"type":"completion"}}}}
run("create index", lambda: c.indices.create(index=I, body=mapping))
run("get mapping", lambda: c.indices.get_mapping(index=I))
run("get settings", lambda: c.indices.get_settings(index=I))
run("analyze english", lambda: c.indices.analyze(index=I, body={"analyzer":"english","text":"The runners were running quickly over the bridges"}))
run("analyze en_stem", lambda: c.indices.analyze(index=I, body={"field":"title","text":"Ministers' meetings"}))
docs = [
 ("1","Ministers announce new railway funding","The government said railways will receive funding for new trains running through the north.","politics",["rail","budget"],"2026-11-01T10:00:00Z"),
 ("2","Railway strike ends after talks","Unions and operators agreed a deal, ending the strike on the railway network.","business",["rail","labour"],"2026-11-15T09:00:00Z"),
 ("3","Football club wins cup final","The club won the cup final after a dramatic penalty shootout.","sport",["football"],"2026-10-20T18:00:00Z"),
 ("4","New budget for schools","The budget gives schools new funding for teachers and buildings.","politics",["budget","education"],"2026-11-20T12:00:00Z"),
 ("5","Markets rally as inflation falls","Stock markets rallied as inflation fell to its lowest level this year.","business",["markets"],"2026-11-28T08:00:00Z"),
]
actions = [{"_op_type":"index","_index":I,"_id":d[0],"_source":{"title":d[1],"body":d[2],"section":d[3],"tags":d[4],"published":d[5],"checksum":"c"+d[0],"suggest":{"input":[d[1]]}}} for d in docs]
run("helpers.bulk", lambda: helpers.bulk(c, actions, refresh=True))
raw = '\n'.join([json.dumps({"index":{"_index":I,"_id":"6"}}), json.dumps({"title":"Late train","section":"transport","published":"2026-11-29T00:00:00Z"}),
 json.dumps({"index":{"_index":I,"_id":"7"}}), json.dumps({"title":"Bad date","published":"not-a-date"}),
 json.dumps({"delete":{"_index":I,"_id":"nope"}}),
 json.dumps({"create":{"_index":I,"_id":"1"}}), json.dumps({"title":"dup"}),
 json.dumps({"update":{"_index":I,"_id":"6"}}), json.dumps({"doc":{"section":"transport2"}}),
 json.dumps({"delete":{"_index":I,"_id":"6"}})])+'\n'
run("raw _bulk mixed with errors", lambda: c.bulk(body=raw, refresh=True))
run("helpers.bulk raise_on_error=False", lambda: helpers.bulk(c, [{"_index":I,"_id":"8","_source":{"published":"bad"}},{"_index":I,"_id":"9","_source":{"title":"Ok doc nine","published":"2026-01-01"}}], raise_on_error=False, refresh=True))
def sb():
    return list(helpers.streaming_bulk(c, [{"_index":I,"_id":"10","_source":{"published":"bad"}},{"_index":I,"_id":"11","_source":{"title":"eleven"}}], raise_on_error=False))
run("streaming_bulk raise_on_error=False", sb)
run("helpers.bulk raise_on_error=True", lambda: helpers.bulk(c, [{"_index":I,"_id":"12","_source":{"published":"bad"}}]))
run("delete 9,11", lambda: helpers.bulk(c, [{"_op_type":"delete","_index":I,"_id":x} for x in ["9","11"]], refresh=True))
run("_count", lambda: c.count(index=I))
run("_count query", lambda: c.count(index=I, body={"query":{"term":{"section":"politics"}}}))
