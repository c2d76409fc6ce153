"""`python -m funcnet`: the same command line as the `funcnet` console script."""

from funcnet._cli import main

raise SystemExit(main())
