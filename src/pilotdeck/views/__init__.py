"""Typed views: what services return, the API serves and the SDK parses.

One pydantic model per thing a user looks at (pilot, model version,
deployment, drift report, ...), one module per aggregate. Attributes are
snake_case in Python; JSON keys are camelCase everywhere (API, CLI
``--format json``, SDK), like the manifests. Views import only the domain.
"""

from pilotdeck.views.base import View

__all__ = ["View"]
