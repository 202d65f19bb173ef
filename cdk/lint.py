"""Run cfn-lint on synthesized templates (``make synth`` and the infra tests share this).

Usage: ``python -m cdk.lint cdk.out`` lints every ``*.template.json`` in the folder and exits
non-zero on any error or warning.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

#: W3005 (redundant DependsOn): CDK adds an explicit DependsOn from a Lambda function to its role
#: alongside the GetAtt; harmless, and not ours to change.
IGNORED = ("W3005",)


def command(templates: list[Path]) -> list[str]:
    return [str(Path(sys.executable).with_name("cfn-lint")), "--ignore-checks", *IGNORED, "--", *map(str, templates)]


def lint(outdir: Path) -> subprocess.CompletedProcess[str]:
    templates = sorted(outdir.glob("*.template.json"))
    if not templates:
        raise FileNotFoundError(f"no *.template.json in {outdir}: run cdk synth first")
    return subprocess.run(command(templates), capture_output=True, text=True, check=False)  # noqa: S603


def main(argv: list[str]) -> int:
    outdir = Path(argv[0] if argv else "cdk.out")
    result = lint(outdir)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    if result.returncode == 0:
        print(f"cfn-lint: {outdir} clean")
    return result.returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
