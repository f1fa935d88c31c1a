"""GovGate's own recognizers, one class per file, as Presidio plug-ins.

`en/` holds what Presidio lacks for English (street addresses, offline e-mail validation,
NER on our trimmed spaCy pipeline); `zh/` holds the Chinese identifiers and NER.
Language-neutral ones sit at the top: `payment_card.py` (CREDIT_CARD, every scheme),
`secrets.py` (SECRET: credentials), `date_shapes.py` (dates the phone patterns must skip).
Presidio's predefined recognizers are used where they are good enough (IBAN, US SSN, IP);
`gateway.pii.registry` decides which run for which language.
"""
