"""``python -m faultproof.cli``: the same as the ``faultproof`` command."""

from faultproof.cli.main import main

main()
