"""``python -m console`` runs the same command line as the ``rolldeck`` script."""

import sys

from console.cli import main

sys.exit(main())
