"""`python -m cli` is the `newsearch` command."""
from .main import main

raise SystemExit(main())
