"""The ``pilotdeck`` command line."""
