import json, time, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from opensearchpy import OpenSearch
import opensearchpy.exceptions as X
hits=[]
class H(BaseHTTPRequestHandler):
    def do_GET(self): self.do_POST()
    def do_POST(self):
        hits.append(self.path)
        code=int(self.path.split("/")[1]) if self.path.split("/")[1].isdigit() else 503
        body=json.dumps({"error":{"type":"cluster_block_exception","reason":"blocked"},"status":code}).encode()
        self.send_response(code); self.send_header("Content-Type","application/json"); self.send_header("Content-Length",str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self,*a): pass
srv=ThreadingHTTPServer(("127.0.0.1",0),H); port=srv.server_address[1]
threading.Thread(target=srv.serve_forever,daemon=True).start()
for code in (503,429,502,401,403):
    hits.clear()
    c=OpenSearch(hosts=[f"http://127.0.0.1:{port}"], timeout=2, max_retries=2, retry_on_status=(502,503,504))
    try: c.transport.perform_request("GET", f"/{code}/_search")
    except X.TransportError as e:
        print(code, type(e).__name__, "status", e.status_code, "error", e.error, "requests sent:", len(hits))
srv.shutdown()
