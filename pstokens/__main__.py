"""Allow `python -m pstokens`."""

from pstokens.cli.main import main

main()
