"""
Tests for L{ftpkit.deploy.endpoints}: C{--listen} descriptions as data.
"""

import os

from twisted.trial import unittest

from ftpkit.deploy.endpoints import (
    LISTEN_BACKLOG,
    clientsHaveAddresses,
    parseServerEndpoint,
    withBacklog,
    withTruthValues,
)


class WithBacklogTests(unittest.TestCase):
    """
    L{withBacklog} gives a listener that names no listen queue ftpkit's
    (L{LISTEN_BACKLOG}), not Twisted's 50: a burst of clients connecting
    while the server is busy then waits in the kernel's queue instead of
    having its connections dropped and retried seconds later.
    """

    def test_default(self):
        """
        ftpkit's queue is as long as the acceptor of C{--workers} has.
        """
        self.assertEqual(LISTEN_BACKLOG, 511)

    def test_added(self):
        """
        C{tcp:}, C{tcp6:} and C{unix:} listeners get a C{backlog}.
        """
        for description in ("tcp:2121", "tcp:2121:interface=127.0.0.1",
                            "tcp6:2121:interface=\\:\\:1",
                            "TCP:port=21", "unix:/run/ftp.sock"):
            self.assertEqual(withBacklog(description),
                             description + ":backlog=511", description)

    def test_kept(self):
        """
        A C{backlog} written, by name or in its place, is kept.
        """
        for description in ("tcp:2121:backlog=10",
                            "tcp:2121:interface=127.0.0.1:backlog=10",
                            "tcp:2121:127.0.0.1:10", "unix:/s:666:10"):
            self.assertEqual(withBacklog(description), description)

    def test_otherKinds(self):
        """
        Other endpoints are left as they are (a C{systemd:} listener's
        queue is the socket unit's C{Backlog=}).
        """
        for description in ("systemd:domain=INET:index=0",
                            "ssl:990:privateKey=k.pem", "le:/certs:tcp:443"):
            self.assertEqual(withBacklog(description), description)

    def test_length(self):
        """
        Another length may be asked for.
        """
        self.assertEqual(withBacklog("tcp:21", 100), "tcp:21:backlog=100")


class ParseServerEndpointTests(unittest.TestCase):
    """
    L{parseServerEndpoint} says why a description is bad.
    """

    def test_systemdWithoutSocket(self):
        """
        A C{systemd:} listener in a process systemd passed no such socket
        to (started by hand, or by a service without its C{.socket}
        unit) is said to be one: it was C{list index out of range} (by
        index) or the bare name (by name).
        """
        for description in ("systemd:domain=INET:index=0",
                            "systemd:domain=INET6:name=ftp"):
            error = self.assertRaises(ValueError, parseServerEndpoint,
                                      description)
            self.assertEqual(
                str(error),
                f"bad endpoint {description!r}: systemd passed this process "
                f"no such socket (start it through its .socket unit)")

    def test_unixSocketWithoutDirectory(self):
        """
        A C{unix:} socket in a directory that does not exist is said to
        be so as the options are read: the server started, then stopped
        with C{cannot listen: [Errno 2] No such file or directory: '123'
        -> b'/run/ftpkit/ftp.sock.lock'} (Twisted's lock file, named by
        its process id). A socket whose directory exists parses.
        """
        for description in ("unix:/nonexistent/dir/ftp.sock",
                            "unix:address=/nonexistent/dir/ftp.sock:mode=660",
                            "haproxy:unix:/nonexistent/dir/ftp.sock"):
            error = self.assertRaises(ValueError, parseServerEndpoint,
                                      description)
            self.assertEqual(
                str(error),
                f"bad endpoint {description!r}: no directory "
                f"'/nonexistent/dir' for the socket")
        parseServerEndpoint("unix:" + self.mktemp())

    def test_unixSocketPathTooLong(self):
        """
        A C{unix:} socket's path longer than a socket's may be (107 bytes)
        is said to be as the options are read: the server started, then
        stopped with C{cannot listen: ... AF_UNIX path too long}. One of
        107 bytes parses.
        """
        longest = "/tmp/" + "s" * 102
        parseServerEndpoint("unix:" + longest)
        for description in ("unix:" + longest + "s",
                            "haproxy:unix:address=" + longest + "s:mode=600"):
            error = self.assertRaises(ValueError, parseServerEndpoint,
                                      description)
            self.assertEqual(
                str(error),
                f"bad endpoint {description!r}: the socket's path is 108 "
                f"bytes long, past the 107 a Unix socket's may have")

    def test_tlsWithoutCertificates(self):
        """
        A C{tls:} listener (Twisted's: a directory of PEM files, one per
        host name) whose directory does not exist is said to be as the
        options are read: Twisted took it, and every client's handshake
        failed (C{tls:127.0.0.1:2121} is the directory C{127.0.0.1} and
        port 2121 of every address). One whose directory exists parses.
        """
        missing = self.mktemp()
        for description, directory in [
                (f"tls:{missing}:port=0", missing),
                (f"tls:path={missing}:port=0", missing),
                ("tls:", "")]:
            error = self.assertRaises(ValueError, parseServerEndpoint,
                                      description)
            shown = os.path.abspath(directory) if directory else ""
            self.assertEqual(
                str(error),
                f"bad endpoint {description!r}: no directory {shown!r} "
                f"of certificates")
        os.mkdir(missing)
        parseServerEndpoint(f"tls:{missing}:port=0:interface=127.0.0.1")

    def test_unixSocketModeNotOctal(self):
        """
        A C{unix:} socket's C{mode} that is empty or not octal is said to
        be: it was Python's C{invalid literal for int() with base 8: ''}.
        """
        for mode in ("", "9", "x"):
            description = f"unix:{self.mktemp()}:mode={mode}"
            error = self.assertRaises(ValueError, parseServerEndpoint,
                                      description)
            self.assertEqual(
                str(error),
                f"bad endpoint {description!r}: a mode is missing or not an "
                f"octal number ({mode!r})")


