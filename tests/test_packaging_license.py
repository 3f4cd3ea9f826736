"""Installing rolldeck prints no setuptools deprecation warning about its license: the metadata
carries an SPDX expression (``License-Expression``), not a TOML table or license classifiers.

Builds the wheel metadata the way pip does (setuptools' PEP 517 hook) in a fresh process with
every warning shown, and reads what it printed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]

HOOK = """
import sys, warnings
warnings.simplefilter("always")
from setuptools import build_meta
print(build_meta.prepare_metadata_for_build_wheel(sys.argv[1]))
"""


def test_building_the_metadata_warns_of_nothing_about_the_license(tmp_path: Path) -> None:
    out = tmp_path / "meta"
    out.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", HOOK, str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300, check=True
    )
    printed = done.stdout + done.stderr
    assert "licen" not in printed.lower(), printed  # setuptools ≥ 77 names the license in each such warning
    assert "SetuptoolsDeprecationWarning" not in printed, printed
    metadata = (out / done.stdout.strip().splitlines()[-1] / "METADATA").read_text()
    assert "License-Expression: Apache-2.0" in metadata.splitlines()
    assert not any(line.startswith("Classifier: License") for line in metadata.splitlines())
