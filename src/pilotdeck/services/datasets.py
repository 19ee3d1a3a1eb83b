"""The dataset catalogue: register and append versions, describe, tag, read.

A dataset is a Delta table (its versions are Delta's) plus a catalogue entry
(owner team, tags, descriptions). A new version and its catalogue change,
audit event and lineage run land in one transaction: the Delta commit is made
while the write transaction holds the audit lock, so a failed Delta write
leaves neither and two registrations of one name are serialised. (A database
commit that fails after the Delta commit leaves that version in the table's
history without a catalogue record; the next registration appends after it.) Every read goes through
:meth:`DatasetService.pin`, which checks the grants (and audits a refusal).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pilotdeck.audit.log import iso, utcnow
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.datasets import (
    TEAM_RE,
    Access,
    PinnedTable,
    check_name,
    check_tags,
    is_ref,
    parse_ref,
)
from pilotdeck.domain.errors import (
    FieldError,
    Forbidden,
    NotFound,
    PreconditionFailed,
    ValidationFailed,
)
from pilotdeck.domain.ports.lake import Lake
from pilotdeck.domain.ports.store import Store
from pilotdeck.services.dataset_access import DatasetAccess
from pilotdeck.services.dataset_logs import SYSTEM, catalogue_logs
from pilotdeck.services.lineage_nodes import file_node
from pilotdeck.views.datasets import (
    DatasetColumn,
    DatasetDetail,
    DatasetRows,
    DatasetSummary,
    DatasetVersion,
    DatasetWritten,
)

if TYPE_CHECKING:
    from pilotdeck.services.data_quality import DataQualityService
    from pilotdeck.services.lineage import LineageService

__all__ = ["DatasetService"]

MAX_QUERY_ROWS = 10_000


def _cell(v: Any) -> Any:
    if isinstance(v, bytes | bytearray):
        return v.hex()
    if isinstance(v, float) and v != v:
        return None
    return v


class DatasetService:
    def __init__(self, store: Store, lake: Lake, access: DatasetAccess,
                 lineage: Callable[[], LineageService] | None = None,
                 quality: Callable[[], DataQualityService] | None = None) -> None:
        self.store, self.lake, self.access = store, lake, access
        self._lineage, self._quality = lineage, quality
        self._logs_catalogued = False

    # -- writing -----------------------------------------------------------
    def register(self, name: str, source: str | Path, who: Principal, *,
                 owner: str | None = None, tags: list[str] | tuple[str, ...] = (),
                 description: str | None = None, uri: str | None = None,
                 merge_schema: bool = False, operation: str = "register",
                 job: str = "data.register", for_pilot: str | None = None,
                 extra_inputs: tuple[str, ...] = (), source_label: str | None = None
                 ) -> DatasetWritten:
        """Create dataset ``name`` from ``source`` or append it as a new version.

        ``source`` is a file or directory (Parquet, CSV, Delta), a DuckDB table,
        or ``dataset:OTHER[@V]`` (read through its grants); ``source_label`` names
        the input in lineage when ``source`` is an intermediate file, and
        ``extra_inputs`` are further lineage inputs (a batch scoring's model)."""
        with self.access.recording():
            return self._register(name, source, who, owner, list(tags), description, uri,
                                  merge_schema, operation, job, for_pilot,
                                  (source_label, *extra_inputs))

    def _register(self, name: str, source: str | Path, who: Principal, owner: str | None,
                  tags: list[str], description: str | None, uri: str | None,
                  merge_schema: bool, operation: str, job: str, for_pilot: str | None,
                  inputs: tuple[str | None, ...]) -> DatasetWritten:
        check_name(name)
        if name in SYSTEM:
            raise ValidationFailed("reserved dataset name", [FieldError(
                "name", f"{name!r} is the gateway's own log, written by pilotdeck only")])
        tags = check_tags(tags)
        if owner is not None and not TEAM_RE.match(owner):
            raise ValidationFailed("invalid owner", [FieldError(
                "owner", "a team name: lowercase letters, digits, '.', '_' or '-'")])
        if not who.can(Permission.DATASETS_WRITE):
            raise Forbidden(f"{who.user} may not write datasets")
        pinned = self.pin(source, who, field="path", for_pilot=for_pilot, via=job) \
            if is_ref(str(source)) else None
        data = self.lake.open_table(pinned or str(source), "path")
        if self._quality is not None and self.lake.load_quality_suite(name) is not None:
            # The new version is checked once committed: a suite that cannot be read
            # refuses the write now, rather than fail the request after the commit.
            self._quality().suite(name)
        if not data.schema.names:
            raise ValidationFailed("nothing to register", [FieldError("path", "has no columns")])
        with self.store.write() as uow:
            row = uow.datasets.get(name, for_update=True)
            created = row is None
            if row is None:
                owner = owner or who.team
                if owner is None:
                    raise ValidationFailed("a new dataset needs an owner", [FieldError(
                        "owner", "name the owner team (--owner): your token has no team")])
                target = self.lake.datasets.check_uri(uri) if uri else \
                    self.lake.datasets.default_uri(name)
            else:
                self.access.require(uow, row, who, Access.WRITE, for_pilot, via=job)
                if owner is not None and owner != row.owner:
                    raise ValidationFailed("owner differs", [FieldError(
                        "owner", f"the dataset is owned by {row.owner}")])
                if uri is not None and self.lake.datasets.check_uri(uri) != row.uri:
                    raise ValidationFailed("uri differs", [FieldError(
                        "uri", "the dataset already lives elsewhere")])
                target = row.uri
            if data.count_rows() == 0:
                raise ValidationFailed("nothing to register", [FieldError(
                    "path", "has no rows")])
            if operation == "register" and not created:
                operation = "append"
            version = self.lake.datasets.write(
                target, data.scanner().to_reader(), create=created,
                merge_schema=merge_schema, operation=operation)
            added = self._rows_added(target, version)
            now = utcnow()
            if row is None:
                assert owner is not None
                row = uow.datasets.add(name=name, uri=target, owner=owner,
                                       description=description or "", tags=tags,
                                       columns={}, created_by=who.user, now=now)
            else:
                row.tags = sorted(set(row.tags or []) | set(tags))
                if description is not None:
                    row.description = description
                row.updated_at = now
                row.revision += 1
            uow.audit.record(who.user, "dataset.registered" if created else "dataset.appended",
                             "dataset", name, {"version": version, "rows": added,
                                               "operation": operation, "tags": row.tags,
                                               "owner": row.owner})
            if self._lineage is not None:  # committed with the version it describes
                # "" names no input (an upload: its temporary file is nobody's node).
                first = inputs[0] if inputs[0] is not None else (
                    str(pinned) if pinned else file_node(source))
                self._lineage().record(job, [n for n in (first, *inputs[1:]) if n],
                                       [f"dataset:{name}@{version}"],
                                       facets={"rows": added, "operation": operation}, uow=uow)
        return DatasetWritten(name=name, version=version, rows=added, created=created,
                              quality=self._check_new(name, version, target, who))

    def record_run(self, job: str, inputs: list[str], outputs: list[str] | None = None, *,
                   facets: dict[str, Any] | None = None) -> None:
        """A lineage run of a job over datasets (a quality check reads a version)."""
        if self._lineage is not None:
            self._lineage().record(job, inputs, outputs or [], facets=facets)

    def _check_new(self, name: str, version: int, uri: str, who: Principal
                   ) -> Literal["passed", "failed", "no-baseline"] | None:
        """A new version against the dataset's quality suite, when it has one (the
        result is stored per version; a failure holds back jobs, not the write)."""
        if self._quality is None:
            return None
        quality = self._quality()
        if quality.lake.load_quality_suite(name) is None:
            return "no-baseline"
        data = self.lake.datasets.snapshot(uri, version).dataset
        result = quality.check(name, version, data, who)
        self.record_run("quality.check", [f"dataset:{name}@{version}"],
                        facets={"passed": result.passed, "failed": result.failed[:20]})
        return "passed" if result.passed else "failed"

    def quality_gate(self, table: PinnedTable, who: Principal, *,
                     allow_failed: bool = False) -> None:
        """Before a job reads a version: refuse one that failed its quality suite
        (Conflict) unless ``allow_failed``."""
        if self._quality is not None:
            self._quality().gate(table.name, table.version, self.lake.open_table(table, "input"),
                                 who, allow_failed=allow_failed)

    def _rows_added(self, uri: str, version: int) -> int:
        for h in self.lake.datasets.history(uri, 1):
            if h.version == version and h.rows_added is not None:
                return int(h.rows_added)
        prev = self.lake.datasets.rows(uri, version - 1) if version else 0
        return self.lake.datasets.rows(uri, version) - prev

    def tag(self, name: str, who: Principal, *, add: tuple[str, ...] | list[str] = (),
            remove: tuple[str, ...] | list[str] = (),
            description: str | None = None, columns: dict[str, str] | None = None,
            expected_revision: int | None = None) -> DatasetDetail:
        """Change tags, the description or column descriptions (audited).

        Tags decide who may read (``pii``), so only the owner team, the governance
        board and administrators change them."""
        added, removed = check_tags(list(add), "add"), check_tags(list(remove), "remove")
        with self.store.write() as uow:
            row = self._row(uow, name, for_update=True)
            if not (who.can(Permission.DATASETS_GRANT) or
                    (who.team == row.owner and who.can(Permission.DATASETS_WRITE))):
                raise Forbidden(f"{who.user} may not change dataset {name!r} (its owner "
                                "team, the governance board and administrators may)")
            if expected_revision is not None and expected_revision != row.revision:
                raise PreconditionFailed(f"dataset {name!r} is at revision {row.revision}, "
                                         f"not {expected_revision}: read it again")
            if columns:
                known = set(self.lake.datasets.snapshot(row.uri).schema.names)
                bad = [c for c in columns if c not in known]
                if bad:
                    raise ValidationFailed("unknown columns", [
                        FieldError(f"columns.{c}", "is not a column of the dataset")
                        for c in bad])
                row.columns = {**(row.columns or {}), **columns}
            before = list(row.tags or [])
            row.tags = sorted((set(before) | set(added)) - set(removed))
            if description is not None:
                row.description = description
            row.updated_at = utcnow()
            row.revision += 1
            uow.audit.record(who.user, "dataset.updated", "dataset", name, {
                "tagsAdded": sorted(set(row.tags) - set(before)),
                "tagsRemoved": sorted(set(before) - set(row.tags)),
                **({"description": description} if description is not None else {}),
                **({"columns": sorted(columns)} if columns else {})})
            return self._detail(uow, row, who)

    def require(self, name: str, who: Principal, access: Access, *, via: str,
                for_pilot: str | None = None) -> None:
        """Raise unless ``who`` may read or write ``name`` (call inside
        ``self.access.recording()`` so a refusal is audited)."""
        self._readable(who)
        with self.store.read() as uow:
            self.access.require(uow, self._row(uow, name), who, access, for_pilot, via=via)

    def guard_reads(self, names: list[str], who: Principal, for_pilot: str | None = None
                    ) -> None:
        """Raise (audited) unless ``who`` may read every dataset in ``names`` (the
        sources of feature views, say)."""
        with self.access.recording():
            for name in names:
                self.require(name, who, Access.READ, via="features", for_pilot=for_pilot)

    def pilot_may_read(self, name: str, pilot: str) -> bool:
        """Whether jobs of ``pilot`` (its gateway lookups) may read ``name``."""
        return self.access.pilot_may_read(name, pilot)

    def check_write(self, name: str, who: Principal, *, for_pilot: str | None = None,
                    owner: str | None = None) -> None:
        """Before a job does its work: may ``who`` write a version of ``name``?"""
        check_name(name, "--output")
        if not who.can(Permission.DATASETS_WRITE):
            raise Forbidden(f"{who.user} may not write datasets")
        with self.access.recording(), self.store.read() as uow:
            row = uow.datasets.get(name)
            if row is not None:
                self.access.require(uow, row, who, Access.WRITE, for_pilot, via="job output")
            elif (owner or who.team) is None:
                raise ValidationFailed("a new dataset needs an owner", [FieldError(
                    "owner", "name the owner team (--owner): your token has no team")])

    # -- reading -----------------------------------------------------------
    def _row(self, uow: Any, name: str, for_update: bool = False) -> Any:
        check_name(name)
        row = uow.datasets.get(name, for_update=for_update)
        if row is None:
            raise NotFound("dataset", name)
        return row

    def _readable(self, who: Principal) -> None:
        if not who.can(Permission.DATASETS_READ):
            raise Forbidden(f"{who.user} may not read the dataset catalogue")
        self._catalogue_logs()

    def _catalogue_logs(self) -> None:
        if not self._logs_catalogued:
            self._logs_catalogued = catalogue_logs(self.store, self.lake)

    def _summary(self, row: Any) -> dict[str, Any]:
        try:
            version, rows = self.lake.datasets.size(row.uri)
        except (NotFound, ValidationFailed):
            version, rows = None, None
        return {"name": row.name, "owner": row.owner, "tags": list(row.tags or []),
                "description": row.description, "version": version, "rows": rows,
                "system": bool(row.system)}

    def list(self, who: Principal, *, tag: str | None = None,
             owner: str | None = None) -> builtins.list[DatasetSummary]:
        self._readable(who)
        with self.store.read() as uow:
            return [DatasetSummary(**self._summary(r))
                    for r in uow.datasets.list(tag=tag, owner=owner)]

    def show(self, name: str, who: Principal) -> DatasetDetail:
        self._readable(who)
        with self.store.read() as uow:
            return self._detail(uow, self._row(uow, name), who)

    def _detail(self, uow: Any, row: Any, who: Principal) -> DatasetDetail:
        summary = self._summary(row)
        described = dict(row.columns or {})
        try:
            schema = self.lake.datasets.snapshot(row.uri).schema
            columns = [DatasetColumn(name=f.name, type=str(f.type),
                                     description=described.get(f.name, "")) for f in schema]
        except (NotFound, ValidationFailed):
            columns = []
        readable = self.access.decision(uow, row, who, Access.READ).allowed
        return DatasetDetail(**summary, uri=self.lake.datasets.display(row.uri),
                             columns=columns, created_by=row.created_by,
                             created_at=iso(row.created_at), updated_at=iso(row.updated_at),
                             revision=row.revision, readable=readable)

    def versions(self, name: str, who: Principal, limit: int | None = None
                 ) -> builtins.list[DatasetVersion]:
        self._readable(who)
        with self.store.read() as uow:
            uri = self._row(uow, name).uri
        return [DatasetVersion(version=h.version,
                               timestamp=iso(h.timestamp) if h.timestamp else None,
                               operation=h.operation, rows_added=h.rows_added,
                               files_added=h.files_added)
                for h in self.lake.datasets.history(uri, limit)]

    def pin(self, source: str | Path, who: Principal, *, field: str = "dataset",
            for_pilot: str | None = None, via: str = "query") -> PinnedTable:
        """``dataset:NAME[@V]`` -> the version to read, once ``who`` may read it."""
        ref = parse_ref(str(source), field)
        self._readable(who)
        with self.access.recording(), self.store.read() as uow:
            row = self._row(uow, ref.name)
            self.access.require(uow, row, who, Access.READ, for_pilot, via=via)
            uri = row.uri
        snap = self.lake.datasets.snapshot(uri, ref.version)
        return PinnedTable(name=ref.name, version=snap.version, uri=uri,
                           files=tuple(snap.files))

    def resolve(self, source: str | Path, who: Principal | None, *, field: str,
                for_pilot: str | None = None, via: str = "job") -> str | PinnedTable:
        """A job's table argument: a dataset reference pinned (access-checked), or a
        path, refused when it points into the catalogue's own files."""
        if is_ref(str(source)):
            if who is None:  # an internal caller never reads a dataset on nobody's behalf
                raise Forbidden("reading a dataset needs a caller whose grants apply")
            return self.pin(source, who, field=field, for_pilot=for_pilot, via=via)
        self.lake.refuse_catalogued(str(source), field)
        return str(source)

    def query(self, name: str, who: Principal, *, version: int | None = None,
              limit: int = 20, columns: builtins.list[str] | None = None) -> DatasetRows:
        """The first ``limit`` rows of a version (through DuckDB over Arrow)."""
        import duckdb

        if not 0 < limit <= MAX_QUERY_ROWS:
            raise ValidationFailed("invalid limit", [FieldError(
                "limit", f"between 1 and {MAX_QUERY_ROWS}")])
        pinned = self.pin(f"dataset:{name}" + ("" if version is None else f"@{version}"),
                          who, field="name", via="query")
        data = self.lake.open_table(pinned, "name")
        names = data.schema.names
        wanted = columns or names
        bad = [c for c in wanted if c not in names]
        if bad:
            raise ValidationFailed("unknown columns", [
                FieldError(f"columns.{c}", "is not a column of the dataset") for c in bad])
        select = ", ".join('"' + c.replace('"', '""') + '"' for c in wanted)
        con = duckdb.connect()
        try:
            con.register("t", data)
            table = con.sql(f"SELECT {select} FROM t LIMIT {limit + 1}").to_arrow_table()
        finally:
            con.close()
        rows = [{k: _cell(v) for k, v in r.items()} for r in table.to_pylist()]
        return DatasetRows(name=name, version=pinned.version, columns=list(wanted),
                           rows=rows[:limit], truncated=len(rows) > limit)
