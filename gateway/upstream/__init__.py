"""Calls to OpenAI-compatible upstream deployments."""
