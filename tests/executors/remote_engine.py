"""A second Docker engine on this machine, reached the way a remote one is: TCP on a loopback port with TLS both
ways (a CA, a server certificate for 127.0.0.1 and a client certificate, made here with openssl), its own data
root, exec root, pid file, containerd, configuration and log, and no unix socket, so nothing it does touches the
main engine. The sandbox image is loaded into it from the main engine once per session (vfs copies every layer).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from docker import APIClient, DockerClient

PREFIX = "agls-de-"  # its folder in /tmp: short, since containerd's sockets live under it
READY = b"API listen on "  # dockerd logs it once the daemon is initialised and its API serves
START_SECONDS = 120.0  # a loaded 2-core machine; a cold start is a few seconds


@dataclass(frozen=True)
class RemoteEngine:
    """The running second engine: where it listens and the certificates a client needs."""

    folder: Path
    port: int

    @property
    def host(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    @property
    def certs(self) -> Path:
        """The client's ca.pem, cert.pem and key.pem, as DOCKER_CERT_PATH expects them."""
        return self.folder / "client"

    @property
    def env(self) -> dict[str, str]:
        """The variables that point a Docker client (the SDK's from_env, the CLI) at this engine."""
        return {"DOCKER_HOST": self.host, "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": str(self.certs)}

    def client(self) -> DockerClient:
        """A client of this engine through our own client's code path (the env above, as DOCKER_* variables)."""
        from autogpt_ls.executors import engine

        return engine.client(timeout=120, environment=self.env)

    def client_without_cert(self) -> APIClient:
        """A client that trusts the engine's CA but has no client certificate: the engine must refuse it."""
        import docker
        from docker.tls import TLSConfig

        tls = TLSConfig(ca_cert=str(self.certs / "ca.pem"), verify=True)
        api = docker.APIClient(base_url=f"https://127.0.0.1:{self.port}", tls=tls, version="1.41", timeout=30)
        api.trust_env = False  # only our CA, whatever REQUESTS_CA_BUNDLE says
        return api


def why_not() -> str | None:
    """Why a second dockerd cannot run here, or None."""
    reason = os.environ.get("AUTOGPT_DOCKER_UNAVAILABLE")
    if reason:
        return f"no Docker engine here: {reason}"
    if os.geteuid() != 0:
        return "starting a second dockerd needs root"
    missing = [tool for tool in ("dockerd", "openssl", "setpriv") if shutil.which(tool) is None]
    if missing:
        return f"{' and '.join(missing)} not installed (scripts/setup.d/20-docker.sh installs them)"
    return None


def _openssl(folder: Path, *args: str) -> None:
    subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True, timeout=60)


def _signed(folder: Path, name: str, subject: str, extensions: str) -> None:
    """`name`-key.pem and `name`.pem: an EC key and its certificate signed by the test CA."""
    (folder / f"{name}.ext").write_text(
        extensions + "\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\nbasicConstraints=CA:FALSE\n"
    )
    key = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _openssl(folder, "req", "-new", *key, "-keyout", f"{name}-key.pem", "-out", f"{name}.csr", "-subj", subject)
    _openssl(
        folder, "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial",
        "-days", "2", "-sha256", "-extfile", f"{name}.ext", "-out", f"{name}.pem",
    )  # fmt: skip


