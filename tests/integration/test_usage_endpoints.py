"""
C{--listen} and C{--metrics} endpoints an operator gets wrong, and the
start-up line a script reads the port from: each a usage error in the
description's terms, or no C{listening on} line for a server that did not
listen everywhere.

Found and left (session 30's sweep of the operating surfaces, fixed in
session 31 by L{InterfaceNameTests}): C{--listen
tcp:0:interface=999.1.1.1} was a C{critical} log line (C{cannot listen:
... Name or service not known}) and exit status 1 rather than a usage
error: the name was resolved only when listening.
"""

import os
import socket
import subprocess
import sys

from twisted.python import usage
from twisted.trial import unittest

from ftpkit.deploy.endpoints import interfaceError
from tests.scratch import scratchDirectory
from tests.tapoptions import parse
from tests.tlssupport import makeCertificate
from tests.twistdrun import SOURCE, runTwistd


class EndpointArgumentTests(unittest.TestCase):
    """
    A C{--listen} or C{--metrics} endpoint whose arguments its parser
    cannot take is a usage error in the description's terms.
    """

    def refused(self, option, description):
        """
        @param option: C{--listen} or C{--metrics}.
        @param description: the endpoint given.
        @return: the usage error's message.
        """
        return str(self.assertRaises(usage.UsageError, parse, option,
                                     description))

    def test_unknownArgument(self):
        """
        An argument no C{tcp:} endpoint takes is named, with those it
        takes, and the parser's private name is not.
        """
        why = self.refused("--listen", "tcp:0:bogus=1")
        self.assertIn("tcp: takes no argument 'bogus' (it takes port, "
                      "interface, backlog)", why)
        self.assertNotIn("_parse", why)

    def test_unknownArgumentBehindProxy(self):
        """
        So it is for the endpoint behind C{haproxy:}, and for
        C{--metrics}.
        """
        self.assertIn("tcp6: takes no argument 'Interface'",
                      self.refused("--listen",
                                   "haproxy:tcp6:0:Interface=\\:\\:1"))
        self.assertIn("tcp: takes no argument 'bogus'",
                      self.refused("--metrics", "tcp:0:bogus=1"))

    def test_tooManyPlaced(self):
        """
        One argument too many without a name says how many it takes.
        """
        why = self.refused("--listen", "tcp:0:127.0.0.1:50:extra")
        self.assertIn("tcp: takes at most 3 arguments without a name, "
                      "not 4", why)
        self.assertNotIn("_parse", why)

    def test_missingPort(self):
        """
        A C{tcp:} endpoint without a port says so.
        """
        why = self.refused("--listen", "tcp")
        self.assertIn("tcp: needs 'port'", why)
        self.assertNotIn("_parse", why)


class ImplicitEndpointArgumentsTests(unittest.TestCase):
    """
    ftpkit listens on an C{ssl:} endpoint's port in its own TLS, reading
    only its C{privateKey} and C{certKey}: the endpoint's other arguments
    were accepted and dropped without a word, C{extraCertChain} (Twisted's
    way to send the intermediate certificates, which clients then did
    not get and failed to verify the server with) and names no C{ssl:}
    endpoint takes alike.
    """

    def setUp(self):
        self.cert, self.key, _ = makeCertificate(scratchDirectory(self))

    def refused(self, arguments):
        """
        @param arguments: the arguments after C{ssl:0:privateKey=...:
            certKey=...}.
        @return: the usage error's message.
        """
        description = (f"ssl:0:interface=127.0.0.1:privateKey={self.key}:"
                       f"certKey={self.cert}:{arguments}")
        return str(self.assertRaises(usage.UsageError, parse,
                                     "--listen", description))

    def test_extraCertChain(self):
        """
        C{extraCertChain} is a usage error saying where the intermediates
        go instead.
        """
        self.assertIn(
            "extraCertChain is not used: put the intermediate certificates "
            "after the certificate, in the certKey file (or the --tls-cert "
            "file)", self.refused(f"extraCertChain={self.cert}"))

    def test_unknownArgument(self):
        """
        An argument no C{ssl:} endpoint takes is a usage error naming it,
        as it is for a C{tcp:} endpoint; so is a positional one past the
        port (Twisted's C{ssl:} endpoint took it for C{privateKey}).
        """
        self.assertIn("ssl: takes no argument 'certkey'",
                      self.refused("certkey=x"))
        self.assertIn("ssl: takes no argument 'key.pem'",
                      self.refused("key.pem"))

    def test_unusedKept(self):
        """
        C{sslmethod} and C{dhParameters}, which ftpkit's TLS decides
        itself, are still accepted, as documented, and not read.
        """
        parse("--listen", f"ssl:0:interface=127.0.0.1:privateKey={self.key}:"
                          f"certKey={self.cert}:sslmethod=TLSv1_2_METHOD:"
                          f"dhParameters=/nonexistent")

    def test_badMethod(self):
        """
        An C{sslmethod} naming no OpenSSL method is a one-line usage error
        saying so, as Twisted's own C{ssl:} endpoint refuses it; it was
        taken without a word. So is a name of pyOpenSSL that is no method.
        """
        for method in ("bogus", "Context", "tls_method"):
            why = self.refused(f"sslmethod={method}")
            self.assertIn(f"sslmethod={method!r} is no OpenSSL method", why)
            self.assertNotIn("\n", why)


