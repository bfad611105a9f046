import json, time, socket, threading
from opensearchpy import OpenSearch
import opensearchpy.exceptions as X
def run(name, fn):
    t=time.monotonic()
    try:
        r = fn(); print(f"### {name}\nOK ({time.monotonic()-t:.2f}s) {json.dumps(r, default=str)[:700]}\n")
    except X.TransportError as e:
        print(f"### {name}\nERR ({time.monotonic()-t:.2f}s) {type(e).__name__} mro={[k.__name__ for k in type(e).__mro__[:4]]} status={e.status_code!r} error={str(e.error)[:200]!r} info={str(e.info)[:300]}\n")
    except Exception as e:
        print(f"### {name}\nEXC ({time.monotonic()-t:.2f}s) {type(e).__name__}: {str(e)[:400]}\n")
c = OpenSearch(hosts=["http://127.0.0.1:9299"], timeout=10)
run("cluster.health timeout=1s + request_timeout=5", lambda: c.cluster.health(wait_for_status="green", timeout="1s", request_timeout=5))
run("search params timeout=1ms + request_timeout", lambda: c.search(index="news_a", body={"query":{"match_all":{}}}, params={"timeout":"1ms","request_timeout":5}).get("timed_out"))
run("search body timeout", lambda: c.search(index="news_a", body={"query":{"match_all":{}},"timeout":"1ms"}).get("timed_out"))
# down cluster: nothing listening
down = OpenSearch(hosts=["http://127.0.0.1:9298"], timeout=2, max_retries=2, retry_on_timeout=True)
run("down: search (refused)", lambda: down.search(index="x", body={}))
run("down: ping", lambda: down.ping())
run("down: helpers.bulk", lambda: __import__("opensearchpy.helpers",fromlist=["bulk"]).bulk(down, [{"_index":"x","_source":{}}]))
# a black-hole server: accepts, never answers
srv=socket.socket(); srv.bind(("127.0.0.1",0)); srv.listen(8); port=srv.getsockname()[1]
conns=[]
def acc():
    while True:
        try: s,_=srv.accept(); conns.append(s)
        except OSError: return
threading.Thread(target=acc,daemon=True).start()
slow = OpenSearch(hosts=[f"http://127.0.0.1:{port}"], timeout=0.5, max_retries=1, retry_on_timeout=False)
run("hung server: search timeout=0.5 (client)", lambda: slow.search(index="x", body={}))
run("hung server: per-call request_timeout=0.2", lambda: slow.search(index="x", body={}, request_timeout=0.2))
slow2 = OpenSearch(hosts=[f"http://127.0.0.1:{port}"], timeout=0.3, max_retries=2, retry_on_timeout=True)
run("hung server: retry_on_timeout=True max_retries=2", lambda: slow2.search(index="x", body={}))
srv.close()
# 503-ish from server: retry_on_status
# auth/TLS against osmem
auth = OpenSearch(hosts=["http://127.0.0.1:9299"], http_auth=("admin","wrong"), timeout=5)
run("basic auth with wrong creds (osmem ignores?)", lambda: auth.info()["version"]["number"])
tls = OpenSearch(hosts=["https://127.0.0.1:9299"], use_ssl=True, verify_certs=False, ssl_show_warn=False, timeout=3, max_retries=0)
run("https to osmem", lambda: tls.info())
tls2 = OpenSearch(hosts=[{"host":"127.0.0.1","port":9299,"scheme":"https"}], use_ssl=True, verify_certs=True, ca_certs="/etc/ssl/certs/ca-certificates.crt", timeout=3, max_retries=0)
run("https verify_certs to osmem", lambda: tls2.info())
run("url with auth in it", lambda: OpenSearch(hosts=["http://u:p@127.0.0.1:9299"]).info()["cluster_name"])
