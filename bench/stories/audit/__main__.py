import sys

from bench.stories.audit import main

sys.exit(main())
