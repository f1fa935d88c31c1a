"""Apply the policy's action to each finding in a text (Presidio's AnonymizerEngine does the edit).

    redact        -> [EMAIL_ADDRESS]
    mask          -> ************1111   (keep_last characters stay visible)
    hash          -> [PERSON:9f2c41d07a3b]  keyed HMAC: stable, not reversible without the key
    pseudonymise  -> <PERSON_1>         consistent per value per conversation, restored in the answer
    allow         -> unchanged
    block         -> never reaches here: the pipeline denies the request first

Overlapping findings are resolved by Presidio (merge similar or contained spans).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig, RecognizerResult

from gateway.keys import KeyedDigest
from gateway.pii.findings import Finding
from gateway.pii.pseudonyms import ConversationPseudonyms
from gateway.policy.documents import PiiAction

DEFAULT_MASK_KEEP_LAST = 4
# In an action table, the entry for every entity type the table does not name.
ANY_ENTITY = "*"
HASH_HEX_CHARS = 12


@dataclass(frozen=True)
class AppliedFinding:
    finding: Finding
    action: str


class MissingPiiAction(Exception):
    """The policy gave no action for an entity type that was found: fail closed."""


def resolve_action(actions: Mapping[str, PiiAction], entity_type: str) -> PiiAction | None:
    return actions.get(entity_type) or actions.get(ANY_ENTITY)


class ActionApplier:
    def __init__(self, *, digest: KeyedDigest) -> None:
        self.keyed_hash = digest
        self._anonymizer = AnonymizerEngine()

    def apply(self, text: str, findings: Sequence[Finding], actions: Mapping[str, PiiAction],
              pseudonyms: ConversationPseudonyms) -> tuple[str, list[AppliedFinding]]:
        if not findings:
            return text, []
        applied: list[AppliedFinding] = []
        to_edit: list[RecognizerResult] = []
        chosen: dict[str, PiiAction] = {}
        for finding in findings:
            action = resolve_action(actions, finding.entity_type)
            if action is None:
                raise MissingPiiAction(finding.entity_type)
            chosen[finding.entity_type] = action
            applied.append(AppliedFinding(finding, action.action))
            if action.action != "allow":
                to_edit.append(RecognizerResult(finding.entity_type, finding.start, finding.end, finding.score))
        if not to_edit:
            return text, applied
        operators = {
            entity_type: self._operator(entity_type, action, pseudonyms)
            for entity_type, action in chosen.items()
            if action.action != "allow"
        }
        result = self._anonymizer.anonymize(text=text, analyzer_results=to_edit, operators=operators)
        return result.text, applied

    def _operator(self, entity_type: str, action: PiiAction, pseudonyms: ConversationPseudonyms) -> OperatorConfig:
        match action.action:
            case "redact" | "block":
                return OperatorConfig("replace", {"new_value": f"[{entity_type}]"})
            case "mask":
                keep = DEFAULT_MASK_KEEP_LAST if action.keep_last is None else action.keep_last
                return OperatorConfig("custom", {"lambda": lambda value: _mask(value, keep)})
            case "hash":
                return OperatorConfig(
                    "custom", {"lambda": lambda value: f"[{entity_type}:{self.keyed_hash(value)[:HASH_HEX_CHARS]}]"}
                )
            case "pseudonymise":
                return OperatorConfig("custom", {"lambda": lambda value: pseudonyms.token_for(entity_type, value)})
            case "allow":
                return OperatorConfig("keep", {})
        raise MissingPiiAction(entity_type)


def _mask(value: str, keep_last: int) -> str:
    """Mask letters and digits except the last `keep_last` of them; separators stay."""
    significant = [i for i, char in enumerate(value) if char.isalnum()]
    hidden = set(significant[: max(0, len(significant) - keep_last)])
    return "".join("*" if i in hidden else char for i, char in enumerate(value))
