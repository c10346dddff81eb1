"""`python -m remotecare` is the `remotecare` command."""

from remotecare.cli import main

main()
