"""``python -m mbctwin`` runs the ``mbc`` command line."""

from mbctwin.cli import main

main()
