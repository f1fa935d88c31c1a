"""Errors a caller can see, each mapped to one HTTP status and an OpenAI-style body.

    GatewayError
    ├── BadRequest             400  invalid_request_error
    │   └── BadHeader          400  invalid_request_error (code: invalid_header)
    ├── Unauthenticated        401  authentication_error
    ├── Forbidden              403  permission_error
    │   └── PolicyDenied       403  permission_error (code: policy_denied, with rule ids)
    ├── ModelNotFound          404  invalid_request_error (code: model_not_found)
    ├── NotFound               404  invalid_request_error (also for what exists but is not yours)
    │   ├── DecisionNotFound   404  invalid_request_error (code: decision_not_found)
    │   └── ConversationNotFound 404 invalid_request_error (code: conversation_not_found)
    ├── MethodNotAllowed       405  invalid_request_error (code: method_not_allowed)
    ├── Conflict               409  invalid_request_error (an outcome_id reused for another report)
    ├── PayloadTooLarge        413  invalid_request_error
    ├── RateLimited            429  rate_limit_error
    ├── ServiceUnavailable     503  service_unavailable (PII, policy or ledger could not decide)
    │   └── DecisionNotRecorded 503 service_unavailable (code: ledger_unavailable; no decision id)
    ├── InternalError          500  server_error (a fault of ours; logged with the decision id)
    ├── UpstreamFailed         502  upstream_error
    ├── UpstreamTimedOut       504  timeout_error
    └── ClientClosedRequest    499  recorded only: the caller went away mid-stream

Messages never contain request content: they are safe to log and to store.
"""

from __future__ import annotations

import traceback
from typing import Any, ClassVar


class GatewayError(Exception):
    status_code: ClassVar[int] = 500
    error_type: ClassVar[str] = "server_error"
    default_code: ClassVar[str] = "internal_error"

    def __init__(self, message: str, *, code: str | None = None, param: str | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.param = param
        self.extra = extra or {}
        # Set by the pipeline once the failure is recorded, so the caller can ask about it.
        self.decision_id: str | None = None

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "message": self.message,
            "type": self.error_type,
            "code": self.code,
            "param": self.param,
        }
        if self.decision_id:
            error["decision_id"] = self.decision_id
        error.update(self.extra)
        return {"error": error}


class BadRequest(GatewayError):
    status_code = 400
    error_type = "invalid_request_error"
    default_code = "invalid_request"


class BadHeader(BadRequest):
    default_code = "invalid_header"


class Unauthenticated(GatewayError):
    status_code = 401
    error_type = "authentication_error"
    default_code = "invalid_api_key"


class Forbidden(GatewayError):
    status_code = 403
    error_type = "permission_error"
    default_code = "forbidden"


class PolicyDenied(Forbidden):
    default_code = "policy_denied"


class ModelNotFound(GatewayError):
    status_code = 404
    error_type = "invalid_request_error"
    default_code = "model_not_found"


class NotFound(GatewayError):
    """Also what a caller gets for a thing that exists but is not theirs: existence never leaks."""

    status_code = 404
    error_type = "invalid_request_error"
    default_code = "not_found"


class DecisionNotFound(NotFound):
    default_code = "decision_not_found"


class ConversationNotFound(NotFound):
    default_code = "conversation_not_found"


class Conflict(GatewayError):
    status_code = 409
    error_type = "invalid_request_error"
    default_code = "conflict"


class MethodNotAllowed(GatewayError):
    status_code = 405
    error_type = "invalid_request_error"
    default_code = "method_not_allowed"

    def __init__(self, *allowed: str) -> None:
        super().__init__(f"this path takes {', '.join(allowed)} only")
        self.headers = {"allow": ", ".join(allowed)}


class PayloadTooLarge(GatewayError):
    status_code = 413
    error_type = "invalid_request_error"
    default_code = "payload_too_large"


class RateLimited(GatewayError):
    status_code = 429
    error_type = "rate_limit_error"
    default_code = "rate_limit_exceeded"


class ServiceUnavailable(GatewayError):
    status_code = 503
    error_type = "service_unavailable"
    default_code = "governance_unavailable"


class DecisionNotRecorded(ServiceUnavailable):
    """The decision record itself could not be written: the answer is withheld, and the error
    carries no decision id (the caller must never hold an id the ledger does not have)."""

    default_code = "ledger_unavailable"

    def __init__(self) -> None:
        super().__init__("the decision could not be recorded; the answer was withheld")


class InternalError(GatewayError):
    status_code = 500
    error_type = "server_error"
    default_code = "internal_error"


class UpstreamFailed(GatewayError):
    status_code = 502
    error_type = "upstream_error"
    default_code = "upstream_error"


class UpstreamTimedOut(GatewayError):
    status_code = 504
    error_type = "timeout_error"
    default_code = "upstream_timeout"


class ClientClosedRequest(GatewayError):
    """The caller closed a stream before its end: never answered, only recorded (as nginx's 499)."""

    status_code = 499
    error_type = "client_closed_request"
    default_code = "client_closed_request"


def describe_fault(exc: BaseException) -> str:
    """The exception's type and where it was raised, without its message.

    Messages of foreign exceptions can quote the data they choked on, and that data may be
    a customer's; the frames are enough to find the fault.
    """
    frames = traceback.extract_tb(exc.__traceback__)[-4:]
    where = " <- ".join(f"{frame.filename.rsplit('/', 2)[-1]}:{frame.lineno}" for frame in reversed(frames))
    return f"{type(exc).__name__} at {where or 'unknown'}"
