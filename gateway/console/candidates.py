"""Proposed policies for a replay: a folder uploaded as a .zip, or one prepared on the server.

An upload is unpacked into a fresh temporary folder with the limits an archive from a
browser needs: no absolute paths, no `..`, no links, only the files a policy bundle holds
(*.rego, data/*.json), bounded in count and size (a zip bomb stops at the limit, not after).
A prepared candidate is a sub-folder of GOVGATE_POLICY_CANDIDATES_DIR, chosen by name from
a list the server makes: the browser never names a path. A replayed upload is kept by its
bundle hash (in the data folder) so that an activation installs exactly what was reviewed.
"""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from gateway.policy.bundle import PolicyBundle
from gateway.policy.install import copy_policy

MAX_FILES = 500
MAX_TOTAL_BYTES = 5 * 1024 * 1024
CANDIDATE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
BUNDLE_HASH = re.compile(r"[0-9a-f]{64}")


class CandidateError(ValueError):
    """The proposed policy cannot be read (the message says why, for the page)."""


def _member_path(name: str) -> PurePosixPath | None:
    """Where a member goes inside the bundle, or None for folders and files a bundle ignores."""
    path = PurePosixPath(name)
    if name.startswith("/") or "\\" in name or any(part in ("", "..") for part in path.parts if part != "."):
        raise CandidateError("the archive holds a path outside its folder")
    if name.endswith("/"):
        return None
    return path if path.suffix in (".rego", ".json") else None


def unpack_zip(data: bytes, into: Path) -> Path:
    """The policy folder inside the archive, unpacked under `into`.

    An archive of the folder itself ("policies/…") or of its contents both work."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise CandidateError("the upload is not a .zip archive") from None
    members = archive.infolist()
    if len(members) > MAX_FILES:
        raise CandidateError(f"the archive holds more than {MAX_FILES} entries")
    written = 0
    for member in members:
        target = _member_path(member.filename)
        if target is None:
            continue
        if (member.external_attr >> 16) & 0o170000 == 0o120000:
            raise CandidateError("the archive holds a symbolic link")
        destination = into.joinpath(*target.parts)
        destination.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(member) as source, destination.open("wb") as sink:
            while chunk := source.read(65536):
                written += len(chunk)
                if written > MAX_TOTAL_BYTES:
                    raise CandidateError(f"the archive unpacks to more than {MAX_TOTAL_BYTES // (1024 * 1024)} MB")
                sink.write(chunk)
    if not any(into.rglob("*.rego")):
        raise CandidateError("the archive holds no policy modules (*.rego)")
    root = into
    # An archive of the folder itself: step into it (but never into the package folder).
    while (len(entries := list(root.iterdir())) == 1 and entries[0].is_dir()
           and entries[0].name not in ("data", "govgate")):
        root = entries[0]
    return root


def prepared(root: Path | None) -> list[str]:
    """The names of the prepared candidates (sub-folders of `root`), sorted."""
    if root is None or not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and CANDIDATE_NAME.fullmatch(p.name))


def prepared_dir(root: Path | None, name: str) -> Path:
    if name not in prepared(root):
        raise CandidateError("no prepared candidate of that name")
    assert root is not None
    return root / name


def keep_upload(data: bytes, uploads: Path) -> Path:
    """Unpack an uploaded .zip and keep its policy files under `uploads/<bundle hash>/`, where
    an activation finds exactly what was reviewed. Raises CandidateError or PolicyError."""
    with tempfile.TemporaryDirectory(prefix="govgate-upload-") as scratch:
        root = unpack_zip(data, Path(scratch))
        bundle = PolicyBundle.load(root)
        kept = uploads / bundle.bundle_hash
        if not kept.is_dir():
            kept.mkdir(parents=True)
            copy_policy(root, kept)
    return kept


def kept_upload(uploads: Path, bundle_hash: str) -> Path:
    kept = uploads / bundle_hash
    if not BUNDLE_HASH.fullmatch(bundle_hash) or not kept.is_dir():
        raise CandidateError("no reviewed upload with that bundle hash: replay it first")
    return kept
