"""``python -m addin.cli ...``: the ``caseload`` command line."""

from addin.cli import main

main()
