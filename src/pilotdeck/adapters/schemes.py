"""Pick an adapter by the scheme of its URI, the way MLflow picks a store.

One ``SchemeRegistry`` per adapter kind maps a scheme (``sqlite``, ``redis``,
``spark`` …) to a builder; configuration names a URI and the registry builds
the adapter, so no service carries an ``if backend == …`` chain. Modelled on
MLflow's ``StoreRegistry`` (``mlflow/tracking/registry.py``), with two
differences: a plugin (an entry point in the registry's group) may add a
scheme but never replace a built-in one, and an unknown scheme is a
``ValidationFailed`` naming the setting and the schemes on offer, never the
URI itself (it may carry a password).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, TypeVar
from urllib.parse import urlsplit

from pilotdeck.domain.errors import FieldError, ValidationFailed

T = TypeVar("T")
log = logging.getLogger("pilotdeck.adapters.schemes")


def uri_scheme(uri: str) -> str:
    """``postgresql+psycopg://…`` → ``postgresql+psycopg``; ``memory://`` → ``memory``."""
    try:
        return urlsplit(uri).scheme.lower()
    except ValueError:  # e.g. an unbalanced "[" in the netloc
        return ""


class SchemeRegistry(Generic[T]):
    """``{scheme: builder}`` for one kind of adapter.

    ``kind`` and ``field`` only shape the error (``field`` is the setting or
    option the user wrote the URI in); ``group`` is the entry-point group that
    plugins register builders under; ``scheme_of`` extracts the scheme when
    the names are not URIs (compute engines: ``local``, ``local[4]``).
    A scheme with a ``+driver`` suffix falls back to its base scheme, so
    registering ``postgresql`` also serves ``postgresql+psycopg``.
    """

    def __init__(self, kind: str, field: str, *, group: str | None = None,
                 scheme_of: Callable[[str], str] = uri_scheme) -> None:
        self.kind = kind
        self.field = field
        self.group = group
        self._scheme_of = scheme_of
        self._builders: dict[str, Callable[..., T]] = {}
        self._plugins_loaded = group is None
        self._lock = threading.Lock()

    def register(self, scheme: str, builder: Callable[..., T]) -> None:
        """Add (or replace) the builder of ``scheme``; builders take the URI first.

        Write URI schemes in lower case: ``uri_scheme`` lowers what it reads."""
        self._builders[scheme] = builder

    def schemes(self) -> list[str]:
        """The schemes on offer, plugins included."""
        self._load_plugins()
        return sorted(self._builders)

    def builder(self, uri: str) -> Callable[..., T]:
        """The builder for ``uri``'s scheme, or ``ValidationFailed`` naming ``field``."""
        scheme = self._scheme_of(uri)
        found = self._lookup(scheme)
        if found is None:
            self._load_plugins()
            found = self._lookup(scheme)
        if found is None:
            # Name the scheme only: the rest of the URI may hold credentials.
            shown = repr(scheme) if scheme else "(none)"
            raise ValidationFailed(f"unsupported {self.kind} scheme", [FieldError(
                self.field, f"scheme {shown} is not one of: {', '.join(self.schemes())}")])
        return found

    def build(self, uri: str, **kwargs: object) -> T:
        """Build the adapter ``uri`` names; ``kwargs`` go to the builder."""
        return self.builder(uri)(uri, **kwargs)

    def _lookup(self, scheme: str) -> Callable[..., T] | None:
        if not scheme:
            return None
        found = self._builders.get(scheme)
        if found is None and "+" in scheme:
            found = self._builders.get(scheme.partition("+")[0])
        return found

    def _load_plugins(self) -> None:
        """Add the schemes of installed plugins once (entry points in ``group``).

        A plugin never replaces a built-in scheme, and one that fails to load
        is logged and skipped, so a broken plugin cannot break start-up."""
        if self._plugins_loaded:
            return
        with self._lock:
            if self._plugins_loaded:
                return
            from importlib.metadata import entry_points

            assert self.group is not None
            for ep in entry_points(group=self.group):
                if ep.name in self._builders:
                    log.warning("ignoring plugin %s for built-in %s scheme %r",
                                ep.value, self.kind, ep.name)
                    continue
                try:
                    self.register(ep.name, ep.load())
                except (ImportError, AttributeError) as exc:
                    log.warning("cannot load %s plugin %r (%s: %s)", self.kind, ep.name,
                                exc.__class__.__name__, exc)
            self._plugins_loaded = True
