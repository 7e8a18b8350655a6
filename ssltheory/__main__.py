"""``python -m ssltheory``: the command-line interface."""

from ssltheory.cli import main

raise SystemExit(main())
