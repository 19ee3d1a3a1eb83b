"""Ports: the interfaces services and the gateway are typed against.

Each module declares one adapter kind as a ``typing.Protocol`` plus the plain
values that cross it (MLflow's ``abstract_store.py`` beside its stores is the
model). Implementations live in ``pilotdeck.adapters`` and are picked by URI
scheme in the composition root; nothing here imports an adapter or a heavy
library at runtime.
"""
