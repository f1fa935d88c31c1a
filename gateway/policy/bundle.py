"""A policy bundle: the Rego modules and the data they read, checked and content-hashed.

Layout of a policy directory (``policies/`` in the repository)::

    govgate/**/<name>.rego        policy modules; folders mirror packages
    govgate/**/<name>_test.rego   Rego unit tests, package ``<pkg>_test``
    data/<stem>.json              mounted at ``data.govgate_data.<stem>``
    schema/<stem>.schema.json     JSON Schema every ``data/<stem>.json`` must satisfy

``PolicyBundle.load`` refuses an empty bundle, data without a schema or not matching it,
a module whose package does not match its folder, and any call to a builtin the embedded
engine lacks or that would make decisions impure (clock, network, print). The bundle hash
is a sha256 over the sorted relative paths and contents of the policy modules and data
files: the same hash means the same decisions.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

import jsonschema

from gateway.policy.errors import PolicyLoadError

DATA_ROOT = "govgate_data"
POLICY_ROOT_PACKAGE = "govgate"
ENTRYPOINT = "govgate.decision"

# Builtins we never accept: missing from regorus (decisions would differ between engines)
# or impure (network, clock, debugging output), so a decision could not be replayed.
FORBIDDEN_BUILTINS: tuple[str, ...] = (
    "crypto.*",
    "io.jwt.*",
    "net.cidr_intersects",
    "regex.globs_match",
    "strings.render_template",
    "rego.metadata.*",
    "http.send",
    "net.lookup_ip_addr",
    "time.now_ns",
    "print",
    "trace",
    "opa.runtime",
)

_PACKAGE_RE = re.compile(r"^package\s+([A-Za-z_][\w.]*)\s*$", re.MULTILINE)
_TEST_RULE_RE = re.compile(r"^(test_\w+)\s*(?:if\b|:=|=|\{)", re.MULTILINE)
_COMMENT_RE = re.compile(r"#[^\n]*")
# Strings and comments in one left-to-right pass: whichever starts first wins, so a quote or
# a backtick inside a comment (or a # inside a string) cannot hide the code that follows.
_STRING_OR_COMMENT_RE = re.compile(r'"(?:[^"\\\n]|\\.)*"|`[^`]*`|#[^\n]*')


def _builtin_pattern(name: str) -> str:
    if name.endswith(".*"):
        return re.escape(name[:-1]) + r"[\w.]+"
    return re.escape(name)


_FORBIDDEN_RE = re.compile(
    r"(?<![\w.])(" + "|".join(_builtin_pattern(n) for n in FORBIDDEN_BUILTINS) + r")\s*\("
)
_REGO_METADATA_RE = re.compile(r"(?<![\w.])rego\.metadata\b")
# A reference to the policy root itself (data.govgate, data.govgate[...]) makes regorus
# recurse where OPA rejects the module; only sub-packages may be referenced.
_ROOT_REF_RE = re.compile(r"(?<![\w.])data\.govgate(?![\w])(?!\.[A-Za-z_])")


@dataclass(frozen=True)
class RegoModule:
    """One .rego file: its path relative to the policy dir, package and source."""

    path: str
    package: str
    source: str

    @property
    def test_rules(self) -> tuple[str, ...]:
        """Names of the ``test_*`` rules, in file order, without duplicates."""
        names = _TEST_RULE_RE.findall(_strip(self.source))
        return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class PolicyBundle:
    """Immutable, validated content of a policy directory."""

    root: Path
    modules: tuple[RegoModule, ...]
    tests: tuple[RegoModule, ...]
    data: Mapping[str, Any]  # stem -> parsed JSON, mounted under data.govgate_data
    bundle_hash: str
    files: tuple[str, ...] = field(default=())

    @property
    def data_document(self) -> dict[str, Any]:
        """The data document as the engines see it: ``{"govgate_data": {...}}``."""
        return {DATA_ROOT: json.loads(json.dumps(dict(self.data)))}

    @classmethod
    def load(cls, policy_dir: str | Path) -> PolicyBundle:
        root = Path(policy_dir)
        if not root.is_dir():
            raise PolicyLoadError(f"policy directory {root} does not exist")
        rego_files = sorted(p for p in root.rglob("*.rego") if p.is_file())
        data_files = sorted((root / "data").glob("*.json")) if (root / "data").is_dir() else []
        modules: list[RegoModule] = []
        tests: list[RegoModule] = []
        errors: list[str] = []
        for path in rego_files:
            rel = path.relative_to(root).as_posix()
            source = _read_text(path)
            module = RegoModule(rel, _package_of(rel, source), source)
            errors.extend(_check_module(module))
            (tests if rel.endswith("_test.rego") else modules).append(module)
        if not modules:
            raise PolicyLoadError(f"policy directory {root} holds no policy modules (*.rego)")
        if not any(m.package == POLICY_ROOT_PACKAGE for m in modules):
            errors.append(f"no module declares package {POLICY_ROOT_PACKAGE} (entrypoint {ENTRYPOINT})")
        data = _load_data(root, data_files, errors)
        if errors:
            raise PolicyLoadError("invalid policy bundle:\n  " + "\n  ".join(errors))
        hashed = [(m.path, m.source.encode()) for m in modules]
        hashed += [(p.relative_to(root).as_posix(), p.read_bytes()) for p in data_files]
        return cls(
            root=root,
            modules=tuple(modules),
            tests=tuple(tests),
            data=MappingProxyType(data),
            bundle_hash=content_hash(hashed),
            files=tuple(sorted(rel for rel, _ in hashed) + [t.path for t in tests]),
        )


def content_hash(files: list[tuple[str, bytes]]) -> str:
    """sha256 over sorted (relative path, content) pairs, each length-prefixed."""
    digest = hashlib.sha256()
    for rel, content in sorted(files):
        name = rel.encode()
        digest.update(len(name).to_bytes(4, "big") + name)
        digest.update(len(content).to_bytes(8, "big") + content)
    return digest.hexdigest()


def forbidden_calls(source: str) -> list[str]:
    """Forbidden builtins a Rego source calls (comments and strings ignored)."""
    code = _strip(source)
    found = [m.group(1) for m in _FORBIDDEN_RE.finditer(code)]
    found += ["rego.metadata" for _ in _REGO_METADATA_RE.finditer(code)]
    return sorted(set(found))


def _strip(source: str) -> str:
    """Blank out string literals and comments so they cannot trigger the checks."""
    return _STRING_OR_COMMENT_RE.sub(lambda m: "" if m.group(0).startswith("#") else '""', source)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyLoadError(f"cannot read {path}: {exc}") from exc


def _package_of(rel: str, source: str) -> str:
    match = _PACKAGE_RE.search(_COMMENT_RE.sub("", source))
    return match.group(1) if match else ""


def _expected_package(rel: str) -> str:
    """govgate/access/access.rego -> govgate.access; govgate/decision.rego -> govgate."""
    parts = rel.split("/")[:-1]
    return ".".join(parts)


def _check_module(module: RegoModule) -> list[str]:
    errors: list[str] = []
    rel = module.path
    if not module.package:
        return [f"{rel}: no package declaration"]
    expected = _expected_package(rel)
    is_test = rel.endswith("_test.rego")
    wanted = f"{expected}_test" if is_test else expected
    if module.package != wanted:
        errors.append(f"{rel}: package {module.package} does not match its folder (want {wanted})")
    if module.package.endswith("_test") and not is_test:
        errors.append(f"{rel}: test package outside a *_test.rego file")
    for name in forbidden_calls(module.source):
        errors.append(f"{rel}: forbidden builtin {name}")
    inside_root = module.package == POLICY_ROOT_PACKAGE or module.package.startswith(POLICY_ROOT_PACKAGE + ".")
    if inside_root and _ROOT_REF_RE.search(_strip(module.source)):
        errors.append(f"{rel}: references data.{POLICY_ROOT_PACKAGE} itself; data lives under data.{DATA_ROOT}")
    return errors


def _load_data(root: Path, data_files: list[Path], errors: list[str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    schema_dir = root / "schema"
    for path in data_files:
        rel = path.relative_to(root).as_posix()
        stem = path.stem
        try:
            document = json.loads(_read_text(path))
        except json.JSONDecodeError as exc:
            errors.append(f"{rel}: not valid JSON: {exc}")
            continue
        schema_path = schema_dir / f"{stem}.schema.json"
        if not schema_path.is_file():
            errors.append(f"{rel}: no schema at schema/{stem}.schema.json")
            continue
        try:
            schema = json.loads(_read_text(schema_path))
            validator_cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
            validator_cls.check_schema(schema)
        except (json.JSONDecodeError, jsonschema.SchemaError) as exc:
            errors.append(f"schema/{stem}.schema.json: invalid schema: {exc}")
            continue
        problems = sorted(validator_cls(schema).iter_errors(document), key=lambda e: list(e.absolute_path))
        for problem in problems[:10]:
            where = "/".join(str(p) for p in problem.absolute_path) or "(root)"
            errors.append(f"{rel}: {where}: {problem.message}")
        data[stem] = document
    return data
