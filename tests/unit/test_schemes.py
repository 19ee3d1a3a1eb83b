"""Scheme registries: a URI's scheme picks the builder; an unknown one is a
``ValidationFailed`` that names the setting and the choices, never the URI."""

from __future__ import annotations

import importlib.metadata
import logging
from typing import Any

import pytest

from pilotdeck.adapters.schemes import SchemeRegistry, uri_scheme
from pilotdeck.domain.errors import ValidationFailed


def registry() -> SchemeRegistry[tuple[str, dict[str, Any]]]:
    r: SchemeRegistry[tuple[str, dict[str, Any]]] = SchemeRegistry(
        "thing URL", "PILOTDECK_THING_URL", group="pilotdeck.test_things")
    r.register("memory", lambda uri, **kw: ("memory", kw))
    r.register("postgresql", lambda uri, **kw: ("pg", kw))
    return r


@pytest.mark.parametrize(("uri", "scheme"), [
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg"), ("memory://", "memory"),
    ("REDIS://h:6379/0", "redis"), ("/just/a/path", ""), ("local[4]", ""),
])
def test_uri_scheme(uri: str, scheme: str) -> None:
    assert uri_scheme(uri) == scheme


def test_build_passes_the_uri_scheme_and_keywords() -> None:
    r = registry()
    assert r.build("memory://", size=3) == ("memory", {"size": 3})
    assert r.build("postgresql+psycopg://u@h/db")[0] == "pg"  # +driver falls back
    assert r.schemes() == ["memory", "postgresql"]


@pytest.mark.parametrize("uri", ["mysql://root:hunter2@db/x", "hunter2", ""])
def test_unknown_scheme_names_the_field_and_the_choices_not_the_uri(uri: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        registry().build(uri)
    assert err.value.message == "unsupported thing URL scheme"
    (problem,) = err.value.errors
    assert problem.field == "PILOTDECK_THING_URL"
    assert problem.problem.endswith("is not one of: memory, postgresql")
    assert "hunter2" not in str(err.value)


class FakeEntryPoint:
    def __init__(self, name: str, value: Any) -> None:
        self.name, self.value, self._value = name, f"plugin:{name}", value

    def load(self) -> Any:
        if isinstance(self._value, Exception):
            raise self._value
        return self._value


def test_plugins_add_schemes_but_never_replace_built_ins(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    groups: list[str] = []

    def entry_points(*, group: str) -> list[FakeEntryPoint]:
        groups.append(group)
        return [FakeEntryPoint("s3", lambda uri, **kw: ("s3", kw)),
                FakeEntryPoint("memory", lambda uri, **kw: ("hijacked", kw)),
                FakeEntryPoint("broken", ImportError("no module named broken_plugin"))]

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
    r = registry()
    assert r.build("memory://")[0] == "memory"  # built-in: no plugin lookup needed
    assert groups == []
    with caplog.at_level(logging.WARNING, "pilotdeck.adapters.schemes"):
        assert r.build("s3://bucket/x")[0] == "s3"
    assert groups == ["pilotdeck.test_things"]
    assert r.build("memory://")[0] == "memory"
    assert "broken" not in r.schemes() and "s3" in r.schemes()
    assert "broken" in caplog.text and "memory" in caplog.text
    r.build("s3://again")
    assert groups == ["pilotdeck.test_things"]  # entry points are read once


def test_each_adapter_kind_has_its_own_registry_and_setting() -> None:
    from pilotdeck.adapters.cache import prediction_caches
    from pilotdeck.adapters.compute import engines
    from pilotdeck.adapters.registry import model_registries
    from pilotdeck.adapters.store.db import sql_engines

    assert {"sqlite", "postgresql"} <= set(sql_engines.schemes())
    assert {"memory", "redis", "rediss", "unix"} <= set(prediction_caches.schemes())
    assert {"local", "local[N]", "spark"} <= set(engines.schemes())
    assert {"sqlite", "postgresql", "file", "memory"} <= set(model_registries.schemes())
    assert [r.field for r in (sql_engines, prediction_caches, engines, model_registries)] == [
        "PILOTDECK_DB_URL", "PILOTDECK_CACHE_URL", "--engine", "PILOTDECK_MLFLOW_URI"]


@pytest.mark.parametrize(("name", "engine", "master"), [
    ("local", "local", None), ("spark", "spark", "local[*]"), ("local[2]", "spark", "local[2]"),
    ("spark://head:7077", "spark", "spark://head:7077"),
])
def test_compute_engine_names(name: str, engine: str, master: str | None) -> None:
    from pilotdeck.adapters.compute import make_compute_engine

    built = make_compute_engine(name)
    assert built.name == engine and getattr(built, "master", None) == master


def test_unsupported_database_url_reads_as_before() -> None:
    from pilotdeck.adapters.store.db import make_sql_engine

    with pytest.raises(ValidationFailed) as err:
        make_sql_engine("mysql://nobody:pw@nowhere/db")
    assert "unsupported database URL scheme" in str(err.value)
    assert make_sql_engine("sqlite://").url.get_backend_name() == "sqlite"
