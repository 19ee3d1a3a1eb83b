"""``python -m pilotdeck`` is the same as the ``pilotdeck`` command."""

from pilotdeck.cli.entry import run

run()
