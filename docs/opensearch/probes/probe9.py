import json, time, random
from opensearchpy import OpenSearch, helpers
c = OpenSearch(hosts=["http://127.0.0.1:9299"], timeout=30)
def run(name, fn):
    t=time.monotonic()
    try: r=fn(); print(f"### {name}\nOK ({time.monotonic()-t:.2f}s) {json.dumps(r, default=str)[:600]}\n")
    except Exception as e: print(f"### {name}\nERR ({time.monotonic()-t:.2f}s) {type(e).__name__}: {str(e)[:400]}\n")
I="perf"
c.indices.delete(index=I, ignore=[404])
c.indices.create(index=I, body={"settings":{"number_of_shards":1},"mappings":{"properties":{"title":{"type":"text","analyzer":"english"},"body":{"type":"text","analyzer":"english"},"section":{"type":"keyword"},"published":{"type":"date"},"checksum":{"type":"keyword"}}}})
random.seed(1); words="government railway strike budget school market inflation football club cup final minister council election weather storm flood police court trial health hospital".split()
def gen(n):
    for i in range(n):
        yield {"_index":I,"_id":str(i),"_source":{"title":" ".join(random.choices(words,k=6)),"body":" ".join(random.choices(words,k=120)),"section":random.choice(["politics","sport","business","local"]),"published":f"2026-{random.randint(1,11):02d}-{random.randint(1,28):02d}T12:00:00Z","checksum":f"h{i}"}}
t=time.monotonic(); ok,err=helpers.bulk(c, gen(5000), chunk_size=500, refresh="wait_for"); dt=time.monotonic()-t
print(f"bulk 5000 docs (120-word bodies): {ok} ok, {len(err)} errors, {dt:.2f}s = {5000/dt:.0f} docs/s (osmem; says nothing about a real cluster)\n")
run("docvalue_fields checksum for ids", lambda: [ (h["_id"],h.get("fields")) for h in c.search(index=I, body={"query":{"ids":{"values":["1","2","3"]}},"_source":False,"docvalue_fields":["checksum"]})["hits"]["hits"]])
run("helpers.scan with _source checksum (scroll) count", lambda: sum(1 for _ in helpers.scan(c, index=I, query={"query":{"match_all":{}},"_source":["checksum"]}, size=1000)))
run("terms query on checksum batch", lambda: c.count(index=I, body={"query":{"terms":{"checksum":[f"h{i}" for i in range(0,1000)]}}}))
t=time.monotonic()
for q in words[:10]:
    c.search(index=I, body={"query":{"multi_match":{"query":q+" "+random.choice(words),"fields":["title^2","body"]}},"aggs":{"s":{"terms":{"field":"section"}},"d":{"date_histogram":{"field":"published","calendar_interval":"month"}}},"highlight":{"fields":{"body":{}}},"size":10})
print(f"10 searches with aggs+highlight on 5000 docs: {(time.monotonic()-t)*100:.1f} ms each (osmem)\n")
run("delete_by_query", lambda: c.delete_by_query(index=I, body={"query":{"term":{"section":"local"}}}, refresh=True)["deleted"])
run("update_by_query", lambda: c.update_by_query(index=I, body={"query":{"term":{"section":"sport"}},"script":{"source":"ctx._source.section='sports'"}}, refresh=True).get("updated"))
run("reindex", lambda: c.reindex(body={"source":{"index":I},"dest":{"index":"perf2"}}, refresh=True).get("created"))
run("refresh=wait_for single index", lambda: c.index(index=I, id="x", body={"title":"x"}, refresh="wait_for")["result"])
run("stats docs count", lambda: c.count(index=I)["count"])
run("index template", lambda: c.indices.put_index_template(name="news_t", body={"index_patterns":["newsx_*"],"template":{"settings":{"number_of_shards":1}}}))
run("search_type dfs", lambda: c.search(index=I, body={"query":{"match":{"body":"railway"}},"size":1}, search_type="dfs_query_then_fetch")["hits"]["total"])
run("msearch", lambda: [r["hits"]["total"]["value"] for r in c.msearch(body=[{"index":I},{"query":{"match":{"body":"storm"}}},{"index":I},{"size":0}])["responses"]])
run("highlight on stemmed multi_match with number_of_fragments/boundary", lambda: c.search(index=I, body={"query":{"multi_match":{"query":"strikes","fields":["title","body"]}},"highlight":{"pre_tags":["<mark>"],"post_tags":["</mark>"],"encoder":"html","fields":{"title":{"number_of_fragments":0},"body":{"fragment_size":80,"number_of_fragments":1}}},"size":1})["hits"]["hits"][0]["highlight"])
c.indices.delete(index="perf2", ignore=[404])
import resource, subprocess
print("osmem RSS:", subprocess.run(["ps","-o","rss=","-p",open("/tmp/osm.pid").read().strip()],capture_output=True,text=True).stdout.strip(), "kB")
