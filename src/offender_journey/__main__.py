"""``python -m offender_journey`` is the ``offender-journey`` command."""

import sys

from .cli import main

sys.exit(main())