def make_certs(folder: Path) -> None:
    """A CA, the server's certificate for IP 127.0.0.1 (tls/) and a client's (client/: ca.pem, cert.pem, key.pem)."""
    tls = folder / "tls"
    tls.mkdir()
    _openssl(
        tls, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", "ca-key.pem", "-out", "ca.pem", "-days", "2", "-sha256", "-subj", "/CN=autogpt-ls test CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )  # fmt: skip
    usage = "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage="
    _signed(tls, "server", "/CN=127.0.0.1", f"{usage}serverAuth\nsubjectAltName=IP:127.0.0.1")
    _signed(tls, "client", "/CN=autogpt-ls test client", f"{usage}clientAuth")
    client = folder / "client"
    client.mkdir()
    for source, target in (("ca.pem", "ca.pem"), ("client.pem", "cert.pem"), ("client-key.pem", "key.pem")):
        shutil.copy(tls / source, client / target)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def dockerd_argv(folder: Path, port: int) -> list[str]:
    """Everything of its own: no unix socket, a containerd it supervises in its exec root, its own namespaces."""
    tls = folder / "tls"
    (folder / "daemon.json").write_text("{}\n")  # not /etc/docker/daemon.json, which may name hosts
    return [
        "setpriv", "--pdeathsig", "TERM", "--",  # a killed test process takes its engine along
        "dockerd", "--config-file", str(folder / "daemon.json"),
        "--data-root", str(folder / "data"), "--exec-root", str(folder / "exec"), "--pidfile", str(folder / "pid"),
        "-H", f"tcp://127.0.0.1:{port}", "--tlsverify", "--tlscacert", str(tls / "ca.pem"),
        "--tlscert", str(tls / "server.pem"), "--tlskey", str(tls / "server-key.pem"),
        "--containerd-namespace", "autogpt-ls-remote", "--containerd-plugins-namespace", "autogpt-ls-remote-plugins",
        "--bridge=none", "--iptables=false", "--ip6tables=false", "--storage-driver=vfs",
    ]  # fmt: skip


def _copy_log(stream: IO[bytes], log: IO[bytes], ready: threading.Event) -> None:
    """dockerd's log to its file; `ready` once it serves, or once it ended (the caller checks which)."""
    with log:
        for line in stream:
            log.write(line)
            log.flush()
            if READY in line:
                ready.set()
    ready.set()


def _unmount_under(folder: Path) -> None:
    """What the engine left mounted in its folders (a killed engine's shm, netns), deepest first."""
    mine = str(folder) + "/"
    points = [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()]
    for point in sorted((p for p in points if p.startswith(mine)), key=len, reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True, timeout=30)


def _alive(pid_file: Path) -> bool:
    try:
        os.kill(int(pid_file.read_text()), 0)
    except (OSError, ValueError):
        return False
    return True


def _sweep() -> None:
    """The folders of engines whose test process was killed (vfs holds a copy of the image in each), unless
    their engine still runs."""
    for folder in Path("/tmp").glob(f"{PREFIX}*"):
        if (folder / "owner").exists() and not _alive(folder / "owner") and not _alive(folder / "pid"):
            _unmount_under(folder)
            shutil.rmtree(folder, ignore_errors=True)


def _stop(proc: subprocess.Popen[bytes], client: DockerClient | None) -> None:
    if client is not None:
        with contextlib.suppress(Exception):
            for container in client.containers.list(all=True):
                container.remove(force=True)
        client.close()
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # it stops its containerd and its containers
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


@contextlib.contextmanager
def remote_engine_started(main: DockerClient, image: str) -> Iterator[RemoteEngine]:
    """Start the second engine with `image` (from the `main` engine) in it; stop it and remove its data after."""
    reason = why_not()
    if reason:
        pytest.skip(reason)
    _sweep()
    folder = Path(tempfile.mkdtemp(prefix=PREFIX, dir="/tmp"))
    (folder / "owner").write_text(str(os.getpid()))
    make_certs(folder)
    engine = RemoteEngine(folder, _free_port())
    ready = threading.Event()
    proc = subprocess.Popen(
        dockerd_argv(folder, engine.port), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    assert proc.stderr is not None
    threading.Thread(
        target=_copy_log, args=(proc.stderr, (folder / "dockerd.log").open("wb"), ready), daemon=True
    ).start()
    client: DockerClient | None = None
    try:
        ready.wait(START_SECONDS)
        log = folder / "dockerd.log"
        assert proc.poll() is None and ready.is_set(), f"the second dockerd did not start: {log.read_text()[-3000:]}"
        client = engine.client()
        assert client.ping()
        client.images.load(main.images.get(image).save(named=image))  # named: with its tag
        yield engine
    finally:
        _stop(proc, client)
        _unmount_under(folder)
        shutil.rmtree(folder, ignore_errors=True)
