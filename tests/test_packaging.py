"""The scenario library ships inside the installed package: a non-editable wheel install lists it."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

ROOT = Path(__file__).parents[1]


def _wheel_venv(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """Build rolldeck's wheel and install it, alone, into a fresh venv: (venv, wheel, environment)."""
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), str(ROOT)],
        check=True, capture_output=True, text=True, timeout=300,
    )
    (wheel,) = dist.glob("rolldeck-*.whl")
    target = tmp_path / "venv"
    venv.create(target, with_pip=True)
    # Dependencies come from the test environment's site-packages; the project itself only from the
    # wheel (an editable install's import hook lives in a .pth file, which PYTHONPATH never runs).
    env = {"PYTHONPATH": sysconfig.get_paths()["purelib"], "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    return target, wheel, env


def _pip_install(target: Path, *args: str) -> None:
    subprocess.run(
        [target / "bin" / "python", "-m", "pip", "install", "-q", "--no-deps", "--no-index", *args],
        check=True, capture_output=True, text=True, timeout=300,
    )


def test_wheel_install_lists_the_scenario_library(tmp_path):
    target, wheel, env = _wheel_venv(tmp_path)
    _pip_install(target, str(wheel))
    bin_dir = target / "bin"
    where = subprocess.run(
        [bin_dir / "python", "-c", "import rolldeck.console, rolldeck.scenarios as s; print(rolldeck.console.__file__, s.__file__)"],
        check=True, capture_output=True, text=True, cwd=tmp_path, env=env,
    ).stdout
    assert str(ROOT) not in where and str(target) in where
    listed = subprocess.run(
        [bin_dir / "rolldeck", "scenarios"], check=True, capture_output=True, text=True, cwd=tmp_path, env=env
    ).stdout
    names = {line.split()[0] for line in listed.splitlines()}
    assert {"canary-healthy", "canary-5xx", "blue-green-cutover", "fleet-default"} <= names
    site = next((target / "lib").glob("python3*/site-packages"))
    # Everything rolldeck ships lives under rolldeck/: no top-level engine/, console/, simulator/.
    assert {p.name for p in site.iterdir() if p.is_dir() and not p.name.endswith((".dist-info", "__pycache__"))} - {"pip", "setuptools", "_distutils_hack", "pkg_resources"} == {"rolldeck"}
    in_tree = {p.parent.relative_to(ROOT) for top in ("engine", "simulator", "console") for p in (ROOT / top).rglob("__init__.py")}
    missing = [str(d) for d in in_tree if not (site / "rolldeck" / d / "__init__.py").exists()]
    assert not missing, f"packages missing from the wheel (add them to pyproject.toml): {missing}"
    assert (site / "rolldeck" / "console" / "rolldeck.tcss").exists(), "the console's stylesheet must ship in the wheel"


def test_wheel_lives_beside_an_unrelated_top_level_console_package(tmp_path):
    """A published package called ``console`` exists: installing rolldeck must neither shadow nor
    overwrite it, and rolldeck must still run beside it."""
    target, wheel, env = _wheel_venv(tmp_path)
    other = tmp_path / "other"
    (other / "console").mkdir(parents=True)
    (other / "console" / "__init__.py").write_text("MARKER = 'someone else'\n")
    (other / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "console"\nversion = "0.0.1"\n[tool.setuptools]\npackages = ["console"]\n'
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(other / "dist"), str(other)],
        check=True, capture_output=True, text=True, timeout=300,
    )
    (other_wheel,) = (other / "dist").glob("console-*.whl")
    _pip_install(target, str(other_wheel))
    _pip_install(target, str(wheel))
    bin_dir = target / "bin"
    helped = subprocess.run([bin_dir / "rolldeck", "--help"], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert helped.returncode == 0, helped.stderr
    assert "drill" in helped.stdout
    marker = subprocess.run(
        [bin_dir / "python", "-c", "import console; print(console.MARKER)"],
        check=True, capture_output=True, text=True, cwd=tmp_path, env=env,
    ).stdout.strip()
    assert marker == "someone else"
