"""Several "hosts" on one machine: network namespaces joined to this one by veth pairs.

Each host is a namespace `rh-<run>-<role>` with one veth pair: `<host ip>` on our side,
`<ns ip>` inside, a /30 of its own. Servers that listen on 127.0.0.1 only (PostgreSQL,
Redis, the moto S3 server) are reached from the namespaces through `Forwarder`, a small
TCP relay this process runs on our side's addresses. Everything is removed by `close()`;
names are unique per run, so parallel runs don't collide.
"""

import asyncio
import os
import random
import shutil
import subprocess
import threading
import uuid
from dataclasses import dataclass, field


class NamespacesUnavailable(Exception):
    """Network namespaces can't be made here (not root, no `ip`, no CAP_NET_ADMIN)."""


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True, timeout=30)


@dataclass
class Host:
    name: str  # the namespace
    host_ip: str  # our side of the veth pair: where its servers are forwarded
    ip: str  # its own address

    @property
    def prefix(self) -> tuple[str, ...]:
        """The command prefix that runs a process on this host."""
        return ("ip", "netns", "exec", self.name)


@dataclass
class Hosts:
    """Network namespaces made for one test; `close()` removes all of them."""

    run: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    hosts: list[Host] = field(default_factory=list)
    _links: list[str] = field(default_factory=list)

    def add(self, role: str) -> Host:
        """Make a namespace with its veth pair and addresses; raise NamespacesUnavailable."""
        if os.environ.get("TEST_MULTIHOST_NETNS") == "0":
            raise NamespacesUnavailable("turned off by TEST_MULTIHOST_NETNS=0")
        if shutil.which("ip") is None:
            raise NamespacesUnavailable("the `ip` command (iproute2) is not installed")
        index = len(self.hosts)
        if index == 0:
            self._subnet = _free_subnet()
        name = f"rh-{self.run}-{role}"
        outside, inside = f"rh{self.run}{index}h", f"rh{self.run}{index}n"
        host_ip, ns_ip = f"{self._subnet}.{4 * index + 1}", f"{self._subnet}.{4 * index + 2}"
        try:
            _ip("netns", "add", name)
            self.hosts.append(Host(name=name, host_ip=host_ip, ip=ns_ip))
            _ip("link", "add", outside, "type", "veth", "peer", "name", inside)
            self._links.append(outside)
            _ip("link", "set", inside, "netns", name)
            _ip("addr", "add", f"{host_ip}/30", "dev", outside)
            _ip("link", "set", outside, "up")
            _ip("-n", name, "addr", "add", f"{ns_ip}/30", "dev", inside)
            _ip("-n", name, "link", "set", inside, "up")
            _ip("-n", name, "link", "set", "lo", "up")
        except (subprocess.CalledProcessError, OSError) as exc:
            detail = getattr(exc, "stderr", "") or str(exc)
            raise NamespacesUnavailable(f"`ip` failed: {detail.strip()}") from exc
        return self.hosts[-1]

    def close(self) -> None:
        """Delete the namespaces and veth pairs (stop the processes in them first)."""
        for host in self.hosts:
            subprocess.run(["ip", "netns", "del", host.name], capture_output=True, timeout=30)
        for link in self._links:  # gone with its peer's namespace, normally
            subprocess.run(["ip", "link", "del", link], capture_output=True, timeout=30)
        self.hosts.clear()
        self._links.clear()


def _free_subnet() -> str:
    """Return `10.x.y`, a /24 no interface here uses."""
    used = subprocess.run(["ip", "-o", "addr"], capture_output=True, text=True).stdout
    for _ in range(100):
        subnet = f"10.{random.randint(200, 250)}.{random.randint(0, 255)}"
        if f" {subnet}." not in used:
            return subnet
    raise NamespacesUnavailable("no free 10.x.y.0/24 found")


class Forwarder:
    """Relay TCP connections arriving at `listen` addresses (one port) to `target`."""

    def __init__(self, listen: list[str], target: tuple[str, int]) -> None:
        self.target = target
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.port, self.server = self._call(self._start(listen))

    def _call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(30)

    async def _start(self, listen: list[str]):
        for _ in range(50):
            port = random.randint(20000, 60000)
            try:
                server = await asyncio.start_server(self._relay, host=listen, port=port)
            except OSError:
                continue
            return port, server
        raise OSError("no free port to forward from")

    async def _relay(self, client_r, client_w) -> None:
        try:
            target_r, target_w = await asyncio.open_connection(*self.target)
        except OSError:
            client_w.close()
            return
        await asyncio.gather(_pipe(client_r, target_w), _pipe(target_r, client_w))

    def close(self) -> None:
        async def stop() -> None:
            self.server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        try:
            self._call(stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError, asyncio.CancelledError):
        pass
    finally:
        writer.close()
