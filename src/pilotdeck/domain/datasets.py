"""Datasets of the catalogue: names, references, tags and who may read or write them.

Pure rules, no I/O. A dataset is a versioned table (a Delta table: a version is
a Delta commit); ``dataset:NAME[@VERSION]`` names one wherever a command takes
a table. Access follows three rules, in order:

1. administrators and the dataset's owner team may always read and write;
2. a dataset tagged ``pii`` is readable only through an explicit grant;
3. otherwise anyone allowed to read datasets may read it, while writing (a new
   version) needs ownership or a ``write`` grant.

A grant names a dataset (or every dataset with a tag) and a role, a team or a
pilot; a pilot grant covers a caller whose token is limited to that pilot and a
job run for that pilot (batch scoring, drift, feature retrieval).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from pilotdeck.domain.errors import FieldError, ValidationFailed

NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
NAME_RULE = "lowercase letters, digits, '_' and '-', starting with a letter, at most 63"
# Tags are labels or key:value pairs: pii, domain:finance, retention:90d.
TAG_RE = re.compile(r"^[a-z][a-z0-9_-]{0,39}(:[a-z0-9][a-z0-9_.-]{0,59})?$")
TAG_RULE = "a label or key:value of lowercase letters, digits, '_', '-' (and '.' in values)"
TEAM_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")
PREFIX = "dataset:"
PII = "pii"
MAX_TAGS = 32


class Access(StrEnum):
    READ = "read"
    WRITE = "write"


class Grantee(StrEnum):
    ROLE = "role"
    TEAM = "team"
    PILOT = "pilot"


@dataclass(frozen=True)
class DatasetRef:
    """``dataset:NAME`` (the latest version) or ``dataset:NAME@VERSION``."""

    name: str
    version: int | None = None

    def __str__(self) -> str:
        return PREFIX + self.name + ("" if self.version is None else f"@{self.version}")


@dataclass(frozen=True)
class PinnedTable:
    """A dataset version a caller was allowed to read: what jobs are handed instead
    of ``dataset:NAME@V`` (the check is done, the version fixed, the files listed),
    so every engine reads exactly the rows of that version."""

    name: str
    version: int
    uri: str
    files: tuple[str, ...]

    def __str__(self) -> str:
        return f"{PREFIX}{self.name}@{self.version}"


def check_name(name: str, field: str = "name") -> str:
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise ValidationFailed("invalid dataset name", [FieldError(field, NAME_RULE)])
    return name


def check_tags(tags: list[str] | tuple[str, ...], field: str = "tags") -> list[str]:
    """Tags validated, de-duplicated and sorted (the catalogue's canonical order)."""
    bad = [FieldError(f"{field}[{i}]", TAG_RULE) for i, t in enumerate(tags)
           if not isinstance(t, str) or not TAG_RE.match(t)]
    if bad:
        raise ValidationFailed("invalid tags", bad)
    out = sorted(set(tags))
    if len(out) > MAX_TAGS:
        raise ValidationFailed("invalid tags", [FieldError(field, f"at most {MAX_TAGS} tags")])
    return out


def is_ref(source: object) -> bool:
    return isinstance(source, str) and source.startswith(PREFIX)


def parse_ref(text: str, field: str = "dataset") -> DatasetRef:
    """``dataset:NAME[@VERSION]`` -> a reference; anything else is a 422 on ``field``."""
    if not is_ref(text):
        raise ValidationFailed("invalid dataset reference", [FieldError(
            field, "expected dataset:NAME or dataset:NAME@VERSION")])
    name, at, version = text[len(PREFIX):].partition("@")
    check_name(name, field)
    if not at:
        return DatasetRef(name)
    if not version.isdigit() or len(version) > 12 or not version.isascii():
        raise ValidationFailed("invalid dataset reference", [FieldError(
            field, "the version after '@' is a whole number >= 0")])
    return DatasetRef(name, int(version))


@dataclass(frozen=True)
class Grant:
    """Who (``grantee`` of kind role/team/pilot) may do what with a dataset or a tag."""

    dataset: str | None  # a dataset name, or None for a tag grant
    tag: str | None
    grantee: Grantee
    principal: str
    access: Access

    @property
    def target(self) -> str:
        return self.dataset if self.dataset is not None else f"tag:{self.tag}"

    def covers(self, name: str, tags: frozenset[str]) -> bool:
        return self.dataset == name if self.dataset is not None else self.tag in tags


@dataclass(frozen=True)
class Caller:
    """The parts of a principal dataset access depends on (kept pure: no auth import)."""

    role: str
    team: str | None
    pilots: frozenset[str] | None  # None: not limited to pilots
    admin: bool = False


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str  # why it is allowed, or which grant is missing


def decide(caller: Caller, name: str, owner: str, tags: frozenset[str],
           grants: list[Grant], access: Access, *, for_pilot: str | None = None) -> Decision:
    """Whether ``caller`` may read or write dataset ``name`` (see the module rules)."""
    if caller.admin:
        return Decision(True, "administrator")
    if caller.team is not None and caller.team == owner:
        return Decision(True, f"owner team {owner}")
    pilots = set(caller.pilots or ())
    if for_pilot is not None:
        pilots.add(for_pilot)
    wanted = {Access.READ: {Access.READ, Access.WRITE}, Access.WRITE: {Access.WRITE}}[access]
    for g in grants:
        if g.access not in wanted or not g.covers(name, tags):
            continue
        if ((g.grantee is Grantee.ROLE and g.principal == caller.role)
                or (g.grantee is Grantee.TEAM and g.principal == caller.team)
                or (g.grantee is Grantee.PILOT and g.principal in pilots)):
            return Decision(True, f"grant on {g.target} to {g.grantee.value}:{g.principal}")
    if access is Access.READ and PII not in tags:
        return Decision(True, "not personal data")
    who = [f"role:{caller.role}"] + ([f"team:{caller.team}"] if caller.team else []) + [
        f"pilot:{p}" for p in sorted(pilots)]
    why = "is tagged pii" if access is Access.READ else f"is owned by team {owner}"
    return Decision(False, f"dataset {name!r} {why}: it needs a {access.value} grant "
                           f"(pilotdeck data grant {name} --to {who[0]} --access {access.value})"
                           f" for one of {', '.join(who)}")


def parse_grantee(text: str, field: str = "to") -> tuple[Grantee, str]:
    """``role:R``, ``team:T`` or ``pilot:P``."""
    kind, _, who = text.partition(":")
    try:
        grantee = Grantee(kind)
    except ValueError:
        raise ValidationFailed("invalid grantee", [FieldError(
            field, "expected role:ROLE, team:TEAM or pilot:PILOT")]) from None
    if not TEAM_RE.match(who):
        raise ValidationFailed("invalid grantee", [FieldError(
            field, "the name after ':' is lowercase letters, digits, '.', '_' or '-'")])
    return grantee, who


def parse_target(text: str, field: str = "target") -> tuple[str | None, str | None]:
    """``NAME`` (one dataset) or ``tag:T`` (every dataset with the tag)."""
    if text.startswith("tag:"):
        return None, check_tags([text[4:]], field)[0]
    return check_name(text, field), None
