"""``python -m rolldeck.console`` runs the same command line as the ``rolldeck`` script."""

import sys

from rolldeck.console.cli import main

sys.exit(main())
