"""The type checker sees all of the product: no module is exempt, and every silenced line says why.

`make typecheck` runs mypy (strict on the engine); these checks keep its configuration honest.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("console", "engine", "simulator", "scenarios")
_IGNORE = re.compile(r"#\s*type:\s*ignore(?P<rest>.*)$")
_NAMED_WITH_REASON = re.compile(r"^\[[a-z0-9-]+(,\s*[a-z0-9-]+)*\]\s+#\s*\S")


def test_no_module_is_exempt_from_the_type_checker():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    exempt = [o["module"] for o in config.get("overrides", []) if o.get("ignore_errors")]
    assert exempt == []
    assert not config.get("ignore_errors")


def test_every_type_ignore_names_its_code_and_says_why():
    bare = []
    for folder in PRODUCT:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                found = _IGNORE.search(line)
                if found and not _NAMED_WITH_REASON.match(found["rest"].strip()):
                    bare.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert bare == []
