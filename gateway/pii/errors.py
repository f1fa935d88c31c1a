"""Errors raised by the PII detection layer.

    ValueError
    └── PiiInputError        the text cannot be analysed (too long, not a string);
                             the gateway answers 413 / 400 instead of forwarding.
    RuntimeError
    └── PiiConfigError       the engine was assembled inconsistently (languages the
                             registry does not serve, a recognizer without a language);
                             raised at startup so a broken build never takes traffic.
"""

from __future__ import annotations


class PiiInputError(ValueError):
    """The text handed to `PiiEngine.analyze` cannot be analysed."""


class PiiConfigError(RuntimeError):
    """The engine, its registry and its NLP backends disagree; raised at build time."""
