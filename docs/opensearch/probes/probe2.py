import json, sys
sys.path.insert(0,"/tmp/osprobe")
from opensearchpy import OpenSearch
from opensearchpy.exceptions import TransportError
c = OpenSearch(hosts=[sys.argv[1] if len(sys.argv)>1 else "http://127.0.0.1:9299"], timeout=10)
I="news_v1"
def brief(r):
    if isinstance(r, dict) and "hits" in r:
        h = r["hits"]
        out = {"total": h.get("total"), "max_score": h.get("max_score"), "hits":[{"_id":x["_id"],"_score":x.get("_score"),"sort":x.get("sort"),"highlight":x.get("highlight")} for x in h["hits"]]}
        for k in ("aggregations","suggest"):
            if k in r: out[k]=r[k]
        return out
    return r
def s(name, body, **kw):
    try:
        r = c.search(index=kw.pop("index", I), body=body, **kw)
        print(f"### {name}\nREQ {json.dumps(body)}\nOK {json.dumps(brief(r), default=str)[:2000]}\n")
        return r
    except TransportError as e:
        print(f"### {name}\nREQ {json.dumps(body)}\nERR {type(e).__name__} status={e.status_code} info={json.dumps(e.info, default=str)[:1200]}\n")
s("match stemmed", {"query":{"match":{"body":"run"}}})
s("match title en_stem", {"query":{"match":{"title":"railways"}}})
s("multi_match", {"query":{"multi_match":{"query":"railway funding","fields":["title^2","body"]}}})
s("multi_match best_fields/type", {"query":{"multi_match":{"query":"railway funding","fields":["title^2","body"],"type":"most_fields","operator":"and"}}})
s("bool must/filter/must_not/should", {"query":{"bool":{"must":[{"match":{"body":"funding"}}],"filter":[{"term":{"section":"politics"}}],"must_not":[{"term":{"tags":"education"}}],"should":[{"match":{"title":"railway"}}]}}})
s("match_phrase", {"query":{"match_phrase":{"body":"strike on the railway"}}})
s("match_phrase slop", {"query":{"match_phrase":{"body":{"query":"deal strike","slop":3}}}})
s("prefix keyword", {"query":{"prefix":{"section":"pol"}}})
s("prefix text", {"query":{"prefix":{"title":"rail"}}})
s("match_phrase_prefix", {"query":{"match_phrase_prefix":{"title":"railway str"}}})
s("fuzzy", {"query":{"fuzzy":{"title":{"value":"raliway","fuzziness":"AUTO"}}}})
s("match fuzziness", {"query":{"match":{"body":{"query":"goverment","fuzziness":"AUTO"}}}})
s("query_string", {"query":{"query_string":{"query":"railway AND (strike OR funding)","default_field":"body"}}})
s("simple_query_string", {"query":{"simple_query_string":{"query":"\"cup final\" -rugby","fields":["title","body"]}}})
s("range date", {"query":{"range":{"published":{"gte":"2026-11-10","lt":"2026-11-25"}}}})
s("range date math", {"query":{"range":{"published":{"gte":"now-60d/d"}}}})
s("terms / ids", {"query":{"bool":{"filter":[{"terms":{"section":["sport","business"]}},{"ids":{"values":["2","3","5"]}}]}}})
s("exists", {"query":{"bool":{"must_not":{"exists":{"field":"tags"}}}}})
s("sort by date desc + from/size", {"query":{"match_all":{}},"sort":[{"published":{"order":"desc"}},{"_id":"asc"}],"from":1,"size":2})
s("sort score then date", {"query":{"match":{"body":"funding"}},"sort":["_score",{"published":"desc"}]})
s("search_after", {"query":{"match_all":{}},"sort":[{"published":"desc"},{"_id":"asc"}],"size":2,"search_after":[1764316800000,"5"]})
s("track_total_hits + _source filter", {"query":{"match_all":{}},"track_total_hits":True,"_source":["title","section"],"size":1})
s("post_filter + filtered terms aggs (disjunctive)", {
 "query":{"match":{"body":"funding new"}},
 "post_filter":{"bool":{"filter":[{"terms":{"section":["politics"]}},{"terms":{"tags":["budget"]}}]}},
 "aggs":{
   "f_section":{"filter":{"bool":{"filter":[{"terms":{"tags":["budget"]}}]}},"aggs":{"v":{"terms":{"field":"section","size":10}}}},
   "f_tags":{"filter":{"bool":{"filter":[{"terms":{"section":["politics"]}}]}},"aggs":{"v":{"terms":{"field":"tags","size":10,"min_doc_count":1}}}}}})
