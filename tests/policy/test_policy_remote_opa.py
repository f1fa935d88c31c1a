"""The remote-OPA path end to end, over real HTTP against the fake OPA server
(tests/fakes/opa_rest.py: OPA's REST Data API in front of the real OPA engine)."""

from __future__ import annotations

import pytest
from policy_inputs import make_input

from gateway.config import DEFAULT_OPA_TIMEOUT_S, Settings
from gateway.policy.engine import RemoteOpaPolicyEngine
from gateway.policy.errors import PolicyEvaluationError, PolicyLoadError, PolicyUndefinedError
from tests.conftest import ServerThread
from tests.fakes.opa_rest import create_fake_opa_app
from tests.net import free_port


@pytest.fixture(scope="module")
def opa_url(bundle):
    server = ServerThread(create_fake_opa_app(bundle), free_port())
    server.start(timeout_s=10)
    yield f"http://127.0.0.1:{server.port}"
    server.stop()


def test_remote_matches_embedded(opa_url, bundle, regorus_engine):
    remote = RemoteOpaPolicyEngine(opa_url, timeout_s=DEFAULT_OPA_TIMEOUT_S, bundle_hash=bundle.bundle_hash)
    for policy_input in [
        make_input(entity_types=("PERSON", "CREDIT_CARD")),
        make_input(region="CN", basis="pipl-standard-contract"),
        make_input(purpose="credit-scoring"),
        make_input(kind="models", model=None, purpose=None),
    ]:
        assert remote.evaluate(policy_input) == regorus_engine.evaluate(policy_input)
    assert remote.bundle_hash == bundle.bundle_hash


def test_remote_from_settings(opa_url, monkeypatch):
    monkeypatch.setenv("GOVGATE_OPA_URL", opa_url)
    settings = Settings()
    remote = RemoteOpaPolicyEngine(settings.opa_url, timeout_s=settings.opa_timeout_s)
    assert remote.evaluate(make_input()).allow
    assert remote.bundle_hash == f"remote:{opa_url}"


def test_remote_undefined_is_an_error(opa_url):
    remote = RemoteOpaPolicyEngine(opa_url, timeout_s=DEFAULT_OPA_TIMEOUT_S, entrypoint="govgate.no_such_rule")
    with pytest.raises(PolicyUndefinedError):
        remote.evaluate(make_input())


def test_remote_unreachable_is_an_error():
    remote = RemoteOpaPolicyEngine(f"http://127.0.0.1:{free_port()}", timeout_s=0.5)
    with pytest.raises(PolicyEvaluationError):
        remote.evaluate(make_input())


@pytest.mark.parametrize("url", ["", "ftp://opa.example", "http://"])
def test_remote_needs_an_http_url(url, monkeypatch):
    monkeypatch.setenv("GOVGATE_OPA_URL", "http://127.0.0.1:8181")  # never read by the engine
    with pytest.raises(PolicyLoadError):
        RemoteOpaPolicyEngine(url, timeout_s=DEFAULT_OPA_TIMEOUT_S)


def test_the_fake_speaks_opa_data_api(opa_url):
    import httpx

    assert httpx.get(f"{opa_url}/health").status_code == 200
    answer = httpx.post(f"{opa_url}/v1/data/govgate/nothing_here", json={"input": {}}).json()
    assert answer == {}
    answer = httpx.post(f"{opa_url}/v1/data/govgate/decision", json={"input": {}}).json()
    assert answer["result"]["allow"] is False
