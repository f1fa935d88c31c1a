"""Put a reviewed candidate policy in place of the policy folder's content, and take it back.

The policy folder stays the one source of what is active (hot reload watches it; `reload()`
tests and activates it), so activating a candidate from the console means writing its files
there. Only policy files move (*.rego anywhere, data/*.json and their schema/*.json): anything else in the folder (a
README, a .git directory) is left alone. The folder's previous policy files are copied to
`backup` first, so a candidate that fails its checks on reload is rolled back.
"""

from __future__ import annotations

import shutil
from pathlib import Path


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


def install(candidate: Path, policy_dir: Path, *, backup: Path) -> None:
    """Back the folder's policy up into `backup` (emptied first), then copy the candidate in."""
    if backup.exists():
        shutil.rmtree(backup)
    backup.mkdir(parents=True)
    copy_policy(policy_dir, backup)
    copy_policy(candidate, policy_dir)
