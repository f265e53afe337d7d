"""``python -m ij_eval`` is the ``ij-eval`` command."""

import sys

from ij_eval.cli import main

sys.exit(main())
