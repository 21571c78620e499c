"""
Each C{fsspec:memory://} realm of a server (C{--realm} and each
C{--vhost}) keeps a store of its own, as C{--realm memory} hosts do:
fsspec's C{memory://} filesystems share one store by default, so a file
uploaded on one host was listed, and deletable, on another, and one
C{?size=} bound held both.
"""

from twisted.trial import unittest

from tests.rawclient import RawClient
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess


class MemoryHostsTests(unittest.TestCase):
    """
    Virtual hosts on C{fsspec:memory://} through a real server.
    """

    timeout = 60

    def serve(self, realm, hosts):
        """
        @param realm: the C{--realm}.
        @param hosts: C{(name, realm)} pairs given as C{--vhost}.
        @return: the started L{ServerProcess}.
        """
        options = ["--root", scratchDirectory(self),
                   "--auth", "memory:alice:secret", "--realm", realm]
        for name, spec in hosts:
            options += ["--vhost", f"{name}={spec}"]
        server = ServerProcess(self, options)
        server.waitForGreeting()
        return server

    def session(self, server, host):
        """
        @param host: the C{HOST} to send, or C{None} for the default.
        @return: a L{RawClient} logged in as alice on that host.
        """
        client = RawClient(server.port)
        self.addCleanup(client.close)
        if host is not None:
            self.assertTrue(client.command(f"HOST {host}").startswith(b"220"))
        self.assertTrue(client.login().startswith(b"230"))
        return client

    def names(self, client):
        """
        @return: the names C{NLST} gives of the client's directory.
        """
        _, data, last = client.transfer("NLST")
        self.assertTrue(last.startswith(b"226"), last)
        return sorted(data.split())

    def test_hostsApart(self):
        """
        A file uploaded on one host is neither listed nor deletable on
        the other.
        """
        server = self.serve("memory", [("m1.example", "fsspec:memory://"),
                                       ("m2.example", "fsspec:memory://")])
        one = self.session(server, "m1.example")
        _, _, last = one.transfer("STOR only1.txt", b"one")
        self.assertTrue(last.startswith(b"226"), last)
        two = self.session(server, "m2.example")
        self.assertEqual(self.names(two), [])
        self.assertTrue(two.command("DELE only1.txt").startswith(b"550"))
        self.assertEqual(self.names(one), [b"only1.txt"])

    def test_boundsApart(self):
        """
        Each host's C{?size=} bounds its own store: filling one leaves the
        other's room.
        """
        spec = "fsspec:memory://?size=64K"
        server = self.serve("memory", [("m1.example", spec),
                                       ("m2.example", spec)])
        one = self.session(server, "m1.example")
        self.assertEqual(one.storeCode("big", 40 * 1024)[:3], b"226")
        two = self.session(server, "m2.example")
        self.assertEqual(two.storeCode("big2", 40 * 1024)[:3], b"226")

    def test_defaultApart(self):
        """
        The default host on C{memory://} sees neither host's files kept
        at other paths of C{memory://}.
        """
        server = self.serve("fsspec:memory://", [
            ("one.example", "fsspec:memory:///one"),
            ("two.example", "fsspec:memory:///two")])
        for host in ("one.example", "two.example"):
            client = self.session(server, host)
            _, _, last = client.transfer("STOR f.txt", b"x")
            self.assertTrue(last.startswith(b"226"), last)
        self.assertEqual(self.names(self.session(server, None)), [])
