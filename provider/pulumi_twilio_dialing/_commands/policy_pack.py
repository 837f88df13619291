"""twilio-dialing policy-pack DIR: write the CrossGuard policy pack shipped with this package into DIR.

The pack (no-high-risk-tollfraud, no-high-risk-special-services, tenant-subaccounts-do-not-inherit) is
package data: the pip-installed package carries it, and this command puts it where
'pulumi preview --policy-pack DIR' (or 'policyPacks: DIR' of pulumi/actions) finds it. Pulumi runs it in its
own virtualenv (DIR/venv, as its PulumiPolicy.yaml says) with only pulumi-policy installed: the pack never
imports this package.

Files DIR already holds with the same content are left alone (rerunning is safe, e.g. in CI); a file that
differs (an edited pack, or another version's) is never overwritten without --force.
"""

from __future__ import annotations

import argparse
from importlib.resources import files
from pathlib import Path
from typing import Any

__all__ = ["PACK_FILES", "pack_files", "register", "write_pack"]

# The files of the pack, as shipped in the package's _policy_pack/ (the venv it runs in is made beside them).
PACK_FILES = ("PulumiPolicy.yaml", "__main__.py", "twilio_dialing_policies.py", "requirements.txt", ".gitignore")


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "policy-pack",
        help="write the CrossGuard policy pack shipped with the package into DIR (for pulumi --policy-pack DIR)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("dir", type=Path, metavar="DIR", help="directory to write the pack into (made if missing)")
    parser.add_argument("--force", action="store_true", help="overwrite files of DIR whose content differs")
    parser.set_defaults(run=run)


def pack_files() -> dict[str, bytes]:
    """Each file of the shipped pack and its content (read from the installed package, wheel or editable)."""
    pack = files("pulumi_twilio_dialing").joinpath("_policy_pack")
    return {name: pack.joinpath(name).read_bytes() for name in PACK_FILES}


def write_pack(directory: Path, *, force: bool = False) -> list[str]:
    """Write the pack into ``directory``; return the names of the files written (those already identical are
    skipped). Raises FileExistsError, naming the differing files, before writing anything unless ``force``."""
    wanted = pack_files()
    if directory.exists() and not directory.is_dir():
        raise NotADirectoryError(f"{directory} is a file; give a directory for the policy pack")
    differing = [
        name for name, content in wanted.items() if (directory / name).exists() and _read(directory / name) != content
    ]
    if differing and not force:
        raise FileExistsError(
            f"{directory} already holds {', '.join(differing)} with a content other than this package's pack "
            f"(an edited pack, or another version's); choose another directory, or pass --force to overwrite them"
        )
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in wanted.items():
        path = directory / name
        if path.exists() and _read(path) == content:
            continue
        path.write_bytes(content)
        written.append(name)
    return written


def _read(path: Path) -> bytes | None:
    """The content of ``path``, or None when it is not a regular file (a directory of that name differs)."""
    return path.read_bytes() if path.is_file() else None


def run(args: argparse.Namespace) -> int:
    import shlex
    import sys

    directory: Path = args.dir
    try:
        written = write_pack(directory, force=args.force)
    except OSError as error:
        # As _ops.fail prints (not imported: that would pull in the cli extra this command does not need).
        print(f"error: {error}", file=sys.stderr)
        return 2
    if written:
        print(f"wrote {', '.join(written)} into {directory}")
    else:
        print(f"{directory} already holds this package's policy pack")
    # Quoted as a shell would need them: the lines are meant to be pasted.
    venv, requirements = shlex.quote(str(directory / "venv")), shlex.quote(str(directory / "requirements.txt"))
    print(f"next: python -m venv {venv} && {venv}/bin/pip install -r {requirements}")
    print(f"then: pulumi preview --policy-pack {shlex.quote(str(directory))}")
    return 0
