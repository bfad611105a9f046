"""`python -m indexer` is the `newsearch` command."""
from .cli import main

raise SystemExit(main())
