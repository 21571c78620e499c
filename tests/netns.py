"""
Private networks for the integration tests: network namespaces joined to
this host by veth pairs, so that clients reach a server from addresses of
their own, as over a real network (C{tests/integration/test_network.py}).

Each L{Network} is made by one test and removed by its cleanup. A host's
subnet is numbered, and the number is claimed by creating the host's
namespace, whose name holds it: C{ip netns add} fails for a name that
exists, so test runs side by side (C{-j2}) never share a subnet or an
interface name.
"""

import json
import os
import random
import select
import shutil
import subprocess
import sys

from twisted.trial import unittest

from tests.twistdrun import SOURCE

TIMEOUT = 30
"""Seconds an C{ip} command or an agent's call may take."""

LINK_LOCAL = "fe80::78:"
"""The start of the link-local addresses of each link: C{1} on the host
side, C{2} in the namespace, added without duplicate address detection
and the only ones: the kernel makes none of its own from the MAC address
(C{addrgenmode none}, L{_connect})."""

_CLAIMS = 40
"""Subnet numbers tried before giving up."""


def ip(*args):
    """
    Run C{ip} with C{args}.

    @return: its standard output, as text.
    @raise subprocess.CalledProcessError: when it fails (with its error
        output).
    """
    return subprocess.run(["ip", *args], check=True, capture_output=True,
                          text=True, timeout=TIMEOUT).stdout


def inNamespace(namespace, argv):
    """
    @param namespace: a namespace's name.
    @param argv: a command line.
    @return: the command line running it in that namespace.
    """
    return ["ip", "netns", "exec", namespace, *argv]


class Host:
    """
    A namespace on a link of its own to this host.

    @ivar namespace: its name.
    @ivar ipv4: its IPv4 address; C{serverIPv4} is the host side's.
    @ivar ipv6: its IPv6 address (a ULA); C{serverIPv6} is the host
        side's.
    @ivar neighbour: another IPv6 address of the namespace, in the same
        C{/64} (a neighbour on the client's network): used only when
        named, never picked as a source address (it is deprecated).
    @ivar serverLinkLocal: the host side's link-local IPv6 address, with
        the zone (C{%} and the interface) that names the link on the
        host; C{reachLinkLocal} is the same address with the zone that
        names it in the namespace.
    @ivar subnet: the number naming its subnets.
    """

    def __init__(self, number):
        """
        @param number: the subnet number, 1 to 254.
        """
        self.subnet = number
        self.namespace = f"ftpkit-net{number}"
        self.ipv4, self.serverIPv4 = f"10.78.{number}.2", f"10.78.{number}.1"
        self.ipv6, self.serverIPv6 = f"fd78:0:0:{number:x}::2", \
            f"fd78:0:0:{number:x}::1"
        self.neighbour = f"fd78:0:0:{number:x}::3"
        self.link = f"ftpkn{number}"
        self.serverLinkLocal = f"{LINK_LOCAL}1%{self.link}h"
        self.reachLinkLocal = f"{LINK_LOCAL}1%{self.link}n"

    def routes(self):
        """
        @return: C{(ipv4, ipv6)}: the subnets of its link.
        """
        return (f"10.78.{self.subnet}.0/24", f"fd78:0:0:{self.subnet:x}::/64")


def _claim(taken):
    """
    Create the namespace of a subnet number no namespace and no address
    of this host uses yet.

    @param taken: the text of C{ip -o addr}, whose subnets are avoided.
    @return: its L{Host}.
    @raise subprocess.CalledProcessError: when namespaces cannot be made
        here.
    @raise unittest.SkipTest: when no number is free.
    """
    for number in random.sample(range(1, 255), _CLAIMS):
        host = Host(number)
        if f" 10.78.{number}." in taken:
            continue
        try:
            ip("netns", "add", host.namespace)
        except subprocess.CalledProcessError as e:
            if "exists" in e.stderr:
                continue
            raise
        return host
    raise unittest.SkipTest(f"no free subnet in 10.78.0.0/16 after {_CLAIMS}"
                            " tries")


