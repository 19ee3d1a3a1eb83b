"""Wiring of the feature store: Feast adapters under the lake, guarded by the catalogue."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pilotdeck.adapters.features import FeastRepository
    from pilotdeck.platform import Platform
    from pilotdeck.services.features import FeatureService


def feature_service(platform: Platform) -> FeatureService:
    from pilotdeck.adapters.features import FeastRepository, feast_installed
    from pilotdeck.adapters.features.definitions import DefinitionFiles
    from pilotdeck.adapters.features.lake import LakeFeatureData
    from pilotdeck.adapters.features.repo import online_config
    from pilotdeck.services.features import FeatureService

    lake = platform.lake
    root, data, s = lake.features_dir, LakeFeatureData(lake), platform.settings
    repo: list[FeastRepository] = []

    def repository() -> FeastRepository:  # built (feature_store.yaml written) on use
        if not repo:
            repo.append(FeastRepository(root, s.features_project, s.features_online,
                                        data.source_path))
        return repo[0]

    service = FeatureService(platform.store, DefinitionFiles(root / "definitions"), repository,
                             feast_installed, data.source_exists, data.output_path,
                             online_config(s.features_online, root)[0], data.entity_source)
    # Views read from catalogued datasets obey the datasets' grants.
    service.guard = lambda names, who, pilot: platform.datasets.guard_reads(names, who, pilot)
    service.pilot_may_read = lambda name, pilot: platform.datasets.pilot_may_read(name, pilot)
    return service
