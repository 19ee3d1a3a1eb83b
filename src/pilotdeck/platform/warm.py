"""Import what the deployed models need before the gateway's web stack, at start-up.

skops, imported to load a scikit-learn model, lists its trusted types by
importing every scikit-learn estimator and, for each NumPy/SciPy ufunc,
scanning every module loaded so far. Imported after FastAPI, pydantic,
SQLAlchemy, pandas and pyarrow (as the first model load would), that scan
walks ~1,000 more modules per ufunc: importing it first saves 0.3-0.45 s of
the time to the first prediction (benchmarks/serving). This module imports
nothing heavy itself, and a failure here only costs that saving: the
gateway's own first load reports any real problem.
"""

from __future__ import annotations

import logging

from pilotdeck.platform import Platform

log = logging.getLogger(__name__)


def warm_model_libraries(platform: Platform) -> bool:
    """Import skops now if a deployed version is a scikit-learn model saved with
    it; True when it did."""
    try:
        from pilotdeck.adapters.registry.loader import needs_skops
        from pilotdeck.domain.serving import DeploymentSpec

        with platform.store.read() as uow:
            deployments = uow.models.deployments()
        for pilot, _rev, doc in deployments:
            spec = DeploymentSpec.parse(doc)
            for version in [v.version for v in spec.variants] + list(spec.shadow):
                if needs_skops(platform.registry.local_path(pilot, version)):
                    import skops.io  # noqa: F401 - the import is the point

                    return True
    except Exception:  # noqa: BLE001 - only a start-up saving is at stake
        log.debug("model libraries not imported ahead", exc_info=True)
    return False
