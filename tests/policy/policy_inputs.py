"""Input builders shared by the policy tests (a uniquely named module, not conftest)."""

from __future__ import annotations

from gateway.policy.documents import PiiFindingInput, PolicyInput


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
    return PolicyInput.build(
        caller_id="svc-helpdesk", roles=roles, kind=kind, model=model, purpose=purpose, region=region,
        cross_border_basis=basis,
        findings=[PiiFindingInput(entity_type=t, score=0.9, language="en") for t in entity_types],
    )
