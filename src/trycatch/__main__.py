"""Allow ``python -m trycatch``."""

from trycatch.cli import main

main()
