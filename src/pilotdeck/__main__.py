"""``python -m pilotdeck`` is the same as the ``pilotdeck`` command."""

from pilotdeck.cli.main import run

run()
