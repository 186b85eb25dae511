"""The Docker engine's client, chosen by the environment as the docker CLI reads it (DOCKER_HOST, DOCKER_TLS_VERIFY,
DOCKER_CERT_PATH): the local socket, or a remote engine over TLS."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from docker import DockerClient


def client(timeout: int | None = 60, environment: Mapping[str, str] | None = None) -> DockerClient:
    """docker.from_env, except that a TLS engine's CA is DOCKER_CERT_PATH's alone: requests lets REQUESTS_CA_BUNDLE
    or CURL_CA_BUNDLE (set on many machines, this one too) replace a session's CA on every request, which refuses
    the engine's private CA. The API version is asked first on a client that ignores them."""
    import docker
    from docker.constants import MINIMUM_DOCKER_API_VERSION
    from docker.utils import kwargs_from_env

    params = kwargs_from_env(environment=environment)
    if not params.get("tls"):
        return docker.from_env(timeout=timeout, environment=environment)  # type: ignore[arg-type]
    probe = docker.APIClient(version=MINIMUM_DOCKER_API_VERSION, timeout=timeout, **params)  # type: ignore[arg-type]
    probe.trust_env = False
    try:
        version = probe.version(api_version=False)["ApiVersion"]
    finally:
        probe.close()
    found = docker.DockerClient(version=version, timeout=timeout, **params)  # type: ignore[arg-type]
    found.api.trust_env = False
    return found
