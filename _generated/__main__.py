"""``python -m _generated``: the ``genai-usage`` command line (see :mod:`_generated.cli`)."""

from _generated.cli import console_main

if __name__ == "__main__":
    console_main()
