"""Input builders shared by the policy tests (a uniquely named module, not conftest)."""

from __future__ import annotations

from gateway.policy.documents import PolicyInput


def make_input(
    *,
    kind: str = "chat",
    model: str | None = "demo-chat",
    purpose: str | None = "customer-support",
    region: str | None = "EU",
    basis: str | None = None,
    roles: tuple[str, ...] = ("bot",),
    entity_types: tuple[str, ...] = (),
) -> PolicyInput:
    return PolicyInput.model_validate({
        "caller": {"id": "svc-helpdesk", "roles": list(roles)},
        "request": {"kind": kind, "model": model, "purpose": purpose},
        "customer": {"region": region, "cross_border_basis": basis},
        "pii": {
            "entity_types": list(entity_types),
            "findings": [{"entity_type": t, "score": 0.9, "language": "en"} for t in entity_types],
        },
    })
