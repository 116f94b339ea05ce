"""``python -m kb.cli``: the ``policykb`` command."""

import sys

from kb.cli.main import main

sys.exit(main())
