"""Errors of the policy layer. Every one of them means "deny": the gateway fails closed.

Hierarchy::

    PolicyError                     anything that stops a policy decision
    ├── PolicyLoadError             the bundle could not be read, validated or compiled
    ├── PolicyEvaluationError       the engine failed while evaluating (conflict, runtime error,
    │                               transport error talking to a remote OPA)
    ├── PolicyUndefinedError        the entrypoint produced no value for this input
    └── PolicyResultInvalid         a value came back but it is not a valid PolicyResult

Errors raised by the engines below (regorus, opa_bindings, opa_client/requests) are
translated in one place per engine and chained with ``from``.
"""

from __future__ import annotations


class PolicyError(Exception):
    """Base class: no trustworthy decision could be made."""


class PolicyLoadError(PolicyError):
    """The policy bundle is unusable (empty, schema-invalid data, forbidden builtin, parse error)."""


class PolicyEvaluationError(PolicyError):
    """The engine raised while evaluating the entrypoint."""


class PolicyUndefinedError(PolicyError):
    """The entrypoint is undefined for this input (OPA answers without a ``result``)."""


class PolicyResultInvalid(PolicyError):
    """The entrypoint's value does not fit the PolicyResult contract."""
