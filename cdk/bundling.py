"""Docker-free asset bundling (``ILocalBundling``): the function code and the dependency layer.

CDK calls ``try_bundle`` with an empty output directory. Both bundlers do all their work
locally and return True, so CDK never falls back to Docker; a failure raises with the reason.
Tests skip bundling with the ``aws:cdk:bundling-stacks`` context, or pass ``layer_dir``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import ILocalBundling

#: Lambda's arm64 Python runtimes run on glibc >= 2.26 (AL2) / 2.34 (AL2023)
PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_28_aarch64")
_SKIP_DIRS = {"__pycache__", ".mypy_cache", ".pytest_cache"}
_SKIP_SUFFIXES = (".pyc", ".egg-info")


class BundlingError(RuntimeError):
    """Local bundling failed; the message says what to fix."""


@jsii.implements(ILocalBundling)
class CodeWithConfig:
    """Copy the ``lambda/`` source (minus caches and build metadata) and add the validated config.

    The config lands as ``config.yaml`` at the package root, where ``tollway.gateway.PACKAGED_CONFIG``
    looks for it when ``TOLLWAY_CONFIG`` is unset.
    """

    def __init__(self, source: Path, config_path: Path) -> None:
        self.source = source
        self.config_path = config_path

    def try_bundle(self, output_dir: str, options: Any = None) -> bool:
        out = Path(output_dir)
        for entry in sorted(self.source.iterdir()):
            if _skipped(entry):
                continue
            target = out / entry.name
            if entry.is_dir():
                shutil.copytree(entry, target, ignore=_ignore, dirs_exist_ok=True)
            else:
                shutil.copy2(entry, target)
        shutil.copyfile(self.config_path, out / "config.yaml")
        return True


@jsii.implements(ILocalBundling)
class PipLayer:
    """``pip install`` the layer's requirements as arm64 wheels for the function's Python version."""

    def __init__(self, requirements: Path, python_version: str, platforms: tuple[str, ...] = PLATFORMS) -> None:
        self.requirements = requirements
        self.python_version = python_version
        self.platforms = platforms

    def command(self, target: Path) -> list[str]:
        platform_args = [arg for platform in self.platforms for arg in ("--platform", platform)]
        return [
            sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
            "--requirement", str(self.requirements), "--target", str(target),
            *platform_args, "--only-binary=:all:", "--implementation", "cp",
            "--python-version", self.python_version,
        ]

    def try_bundle(self, output_dir: str, options: Any = None) -> bool:
        target = Path(output_dir) / "python"
        result = subprocess.run(self.command(target), capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()
            raise BundlingError(f"layer: pip install failed: {detail[-1] if detail else 'no output'}")
        prune(target)
        size = directory_size(Path(output_dir))
        print(f"tollway layer: {size / 1_000_000:.1f} MB unzipped", file=sys.stderr)
        return True


def prune(root: Path) -> None:
    """Drop bytecode caches: Lambda compiles on import and the layer stays smaller."""
    for cache in list(root.rglob("__pycache__")):
        shutil.rmtree(cache, ignore_errors=True)


def directory_size(root: Path) -> int:
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file())


def _skipped(path: Path) -> bool:
    return path.name in _SKIP_DIRS or path.name.endswith(_SKIP_SUFFIXES)


def _ignore(_directory: str, names: list[str]) -> list[str]:
    return [name for name in names if name in _SKIP_DIRS or name.endswith(_SKIP_SUFFIXES)]