class ClientsHaveAddressesTests(unittest.TestCase):
    """
    L{clientsHaveAddresses}: which listeners' clients have an IP address
    the address rules match.
    """

    def test_kinds(self):
        for description in ("tcp:21", "tcp6:21", "ssl:990", "haproxy:tcp:21",
                            "haproxy:unix:/run/s", "systemd:domain=INET:index=0",
                            "systemd:domain=INET6:index=0"):
            self.assertTrue(clientsHaveAddresses(description), description)
        for description in ("unix:/run/s", "systemd:domain=UNIX:index=0",
                            "systemd:index=0", "other:21"):
            self.assertFalse(clientsHaveAddresses(description), description)


class WithTruthValuesTests(unittest.TestCase):
    """
    L{withTruthValues} reads a C{unix:} listener's C{lockfile} as store
    options' truth values are read, and writes it as Twisted reads it:
    Twisted's C{bool(int(...))} refused C{lockfile=true} with a complaint
    about a port, and took C{lockfile=2} as true.
    """

    def test_spellings(self):
        """
        Named or in its place, behind C{haproxy:} or not, any spelling
        becomes C{1} or C{0}, escapes kept.
        """
        for given, written in [
                ("unix:/r/s:lockfile=yes", "unix:/r/s:lockfile=1"),
                ("unix:/r/s:lockfile=OFF", "unix:/r/s:lockfile=0"),
                ("unix:/r/s:666:50:true", "unix:/r/s:666:50:1"),
                ("haproxy:unix:/r/s:lockfile=no",
                 "haproxy:unix:/r/s:lockfile=0"),
                ("unix:/r\\:x/s:lockfile=on", "unix:/r\\:x/s:lockfile=1"),
                ("unix:address=/r/s:mode=600:lockfile=1",
                 "unix:address=/r/s:mode=600:lockfile=1")]:
            self.assertEqual(withTruthValues(given), written)

    def test_others(self):
        """
        Other endpoints, and a C{unix:} one naming no C{lockfile}, are
        kept as they are; a C{lockfile} no spelling reads is refused.
        """
        for kept in ["unix:/r/s", "unix:/r/s:666:50", "unix:lockfile",
                     "unix:lockfile:666",
                     "tcp:2121:interface=127.0.0.1", "tcp:0:lockfile=x"]:
            self.assertEqual(withTruthValues(kept), kept)
        for wrong in ["unix:/r/s:lockfile=2", "unix:/r/s:666:50:maybe"]:
            self.assertRaises(ValueError, withTruthValues, wrong)
