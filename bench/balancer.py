"""
ftpkit nodes behind HAProxy on loopback, the layout C{docs/scale-out.rst}
shows: one frontend for the control port (round robin, PROXY protocol v2)
and one per node for its passive ports (v1). C{tests/integration/test_haproxy.py} and
C{python -m bench.scaleout} both build it from here.
"""

import os
import random
import shutil
import socket
import subprocess
import time

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
"""Where Debian puts HAProxy."""

ATTEMPTS = 3
"""Times to start a layout on new ports when its ports were taken."""


def haproxyInstalled():
    """
    @return: whether L{HAPROXY} can be run.
    """
    return os.access(HAPROXY, os.X_OK)


def haproxyConfig(frontend, backends, passiveRanges):
    """
    The balancer's configuration (the layout docs/scale-out.rst shows).

    @param frontend: the control port on 127.0.0.1.
    @param backends: C{(host, port)} of each node's C{haproxy:} listener.
    @param passiveRanges: C{(low, high)} of each node's passive ports.
    @return: the text of C{haproxy.cfg}.
    """
    # Without SO_REUSEPORT: two balancers started at once (tests, other
    # runs) on overlapping passive ranges would share ports and take each
    # other's data connections; the second one now fails to start.
    lines = [
        "global", "    maxconn 2000", "    noreuseport",
        "defaults", "    mode tcp", "    timeout connect 5s",
        "    timeout client 60s", "    timeout server 60s",
        "    option redispatch", "    retries 2",
        "frontend ftp", f"    bind 127.0.0.1:{frontend}",
        "    default_backend nodes",
        "backend nodes", "    balance roundrobin",
    ]
    # Three failed checks in a row take a node out (a second for a dead
    # one; a refused connection meanwhile goes to the other): one check
    # late on a loaded machine must not take a live node out.
    for i, (host, port) in enumerate(backends):
        lines.append(f"    server node{i} {host}:{port} send-proxy-v2"
                     " check inter 300ms fall 3 rise 1")
    for i, ((host, _), (low, high)) in enumerate(zip(backends,
                                                     passiveRanges)):
        lines += [f"frontend passive{i}", f"    bind 127.0.0.1:{low}-{high}",
                  f"    default_backend passive{i}",
                  f"backend passive{i}", f"    server node{i} {host} send-proxy"]
    return "\n".join(lines) + "\n"


def freeRange(count, hosts, low=20000, high=32000):
    """
    Find C{count} consecutive ports free on every address in C{hosts},
    scanning up from a random port (and around), so that ports other
    runs hold only make the search go on past them.

    The probes bind with C{SO_REUSEADDR}, as the nodes and HAProxy do: a
    port whose connections are only in C{TIME_WAIT} (many, after other
    tests' transfers) is free for them.

    @param count: how many consecutive ports.
    @param hosts: the addresses they must be free on.
    @param low: the lowest port to use.
    @param high: one past the highest port to use.
    @return: C{(first, last)}: a range that was free a moment ago.
    @raise RuntimeError: when none was found.
    """
    span = high - low
    start = random.randrange(span)
    candidate, tried = 0, 0
    while tried < span:
        first = low + (start + candidate) % span
        if first + count > high:
            # Ranges do not wrap: go on from the bottom.
            candidate += high - first
            tried += high - first
            continue
        taken = _firstTaken(range(first, first + count), hosts)
        if taken is None:
            return first, first + count - 1
        candidate += taken - first + 1
        tried += taken - first + 1
    raise RuntimeError("no free port range")


def _firstTaken(ports, hosts):
    """
    @return: the first of C{ports} that cannot be bound on one of
        C{hosts}, or C{None} when all can.
    """
    sockets = []
    try:
        for port in ports:
            for host in hosts:
                s = socket.socket()
                sockets.append(s)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    s.bind((host, port))
                except OSError:
                    return port
        return None
    finally:
        for s in sockets:
            s.close()


def startHaproxy(configPath, log):
    """
    Run HAProxy in the foreground on a configuration file.

    @param configPath: the C{haproxy.cfg}.
    @param log: a binary file its output goes to.
    @return: the L{subprocess.Popen}.
    """
    return subprocess.Popen([HAPROXY, "-f", configPath, "-db"],
                            stdin=subprocess.DEVNULL, stdout=log,
                            stderr=subprocess.STDOUT)


def portsTaken(log):
    """
    @param log: what HAProxy wrote before it exited.
    @return: whether it exited because a port it binds was taken (start
        the layout again on other ports).
    """
    return "cannot bind socket" in log


def waitForGreeting(port, process, timeout=30.0, probes=1):
    """
    Wait until the balancer greets clients on C{127.0.0.1:port}.

    @param port: its control port.
    @param process: its L{subprocess.Popen}.
    @param timeout: seconds to wait.
    @param probes: how many connections in a row must be greeted (one
        per node: round robin takes each to another).
    @return: whether it did before C{timeout}, or before it exited.
    """
    end = time.monotonic() + timeout
    greeted = 0
    while time.monotonic() < end and process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port),
                                          timeout=5) as probe:
                if probe.recv(100).startswith(b"220"):
                    greeted += 1
                    if greeted >= probes:
                        return True
                    continue
        except OSError:
            pass
        greeted = 0
        time.sleep(0.1)
    return False
