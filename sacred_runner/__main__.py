"""``python -m sacred_runner`` is the ``sacred`` command."""

import sys

from sacred_runner.main import console_main

sys.exit(console_main())