s("terms agg all + order + missing", {"size":0,"aggs":{"s":{"terms":{"field":"section","order":{"_count":"desc"},"size":2}},"t":{"terms":{"field":"tags","missing":"(none)"}}}})
s("date_histogram", {"size":0,"aggs":{"d":{"date_histogram":{"field":"published","calendar_interval":"week","min_doc_count":0,"format":"yyyy-MM-dd"}}}})
s("date_histogram month extended_bounds tz", {"size":0,"aggs":{"d":{"date_histogram":{"field":"published","calendar_interval":"month","time_zone":"Europe/London","extended_bounds":{"min":"2026-09-01","max":"2026-12-01"},"min_doc_count":0}}}})
s("date_histogram fixed_interval", {"size":0,"aggs":{"d":{"date_histogram":{"field":"published","fixed_interval":"7d"}}}})
s("auto_date_histogram", {"size":0,"aggs":{"d":{"auto_date_histogram":{"field":"published","buckets":5}}}})
s("min/max/cardinality", {"size":0,"aggs":{"mn":{"min":{"field":"published"}},"mx":{"max":{"field":"published"}},"card":{"cardinality":{"field":"section"}}}})
s("global agg", {"query":{"term":{"section":"sport"}},"size":0,"aggs":{"all":{"global":{},"aggs":{"s":{"terms":{"field":"section"}}}}}})
s("highlight <mark> html encoder", {"query":{"match":{"body":"funding trains"}},"highlight":{"pre_tags":["<mark>"],"post_tags":["</mark>"],"encoder":"html","fields":{"body":{"fragment_size":60,"number_of_fragments":2},"title":{"number_of_fragments":0}},"require_field_match":False}})
c.index(index=I, id="20", body={"title":"Q&A: <script> tags & railway","body":"Is the <b>railway</b> safe? Fish & chips & railways.","section":"misc","published":"2026-11-30T00:00:00Z"}, refresh=True)
s("highlight html escaping", {"query":{"match":{"body":"railway"}},"highlight":{"pre_tags":["<mark>"],"post_tags":["</mark>"],"encoder":"html","fields":{"body":{},"title":{}},"require_field_match":False}, "size":10})
s("highlight type unified/plain/fvh", {"query":{"match":{"body":"railway"}},"highlight":{"type":"plain","pre_tags":["<mark>"],"post_tags":["</mark>"],"fields":{"body":{}}}})
s("highlight no_match_size", {"query":{"match":{"title":"railway"}},"highlight":{"fields":{"body":{"no_match_size":30}},"require_field_match":True}})
c.delete(index=I, id="20", refresh=True)
s("function_score gauss decay", {"query":{"function_score":{"query":{"match":{"body":"funding"}},"functions":[{"gauss":{"published":{"origin":"2026-12-01T00:00:00Z","scale":"7d","offset":"1d","decay":0.5}}}],"boost_mode":"multiply","score_mode":"multiply"}}})
s("function_score gauss origin now", {"query":{"function_score":{"query":{"match_all":{}},"functions":[{"gauss":{"published":{"origin":"now","scale":"30d"}},"weight":2}],"boost_mode":"sum"}}})
s("more_like_this by id", {"query":{"more_like_this":{"fields":["title","body"],"like":[{"_index":I,"_id":"1"}],"min_term_freq":1,"min_doc_freq":1}}})
s("more_like_this by text", {"query":{"more_like_this":{"fields":["body"],"like":"railway strike unions","min_term_freq":1,"min_doc_freq":1,"max_query_terms":12}}})
s("completion suggester", {"suggest":{"ac":{"prefix":"rail","completion":{"field":"suggest","size":5,"skip_duplicates":True}}},"_source":False})
s("completion fuzzy", {"suggest":{"ac":{"prefix":"rial","completion":{"field":"suggest","fuzzy":{"fuzziness":1}}}}})
s("term suggester", {"suggest":{"t":{"text":"raliway fundng","term":{"field":"body","suggest_mode":"popular"}}},"size":0})
s("phrase suggester", {"suggest":{"p":{"text":"railway fundng","phrase":{"field":"body","size":3,"gram_size":1,"direct_generator":[{"field":"body","suggest_mode":"always"}],"highlight":{"pre_tag":"<mark>","post_tag":"</mark>"}}}},"size":0})
s("explain score", {"query":{"match":{"body":"funding"}},"explain":True,"size":1})
