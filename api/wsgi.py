"""The WSGI entry point for gunicorn: `gunicorn -c api/gunicorn.conf.py api.wsgi:app`.

Settings come from the environment (see api/config.py)."""
from api.app import create_app

app = create_app()
