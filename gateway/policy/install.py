"""A policy folder's files, as a set: which they are, their hash, and copying them over.

The policy folder stays the one source of what is active (hot reload watches it; reload()
tests and activates it), so activating a candidate means writing its files there
(PolicyHolder.install). Only policy files move (*.rego anywhere, data/*.json and their
schema/*.json): anything else in the folder (a README, a .git directory) is left alone.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from gateway.policy.bundle import content_hash


def policy_files(root: Path) -> list[Path]:
    """The files a bundle is made of (bundle.py reads them), relative to its folder."""
    rego = [p for p in root.rglob("*.rego") if p.is_file() and ".git" not in p.parts]
    documents = [p for folder in ("data", "schema") if (root / folder).is_dir()
                 for p in (root / folder).glob("*.json") if p.is_file()]
    return sorted(p.relative_to(root) for p in rego + documents)


def copy_policy(source: Path, target: Path) -> None:
    """Make `target`'s policy files exactly `source`'s (others in `target` stay)."""
    wanted = set(policy_files(source))
    for stale in set(policy_files(target)) - wanted:
        (target / stale).unlink()
    for relative in sorted(wanted):
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        # Written beside, then renamed: the watcher never reads a half-written file.
        partial = destination.with_name(destination.name + ".partial")
        shutil.copyfile(source / relative, partial)
        partial.replace(destination)


def files_hash(root: Path) -> str:
    """sha256 over every policy file, tests and schemas included (the bundle hash leaves the
    tests out): what a review saw, so that exactly that is what gets installed."""
    return content_hash([(p.as_posix(), (root / p).read_bytes()) for p in policy_files(root)])
