"""Proposed policies for a replay: a folder uploaded as a .zip, or one prepared on the server.

An upload is unpacked into a fresh temporary folder with the limits an archive from a
browser needs: no absolute paths, no `..`, no links, only the files a policy bundle holds
(*.rego, data/*.json), bounded in count and size (a zip bomb stops at the limit, not after).
A prepared candidate is a sub-folder of GOVGATE_POLICY_CANDIDATES_DIR, chosen by name from
a list the server makes: the browser never names a path. Whatever was replayed is kept by the
hash of all its policy files (tests and schemas too) in the data folder, and an activation
names that hash: it installs exactly what was reviewed, even if the upload or the prepared
folder changes afterwards.
"""

from __future__ import annotations

import io
import re
import shutil
import tempfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from gateway.policy.install import copy_policy, files_hash

MAX_FILES = 500
MAX_TOTAL_BYTES = 5 * 1024 * 1024
CANDIDATE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
FILES_HASH = re.compile(r"[0-9a-f]{64}")
MAX_NAME_BYTES = 255


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


def _check_names(targets: list[PurePosixPath]) -> None:
    """No name twice, none both a file and a folder, none longer than a file system takes."""
    files = {t.as_posix().casefold() for t in targets}
    if len(files) != len(targets):
        raise CandidateError("the archive holds the same file twice")
    folders = {p.as_posix().casefold() for t in targets for p in t.parents}
    if files & folders:
        raise CandidateError("the archive holds a name that is both a file and a folder")
    if any(len(part.encode()) > MAX_NAME_BYTES for t in targets for part in t.parts):
        raise CandidateError("the archive holds a name longer than 255 bytes")


def unpack_zip(data: bytes, into: Path) -> Path:
    """The policy folder inside the archive, unpacked under `into`.

    An archive of the folder itself ("policies/…") or of its contents both work."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError):
        raise CandidateError("the upload is not a .zip archive") from None
    if len(members) > MAX_FILES:
        raise CandidateError(f"the archive holds more than {MAX_FILES} entries")
    targets = [(member, _member_path(member.filename)) for member in members]
    _check_names([target for _, target in targets if target is not None])
    written = 0
    try:
        for member, target in targets:
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
                        raise CandidateError(f"the archive unpacks to more than "
                                             f"{MAX_TOTAL_BYTES // (1024 * 1024)} MB")
                    sink.write(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError, OSError):
        # A bad checksum, an encrypted member, an unknown compression, a name the disk refuses.
        raise CandidateError("the archive cannot be read (damaged, encrypted or of an unknown kind)") from None
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


def snapshot(root: Path, reviews: Path) -> tuple[Path, str]:
    """Keep the candidate's policy files under `reviews/<files hash>/` (written beside, then
    renamed into place), so that an activation installs exactly what its review saw."""
    digest = files_hash(root)
    kept = reviews / digest
    if not kept.is_dir():
        reviews.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=".partial-", dir=reviews))
        copy_policy(root, partial)
        try:
            partial.rename(kept)
        except OSError:  # the same files, kept by a parallel review meanwhile
            shutil.rmtree(partial, ignore_errors=True)
    return kept, digest


def keep_upload(data: bytes, reviews: Path) -> tuple[Path, str]:
    """Unpack an uploaded .zip and keep it for review (snapshot). Raises CandidateError."""
    with tempfile.TemporaryDirectory(prefix="govgate-upload-") as scratch:
        return snapshot(unpack_zip(data, Path(scratch)), reviews)


def reviewed(reviews: Path, digest: str) -> Path:
    """The kept candidate with this files hash, checked again (the folder may have been edited)."""
    kept = reviews / digest
    if not FILES_HASH.fullmatch(digest) or not kept.is_dir() or files_hash(kept) != digest:
        raise CandidateError("no reviewed candidate with those files: replay it first")
    return kept
