"""A Falcon hello-world JSON app: the HTTP ceiling under the same gunicorn settings as the API."""
import falcon


class Hello:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"hello": "world"}


app = falcon.App()
app.add_route("/v1/search", Hello())
app.add_route("/health", Hello())
