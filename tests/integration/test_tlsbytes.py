"""
What a download under TLS counts as sent (L{ftpkit.data.sentbytes}) when
its client never lets a byte through, on a real server with C{--xferlog}
and C{--metrics}: an active (C{EPRT}) data connection the client accepts
and never sends its ClientHello on. The file's producer wrote into the
TLS layer's buffer before the handshake, and the log line, the xferlog
line and C{ftpkit_sent_bytes_total} counted those writes (tlsbytes53:
C{426, 1048576 bytes} for a file of which the client got nothing). Since
session 54 the transfer gets such a connection only once its handshake is
done (L{ftpkit.data.activehandshake}): it ends with C{425} (no data
connection could be opened), nothing of the file read.
"""

import ftplib
import os
import re
import socket
import urllib.request

from prometheus_client.parser import text_string_to_metric_families
from twisted.trial import unittest

from tests.serverprocess import startServer
from tests.tlssupport import Certificates, clientContext

SIZE = (1 << 20) + 1
"""The file's size: more than the TLS layer's buffer takes."""


def metric(server, name):
    """
    @return: the value of the metric C{name} (no labels) on C{server}.
    """
    with urllib.request.urlopen(server.metricsURL(), timeout=30) as r:
        text = r.read().decode("utf-8")
    return sum(sample.value
               for family in text_string_to_metric_families(text)
               for sample in family.samples if sample.name == name)


class SilentActiveTLSTests(Certificates, unittest.TestCase):
    """
    C{PROT P}, C{EPRT}, and a data connection accepted and never used.
    """

    timeout = 60

    def setUp(self):
        self.makeCertificates()
        self.xferlog = os.path.abspath(self.mktemp())
        self.server, self.root = startServer(
            self, "--tls-cert", self.both, "--xferlog", self.xferlog,
            "--data-timeout", "3", metrics=True)
        with open(os.path.join(self.root, "m1p1"), "wb") as f:
            f.write(os.urandom(SIZE))

    def silentTransfer(self, command):
        """
        Send C{command} after C{EPRT}, accept the server's connection and
        neither read nor write on it until the final reply.

        @return: the final reply's text.
        """
        ftp = ftplib.FTP_TLS(context=clientContext())
        ftp.connect("127.0.0.1", self.server.port, timeout=30)
        self.addCleanup(ftp.close)
        ftp.login("alice", "secret")
        ftp.prot_p()
        ftp.voidcmd("TYPE I")
        listener = socket.create_server(("127.0.0.1", 0))
        self.addCleanup(listener.close)
        ftp.voidcmd("EPRT |1|127.0.0.1|%d|" % listener.getsockname()[1])
        self.assertEqual(ftp.sendcmd(command)[:3], "150")
        data, _ = listener.accept()
        self.addCleanup(data.close)
        with self.assertRaises(ftplib.error_temp) as raised:
            ftp.getresp()
        ftp.quit()
        return str(raised.exception)

    def test_downloadCountsNothing(self):
        """
        The download ends with C{425}, and its log line, the session's
        logout line, its xferlog line and the metrics count 0 bytes
        sent.
        """
        final = self.silentTransfer("RETR m1p1")
        self.assertEqual(final[:3], "425")
        log = self.server.waitForLog("logout from")
        self.assertEqual(re.findall(r"'/m1p1': 425, (\d+) bytes in", log),
                         ["0"], log)
        self.assertEqual(re.findall(r"(\d+) bytes out", log), ["0"], log)

        def logged():
            with open(self.xferlog) as f:
                return f.read().endswith("\n")

        self.server.waitFor(logged, "the xferlog line")
        with open(self.xferlog) as f:
            fields = [line.split() for line in f.read().splitlines()]
        self.assertEqual([(line[7], line[8], line[-1]) for line in fields],
                         [("0", "/m1p1", "i")])
        self.assertEqual(metric(self.server, "ftpkit_sent_bytes_total"), 0)

    def test_uploadKeepsNothing(self):
        """
        An upload on such a connection ends with C{425}, receives nothing
        and leaves no file.
        """
        final = self.silentTransfer("STOR up.bin")
        self.assertEqual(final[:3], "425")
        log = self.server.waitForLog("logout from")
        self.assertEqual(re.findall(r"'/up.bin': 425, (\d+) bytes in", log),
                         ["0"], log)
        self.assertEqual(sorted(os.listdir(self.root)), ["m1p1"])
        self.assertEqual(metric(self.server, "ftpkit_received_bytes_total"),
                         0)
