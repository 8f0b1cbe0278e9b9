"""Allow ``python -m inductiva_top``."""

from inductiva_top.cli import main

raise SystemExit(main())
