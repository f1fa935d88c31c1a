"""GovGate's own recognizers, one class per file, as Presidio plug-ins.

`en/` holds what Presidio lacks for English (street addresses, offline e-mail validation,
NER on our trimmed spaCy pipeline); `zh/` holds the Chinese identifiers and NER.
Presidio's predefined recognizers are used where they are good enough (credit card, IBAN,
US SSN, IP, phone numbers); `gateway.pii.registry` decides which run for which language.
"""
