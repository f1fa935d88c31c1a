"""The audit's refusals (light to import: the CLI catches them before loading the statistics)."""


class AuditError(ValueError):
    """The audit cannot run as asked (an unknown reference group, a bad attribute list)."""


class AuditUsageError(ValueError):
    """An option the operator gave cannot be used (the message names the option)."""


class ReportRenderError(RuntimeError):
    """A report could not be rendered (e.g. the page asked for a URL: reports fetch nothing)."""
