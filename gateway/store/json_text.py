"""A record's JSON, bound as the text that was hashed (not serialised a second time).

The writers compute a record's canonical JSON to hash it (gateway/store/chain.py); binding that
same text saves a second `json.dumps` per row, and the column then holds exactly the text the
hash covers. The column stays JSON (readers get dicts); only the insert's parameter differs.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, bindparam
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.types import TypeDecorator


class JsonText(TypeDecorator[Any]):
    """A JSON column's parameter given as JSON text already (PostgreSQL casts it, SQLite stores it)."""

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect: Any) -> None:  # type: ignore[override]
        return None


def json_text(name: str) -> BindParameter[Any]:
    return bindparam(name, type_=JsonText())
