import time
from osmem_server import OsmemServer
from opensearchpy import OpenSearch
t=time.monotonic()
with OsmemServer.start(freeze=False, japanese=False) as srv:
    print("start", f"{(time.monotonic()-t)*1000:.0f} ms", srv.url, srv.version)
    base=OpenSearch(hosts=[srv.url])
    base.indices.create(index="seeded", body={"mappings":{"properties":{"t":{"type":"text","analyzer":"english"}}}})
    base.index(index="seeded", id="1", body={"t":"hello world"}, refresh=True)
    ts=[]
    for i in range(5):
        t=time.monotonic()
        with srv.clone() as cl:
            ts.append((time.monotonic()-t)*1000)
            oc=OpenSearch(hosts=[cl.url]); oc.index(index="seeded", id=str(i+2), body={"t":"x"}, refresh=True)
            n=oc.count(index="seeded")["count"]
    print("clone ms", [round(x,1) for x in ts], "count in last clone", n, "base count", base.count(index="seeded")["count"])
    try: base.index(index="seeded", id="z", body={"t":"y"})
    except Exception as e: print("write to base after clone:", str(e)[:160])
    p=srv.process
print("after context exit, returncode:", p.poll())
