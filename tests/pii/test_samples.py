"""Recall on generated Chinese support messages (valid checksums): the >= 0.98 target."""

import random

from gateway.pii.recognizers.checksums import luhn_valid, resident_id_valid
from gateway.pii.samples import bank_card, resident_id, zh_message

TARGET_TYPES = ("CN_RESIDENT_ID", "PHONE_NUMBER", "CREDIT_CARD")


def test_generated_values_have_valid_checksums():
    rng = random.Random(3)
    assert all(resident_id_valid(resident_id(rng)) for _ in range(200))
    assert all(luhn_valid(bank_card(rng)) for _ in range(200))


def test_zh_recall_on_id_mobile_and_bank_card(pii_engine):
    rng = random.Random(11)
    hits = {t: 0 for t in TARGET_TYPES}
    total = {t: 0 for t in TARGET_TYPES}
    for _ in range(150):
        message = zh_message(rng)
        findings = pii_engine.analyze(message.text)
        for span in message.spans:
            if span.entity_type not in TARGET_TYPES:
                continue
            total[span.entity_type] += 1
            if any(f.entity_type == span.entity_type and (f.start, f.end) == (span.start, span.end) for f in findings):
                hits[span.entity_type] += 1
    for entity in TARGET_TYPES:
        assert total[entity] > 0, f"the generator made no {entity}: its recall would go unmeasured"
        assert hits[entity] / total[entity] >= 0.98, (entity, hits[entity], total[entity])