class InterfaceNameTests(unittest.TestCase):
    """
    A listener's C{interface} that is a name resolving to nothing is a
    usage error, as C{--listen} and C{--metrics} are read.
    """

    timeout = 120

    def test_interfaceError(self):
        """
        Addresses are not resolved; a name is, as IPv4 (as Twisted binds
        it, for C{tcp6:} too), placed or named, behind C{haproxy:}; other
        kinds of endpoint are left alone.
        """
        asked = []

        def resolve(host, port, family, kind):
            asked.append((host, family))
            if host != "ftp.example":
                raise socket.gaierror(-2, "Name or service not known")

        for description in ["tcp:0", "tcp:0:interface=127.0.0.1",
                            "tcp6:0:interface=\\:\\:1",
                            "tcp:0:interface=ftp.example",
                            "unix:/tmp/x", "tcp6:0:fe80\\:\\:1%lo"]:
            self.assertIsNone(interfaceError(description, resolve),
                              description)
        self.assertEqual(asked, [("ftp.example", socket.AF_INET)])
        for description in ["tcp:0:interface=999.1.1.1",
                            "tcp6:0:interface=999.1.1.1",
                            "tcp:0:999.1.1.1",
                            "haproxy:tcp:0:interface=999.1.1.1"]:
            self.assertEqual(
                interfaceError(description, resolve),
                "interface '999.1.1.1' is no IP address, and no address of "
                "that name was found (Name or service not known)")

    def test_options(self):
        """
        C{--listen} (C{ssl:} too) and C{--metrics} with such a name are
        usage errors naming it.
        """
        for option, description in [
                ("--listen", "tcp:0:interface=nosuch.invalid"),
                ("--listen", "haproxy:tcp6:0:interface=nosuch.invalid"),
                ("--metrics", "tcp:0:interface=nosuch.invalid")]:
            why = str(self.assertRaises(usage.UsageError, parse, option,
                                        description))
            self.assertIn(f"{option}: bad endpoint {description!r}: "
                          f"interface 'nosuch.invalid' is no IP address",
                          why)

    def test_process(self):
        """
        Run by C{twistd}, it is one line and exit status 1, before any
        start.
        """
        status, lines = runTwistd(
            self, "ftpkit", "--listen", "tcp:0:interface=999.1.1.1",
            "--root", scratchDirectory(self))
        self.assertEqual(status, 1)
        self.assertEqual(len(lines), 1, lines)
        self.assertIn("--listen: bad endpoint 'tcp:0:interface=999.1.1.1': "
                      "interface '999.1.1.1' is no IP address", lines[0])


class ListeningLineTests(unittest.TestCase):
    """
    The start-up line C{ftpkit listening on ADDRESS port N} is logged once
    the server listens everywhere it was told to: a script reads the port
    a server took from it (C{--listen tcp:0}).
    """

    def failedStart(self, *arguments):
        """
        Start C{python -m ftpkit} with a listener of C{arguments} on a
        port in use.

        @param arguments: options, C{{busy}} standing for that port.
        @return: the process' exit status and standard output.
        """
        busy = socket.socket()
        self.addCleanup(busy.close)
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "ftpkit", "--root",
             scratchDirectory(self), "--auth", "anonymous",
             *[argument.format(busy=port) for argument in arguments]],
            capture_output=True, timeout=60, stdin=subprocess.DEVNULL,
            env=dict(os.environ, PYTHONPATH=SOURCE))
        return done.returncode, done.stdout.decode()

    def test_metricsInUse(self):
        """
        One process that cannot listen on its C{--metrics} endpoint logged
        that it listened on its C{--listen} one (the acceptor of
        C{--workers} did not), then ended.
        """
        for workers in ["1", "2"]:
            status, output = self.failedStart(
                "--workers", workers,
                "--listen", "tcp:0:interface=127.0.0.1",
                "--metrics", "tcp:{busy}:interface=127.0.0.1")
            self.assertEqual(status, 1)
            self.assertIn("cannot listen: ", output)
            self.assertNotIn("ftpkit listening on", output)

    def test_secondListenInUse(self):
        """
        Nor is it logged for the first C{--listen} when the second cannot
        listen.
        """
        status, output = self.failedStart(
            "--listen", "tcp:0:interface=127.0.0.1",
            "--listen", "tcp:{busy}:interface=127.0.0.1")
        self.assertEqual(status, 1)
        self.assertIn("cannot listen: ", output)
        self.assertNotIn("ftpkit listening on", output)
