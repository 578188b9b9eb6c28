"""``python -m _generated``: the ``genai-usage`` command line (see :mod:`_generated.cli`)."""

import sys

from _generated.cli import main

if __name__ == "__main__":
    sys.exit(main())
