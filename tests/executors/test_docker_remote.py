"""A remote engine: a second dockerd reached over TLS on a loopback port (remote_engine), selected as a user
would, by DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH. Its TLS is really on (a client without the
certificate is refused), and our client trusts its CA whatever REQUESTS_CA_BUNDLE says."""

from __future__ import annotations

import pytest
import requests
from remote_engine import RemoteEngine

from autogpt_ls.executors import engine


def test_a_client_without_the_client_certificate_is_refused(remote_engine: RemoteEngine) -> None:
    api = remote_engine.client_without_cert()
    with pytest.raises(requests.exceptions.ConnectionError, match="certificate"):
        api.ping()
    api.close()
    plain = requests.Session()
    plain.trust_env = False
    reply = plain.get(f"http://127.0.0.1:{remote_engine.port}/_ping", timeout=30)  # no TLS at all
    assert reply.status_code == 400 and "HTTPS" in reply.text


def test_our_client_trusts_the_engines_ca_whatever_requests_ca_bundle_says(
    on_remote_engine: RemoteEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import certifi
    import docker

    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.setenv(name, certifi.where())  # a public bundle, without the engine's private CA
    with pytest.raises(docker.errors.DockerException, match="CERTIFICATE_VERIFY_FAILED"):
        docker.from_env()  # the SDK alone: requests takes the bundle over DOCKER_CERT_PATH's CA
    client = engine.client()
    assert client.ping() and client.api.base_url == f"https://127.0.0.1:{on_remote_engine.port}"
    client.close()
