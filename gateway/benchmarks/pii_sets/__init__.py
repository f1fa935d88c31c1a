"""Generated PII test sets, written as presidio-research JSON for `govgate pii eval`.

    python -m gateway.benchmarks.pii_sets --out DIR [--seed N] [--n N] [--only NAME ...]

Kept apart from the detection code on purpose: nothing here imports
`gateway.pii.recognizers`, and the vocabularies are this package's own, so a set measures
the recognizers rather than repeating them.

Convention (adding a module is one line in `MODULES`): each module in this folder exposes

    SETS: dict[str, Callable[[random.Random, int], list[dict]]]

mapping a set name (the output file's stem) to `generate(rng, n)`, which returns `n`
samples `{"full_text": str, "spans": [{"entity_type", "start_position", "end_position"}]}`
(end exclusive). `build.assemble` turns a list of (text, entity-or-None) pieces into one
sample. Each set gets its own `random.Random(f"{seed}:{name}")`, so a set's content does not
depend on which other sets exist or run.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable

Generator = Callable[[random.Random, int], list[dict]]

# One line per module; each exposes SETS (see above).
MODULES: tuple[str, ...] = (
    "addresses",
    "address_blocks",
    "names",
    "names_context",
    "cards",
    "dates",
    "secrets",
)


def all_sets() -> dict[str, Generator]:
    """Every registered set, name -> generate(rng, n). Duplicate names are a bug."""
    sets: dict[str, Generator] = {}
    for module_name in MODULES:
        module = importlib.import_module(f"{__name__}.{module_name}")
        for name, generate in module.SETS.items():
            if name in sets:
                raise ValueError(f"set {name!r} is defined twice (module {module_name})")
            sets[name] = generate
    return sets


def generate_set(name: str, *, seed: int = 0, n: int = 500) -> list[dict]:
    """The samples of one set, deterministic for (name, seed, n)."""
    return all_sets()[name](random.Random(f"{seed}:{name}"), n)
