"""The scenario library ships inside the installed package: a non-editable wheel install lists it."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_wheel_install_lists_the_scenario_library(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), str(ROOT)],
        check=True, capture_output=True, text=True, timeout=300,
    )
    (wheel,) = dist.glob("rolldeck-*.whl")
    target = tmp_path / "venv"
    venv.create(target, with_pip=True)
    bin_dir = target / "bin"
    subprocess.run(
        [bin_dir / "python", "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True, capture_output=True, text=True, timeout=300,
    )
    # Dependencies come from the test environment's site-packages; the project itself only from the
    # wheel (an editable install's import hook lives in a .pth file, which PYTHONPATH never runs).
    env = {"PYTHONPATH": sysconfig.get_paths()["purelib"], "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    where = subprocess.run(
        [bin_dir / "python", "-c", "import console, rolldeck_scenarios; print(console.__file__, rolldeck_scenarios.__file__)"],
        check=True, capture_output=True, text=True, cwd=tmp_path, env=env,
    ).stdout
    assert str(ROOT) not in where and str(target) in where
    listed = subprocess.run(
        [bin_dir / "rolldeck", "scenarios"], check=True, capture_output=True, text=True, cwd=tmp_path, env=env
    ).stdout
    names = {line.split()[0] for line in listed.splitlines()}
    assert {"canary-healthy", "canary-5xx", "blue-green-cutover", "fleet-default"} <= names
    site = next((target / "lib").glob("python3*/site-packages"))
    in_tree = {p.parent.relative_to(ROOT) for top in ("engine", "simulator", "console") for p in (ROOT / top).rglob("__init__.py")}
    missing = [str(d) for d in in_tree if not (site / d / "__init__.py").exists()]
    assert not missing, f"packages missing from the wheel (add them to pyproject.toml): {missing}"
    tcss = list((target / "lib").glob("python3*/site-packages/console/rolldeck.tcss"))
    assert tcss, "the console's stylesheet must ship in the wheel"
