"""Fixtures for the policy layer: the shipped bundle, both embedded engines, input builders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gateway.policy.bundle import PolicyBundle
from gateway.policy.engine import OpaGolibPolicyEngine, RegorusPolicyEngine

REPO = Path(__file__).resolve().parents[2]
POLICY_DIR = REPO / "policies"


@pytest.fixture(scope="session")
def bundle() -> PolicyBundle:
    return PolicyBundle.load(POLICY_DIR)


@pytest.fixture(scope="session")
def regorus_engine(bundle) -> RegorusPolicyEngine:
    return RegorusPolicyEngine(bundle)


@pytest.fixture(scope="session")
def opa_engine(bundle) -> OpaGolibPolicyEngine:
    return OpaGolibPolicyEngine(bundle)


@pytest.fixture(params=["regorus", "opa"])
def engine(request, regorus_engine, opa_engine):
    return regorus_engine if request.param == "regorus" else opa_engine


@pytest.fixture
def policy_copy(tmp_path) -> Path:
    """A writable copy of the shipped policy directory."""
    target = tmp_path / "policies"
    shutil.copytree(POLICY_DIR, target)
    return target
