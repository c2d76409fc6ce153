"""`python -m funcnet`: the same command line as the `funcnet` console script."""

from funcnet._cli import main

if __name__ == "__main__":  # not when pytest imports the package's modules for doctests
    raise SystemExit(main())
