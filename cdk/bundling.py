"""Docker-free asset bundling (``ILocalBundling``): the function code and the dependency layer.

CDK calls ``try_bundle`` with an empty output directory. Both bundlers do all their work
locally and return True, so CDK never falls back to Docker; a failure raises with the reason.
Tests skip bundling with the ``aws:cdk:bundling-stacks`` context, or pass ``layer_dir``.

Both assets ship bytecode compiled by an interpreter of the function's Python version (``/opt`` and
``/var/task`` are read-only, so Lambda would otherwise compile every module on every cold start),
with unchecked-hash ``.pyc`` files that stay valid whatever the files' mtimes. Without such an
interpreter on this machine the assets ship sources only and synth says so.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import ILocalBundling

#: Lambda's arm64 Python runtimes run on glibc >= 2.26 (AL2) / 2.34 (AL2023)
PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_28_aarch64")
#: paths in the layer no import of the gateway reaches (globs under ``python/``), removed after pip: powertools
#: utilities other than logging/parameters/metrics/tracing, and PyYAML's optional C loader (the gateway uses
#: ``yaml.safe_load``, pure Python). ``bench/layer_check.py`` imports and serves from the pruned layer alone.
LAYER_PRUNE = (
    "aws_lambda_powertools/event_handler",
    *(f"aws_lambda_powertools/utilities/{name}" for name in (
        "auth_alpha", "batch", "circuit_breaker", "data_classes", "data_masking", "feature_flags", "idempotency",
        "kafka", "parser", "streaming", "validation")),
    "yaml/_yaml.*.so",
    "_yaml",
)
_SKIP_DIRS = {"__pycache__", ".mypy_cache", ".pytest_cache"}
_SKIP_SUFFIXES = (".pyc", ".egg-info")


class BundlingError(RuntimeError):
    """Local bundling failed; the message says what to fix."""


@jsii.implements(ILocalBundling)
class CodeWithConfig:
    """Copy the ``lambda/`` source (minus caches and build metadata) and add the validated config.

    The config lands as ``config.yaml`` at the package root, where ``tollway.gateway.PACKAGED_CONFIG``
    looks for it when ``TOLLWAY_CONFIG`` is unset. ``files`` (name -> text) are written at the root after it,
    and may replace it (``-c tracing=otel`` packages the config with its callback on, plus ``collector.yaml``).
    """

    def __init__(self, source: Path, config_path: Path, python_version: str | None = None,
                 files: Mapping[str, str] | None = None) -> None:
        self.source = source
        self.config_path = config_path
        self.python_version = python_version
        self.files = dict(files or {})

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
        for name, text in self.files.items():
            (out / name).write_text(text)
        if self.python_version:
            compile_tree(out, self.python_version, "function code")
        return True


@jsii.implements(ILocalBundling)
class PipLayer:
    """``pip install`` the layer's requirements as wheels for the function's Python version and platform.

    ``requirements`` is the base file plus one file per provider extra the config uses
    (``layers/vertex_ai.txt`` only when a ``vertex_ai`` deployment exists).
    """

    def __init__(self, requirements: Path | Sequence[Path], python_version: str,
                 platforms: tuple[str, ...] = PLATFORMS, *, compile_bytecode: bool = True) -> None:
        self.requirements = [requirements] if isinstance(requirements, Path) else list(requirements)
        self.python_version = python_version
        self.platforms = platforms
        self.compile_bytecode = compile_bytecode

    def command(self, target: Path) -> list[str]:
        platform_args = [arg for platform in self.platforms for arg in ("--platform", platform)]
        requirement_args = [arg for path in self.requirements for arg in ("--requirement", str(path))]
        return [
            sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
            *requirement_args, "--target", str(target),
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
        if self.compile_bytecode:
            compile_tree(target, self.python_version, "layer")
        size = directory_size(Path(output_dir))
        print(f"tollway layer: {size / 1_000_000:.1f} MB unzipped", file=sys.stderr)
        return True


def prune(root: Path, paths: Sequence[str] = LAYER_PRUNE) -> None:
    """Drop whatever bytecode pip left (it may be for another interpreter) and the ``paths`` no import needs."""
    for cache in list(root.rglob("__pycache__")):
        shutil.rmtree(cache, ignore_errors=True)
    for pattern in paths:
        for path in root.glob(pattern):
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()


def interpreter_for(python_version: str) -> str | None:
    """A working local interpreter of ``python_version`` (``3.12``): this one, ``python3.12`` on PATH,
    or a pyenv installation; each candidate is asked for its version (a pyenv shim may not resolve)."""
    if f"{sys.version_info.major}.{sys.version_info.minor}" == python_version:
        return sys.executable
    candidates = [shutil.which(f"python{python_version}")]
    candidates += [str(p) for p in sorted(Path.home().glob(f".pyenv/versions/{python_version}.*/bin/python3"))]
    for candidate in filter(None, candidates):
        probe = subprocess.run(  # noqa: S603 - a local interpreter asked for its version
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True, text=True, check=False)
        if probe.returncode == 0 and probe.stdout.strip() == python_version:
            return candidate
    return None


def compile_tree(root: Path, python_version: str, what: str) -> bool:
    """Compile every module under ``root`` for ``python_version`` (unchecked-hash pycs); False if impossible."""
    interpreter = interpreter_for(python_version)
    if interpreter is None:
        print(f"tollway {what}: no python{python_version} here, shipping sources only "
              "(Lambda compiles them on each cold start)", file=sys.stderr)
        return False
    result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [interpreter, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash", str(root)],
        capture_output=True, text=True, check=False)
    if result.returncode != 0:  # a file that is not valid Python (a template, a test) stays source-only
        detail = (result.stdout or result.stderr).strip().splitlines()
        print(f"tollway {what}: some files were not compiled ({detail[-1] if detail else 'no output'})",
              file=sys.stderr)
    return True


def directory_size(root: Path) -> int:
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file())


def _skipped(path: Path) -> bool:
    return path.name in _SKIP_DIRS or path.name.endswith(_SKIP_SUFFIXES)


def _ignore(_directory: str, names: list[str]) -> list[str]:
    return [name for name in names if name in _SKIP_DIRS or name.endswith(_SKIP_SUFFIXES)]
