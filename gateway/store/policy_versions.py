"""Policy versions: every activation of a bundle, kept in the database with its time.

The policy layer reports activations through a callback (PolicyHolder on_activate); the
app factory wires it to `record_activation`, so only the store touches the table.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import Engine
from sqlmodel import Session, select

from gateway.policy.reload import Activation
from gateway.store.models import PolicyActivation


class PolicyVersion(BaseModel):
    bundle_hash: str
    activated_at: datetime
    source: str


def record_activation(database: Engine, activation: Activation) -> None:
    with Session(database) as session, session.begin():
        session.add(PolicyActivation(bundle_hash=activation.bundle_hash,
                                     activated_at=datetime.fromisoformat(activation.activated_at),
                                     source=activation.source))


def list_versions(database: Engine, *, limit: int = 100) -> list[PolicyVersion]:
    with Session(database) as session:
        rows = session.exec(select(PolicyActivation).order_by(PolicyActivation.id.desc()).limit(limit))
        return [PolicyVersion(bundle_hash=r.bundle_hash, activated_at=r.activated_at, source=r.source) for r in rows]
