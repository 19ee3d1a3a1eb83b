"""docs/security.md states the grants and limits the code has."""

from __future__ import annotations

import re
from pathlib import Path

from pilotdeck.auth.roles import GRANTS, MUST_BE_SCOPED, SCOPED, Permission, Role
from pilotdeck.config import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def between(text: str, name: str) -> str:
    start = text.index(f"<!-- {name}")
    return text[text.index("\n", start) + 1:text.index(f"<!-- /{name} -->")]


def roles_table() -> str:
    """The table as the code says it should read."""
    roles = list(Role)
    lines = ["| permission | " + " | ".join(r.value for r in roles) + " |",
             "|---|" + "---|" * len(roles)]
    for perm in Permission:
        if perm is Permission.PUBLIC:
            continue
        cells = []
        for role in roles:
            if perm not in GRANTS[role]:
                cells.append("—")
            elif perm in SCOPED.get(role, frozenset()):
                cells.append("own pilots" if role in MUST_BE_SCOPED else "its pilots")
            else:
                cells.append("yes")
        lines.append(f"| `{perm.value}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def test_the_roles_table_is_the_code() -> None:
    assert between(DOC.read_text(), "roles-table") == roles_table()


def test_every_limit_named_is_a_setting() -> None:
    names = re.findall(r"^\| `([a-z_]+)` \|", between(DOC.read_text(), "settings-table"), re.M)
    assert len(names) >= 8
    unknown = [n for n in names if n not in Settings.model_fields]
    assert not unknown, f"docs/security.md names settings that do not exist: {unknown}"


def test_the_readme_links_the_security_model() -> None:
    assert "docs/security.md" in (DOC.parents[1] / "README.md").read_text()
