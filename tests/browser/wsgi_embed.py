"""The API as `api.wsgi` serves it, plus the embedding routes, for the browser tests.

Until `create_app` calls `add_embed_routes` itself, this module does; once it does, this is the
same app as api.wsgi (the routes are added only when missing)."""
from api.app import create_app
from api.config import Config
from api.embed import add_embed_routes
from search.engine import Engine

config = Config.from_env()
engine = Engine(config.index, lock_timeout=config.write_lock_timeout)
app = create_app(config, engine=engine)
if app._router.find("/widget.js") is None:  # not wired by create_app yet
    add_embed_routes(app, engine, config)