def _connect(host, others):
    """
    Make C{host}'s link and addresses, and its routes to the host side of
    the C{others}' links (the addresses of one host are all reachable from
    any link, as on a real machine).
    """
    inside = ["-n", host.namespace]
    ip("link", "add", host.link + "h", "type", "veth", "peer", "name",
       host.link + "n", "netns", host.namespace)
    # No link-local address of the kernel's own (from the MAC address) on
    # either end: it is tentative for a second or two after the link
    # comes up (duplicate address detection), then the namespace prefers
    # it to LINK_LOCAL's as the source towards the host side. A session
    # over link-local addresses that logged in before then, from
    # LINK_LOCAL's, opened its passive data connections after from the
    # other, which the server refuses as port theft: the client waited
    # for its 150 until ftplib's timeout.
    ip("link", "set", host.link + "h", "addrgenmode", "none")
    ip(*inside, "link", "set", host.link + "n", "addrgenmode", "none")
    ip("addr", "add", host.serverIPv4 + "/24", "dev", host.link + "h")
    ip("addr", "add", host.serverIPv6 + "/64", "dev", host.link + "h",
       "nodad")
    ip("addr", "add", LINK_LOCAL + "1/64", "dev", host.link + "h", "nodad")
    ip("link", "set", host.link + "h", "up")
    ip(*inside, "addr", "add", host.ipv4 + "/24", "dev", host.link + "n")
    ip(*inside, "addr", "add", host.ipv6 + "/64", "dev", host.link + "n",
       "nodad")
    ip(*inside, "addr", "add", LINK_LOCAL + "2/64", "dev", host.link + "n",
       "nodad")
    ip(*inside, "addr", "add", host.neighbour + "/64", "dev",
       host.link + "n", "nodad", "preferred_lft", "0")
    ip(*inside, "link", "set", host.link + "n", "up")
    ip(*inside, "link", "set", "lo", "up")
    for other in others:
        for subnet, gateway in zip(other.routes(),
                                   (host.serverIPv4, host.serverIPv6)):
            ip(*inside, "route", "add", subnet, "via", gateway)


class Network:
    """
    Namespaces, each on its own link to this host.

    @ivar hosts: their L{Host}s.
    """

    def __init__(self, testCase, count=2):
        """
        Make them; the test's cleanup removes them.

        @param testCase: the running test.
        @param count: how many.
        @raise unittest.SkipTest: when this machine cannot make them (no
            C{ip}, not root).
        """
        if shutil.which("ip") is None:
            raise unittest.SkipTest("ip (iproute2) is not installed")
        if os.geteuid() != 0:
            raise unittest.SkipTest("network namespaces need root (with "
                                    "CAP_NET_ADMIN)")
        self.hosts = []
        testCase.addCleanup(self.remove)
        try:
            taken = ip("-o", "addr")
            for _ in range(count):
                self.hosts.append(_claim(taken))
            for host in self.hosts:
                _connect(host, [other for other in self.hosts
                                if other is not host])
        except subprocess.CalledProcessError as e:
            raise unittest.SkipTest(
                f"cannot build a network here (root with CAP_NET_ADMIN "
                f"and CAP_SYS_ADMIN is needed): {' '.join(e.cmd)}: "
                f"{e.stderr.strip()}")

    def remove(self):
        """
        Remove the namespaces (their links go with them).
        """
        for host in self.hosts:
            subprocess.run(["ip", "netns", "del", host.namespace],
                           capture_output=True, timeout=TIMEOUT)


class AgentError(Exception):
    """
    A call of an L{Agent} raised this (its type and message).
    """


class Agent:
    """
    L{tests.netagent} running in a namespace: a Python client the test
    calls into.
    """

    def __init__(self, testCase, namespace):
        """
        Start it; the test's cleanup stops it.

        @param testCase: the running test.
        @param namespace: the namespace's name.
        """
        self.process = subprocess.Popen(
            inNamespace(namespace, [sys.executable, "-m", "tests.netagent"]),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=SOURCE,
            env={**os.environ, "PYTHONPATH": SOURCE})
        testCase.addCleanup(self.stop)

    def call(self, name, *args):
        """
        Call one of the agent's functions.

        @param name: its name (see L{tests.netagent.CALLS}).
        @param args: its arguments (JSON values).
        @return: what it returned.
        @raise AgentError: what it raised.
        """
        self.process.stdin.write(json.dumps([name, args]).encode() + b"\n")
        self.process.stdin.flush()
        ready, _, _ = select.select([self.process.stdout], [], [], TIMEOUT)
        line = ready and self.process.stdout.readline()
        if not line:
            raise AgentError(f"{name}: no answer within {TIMEOUT}s (agent "
                             f"status {self.process.poll()})")
        status, value = json.loads(line)
        if status != "ok":
            raise AgentError(value)
        return value

    def stop(self):
        """
        End it (killed: it keeps nothing worth a clean exit).
        """
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process.stdin.close()
        self.process.stdout.close()
