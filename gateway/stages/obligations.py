"""Obligations: do to each finding what the policy says; the body that may go upstream.

A refusal is returned, not raised, beside the findings recorded so far: the record shows what
was found (and refused) either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from gateway.decision import FindingRecord
from gateway.errors import BadRequest, GatewayError, PolicyDenied, ServiceUnavailable
from gateway.locations import Location, Scan, render, replace_texts, unbatch, unbatch_texts
from gateway.pii.actions import ActionApplier, MissingPiiAction, resolve_action
from gateway.pii.findings import Finding
from gateway.pii.pseudonyms import ConversationPseudonyms
from gateway.policy.documents import PiiAction, PolicyResult

# An identifier's finding the policy gives no action for: refused, like any not `allow`.
_REFUSE = PiiAction(action="block", rule_id="gateway-identifier-default")


@dataclass(frozen=True)
class Obligations:
    body: dict[str, Any]  # what may go upstream
    findings: list[FindingRecord] = field(default_factory=list)
    refusal: GatewayError | None = None


def apply_obligations(applier: ActionApplier, body: dict[str, Any], result: PolicyResult,
                      located: Sequence[tuple[Any, Finding]], scans: Sequence[Scan],
                      pseudonyms: ConversationPseudonyms) -> Obligations:
    found = unbatch(located)
    blocking = {f.entity_type: action for _, f in found
                if (action := resolve_action(result.pii_actions, f.entity_type)) and action.action == "block"}
    if blocking:  # the policy should have denied already; never forward a blocked type regardless
        return Obligations(body, refusal=PolicyDenied(
            f"the request contains PII the policy blocks: {', '.join(sorted(blocking))}", code="pii_blocked",
            extra={"rule_ids": sorted({a.rule_id for a in blocking.values() if a.rule_id})}))
    refused = _refused_identifiers(result, found)
    if refused:
        return refused
    by_location: dict[Location, list[Finding]] = {}
    for location, finding in found:
        by_location.setdefault(location, []).append(finding)
    findings: list[FindingRecord] = []
    replacements: dict[Location, str] = {}
    for location, text in unbatch_texts(scans):  # in path order: tokens are numbered so
        at = by_location.get(location)
        if not at:
            continue
        try:
            edited, applied = applier.apply(text, at, result.pii_actions, pseudonyms)
        except MissingPiiAction as exc:
            return Obligations(body, findings, refusal=ServiceUnavailable(
                f"the policy gave no action for entity type {exc.args[0]}; the request was not sent upstream",
                code="policy_incomplete"))
        findings.extend(FindingRecord.of(item.finding, location=str(location), action=item.action)
                        for item in applied)
        # An identifier's findings here are all `allow` (others were refused): never edited.
        if edited != text and not location.identifier:
            replacements[location] = edited
    return Obligations(replace_texts(body, replacements), findings)


def _refused_identifiers(result: PolicyResult, found: Sequence[tuple[Location, Finding]]) -> Obligations | None:
    """An identifier cannot be rewritten without breaking the call: PII in one that the
    policy does not allow as it is refuses the request (recorded, nothing sent)."""
    refused = [(location, finding) for location, finding in found
               if location.identifier
               and (resolve_action(result.pii_actions, finding.entity_type) or _REFUSE).action != "allow"]
    if not refused:
        return None
    # A name that holds PII is itself the value: the record shows such keys as `[*]`.
    hidden = {location.path for location, _ in refused if location.is_key}
    findings = [FindingRecord.of(f, location=render(location.path, hidden=hidden), action="refuse")
                for location, f in refused]
    types = ", ".join(sorted({f.entity_type for _, f in refused}))
    return Obligations({}, findings, refusal=BadRequest(
        f"an identifier (a tool or function name, a tool-call id, a schema property name) "
        f"contains PII ({types}); identifiers cannot be rewritten, so the request was refused",
        code="pii_in_identifier"))
