"""GovGate: the responsible-AI governance gateway for customer-service AI."""

__version__ = "0.1.0"
