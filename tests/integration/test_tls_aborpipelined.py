"""
C{ABOR}s pipelined in a download: the first ends it (C{426}, then its own
C{226}); the others find no transfer to abort (C{225}), under C{PROT P}
as in clear, against C{twistd ftpkit} in a child process. Under TLS they
got C{226} each: the aborted transfer's data connection was still
closing when they came.
"""

import os

from twisted.trial import unittest

from tests.integration.test_tls_clientedges import EdgeServerMixin

BIG = 64 * 1024 * 1024
"""Bytes of the file downloaded: more than the sockets' buffers hold, so
that the download still runs when the C{ABOR}s come."""


class PipelinedAbortTests(EdgeServerMixin, unittest.TestCase):
    """
    Three C{ABOR}s in one write, in a download's first bytes.
    """

    def replies(self, server, protect):
        """
        Start downloading C{big.bin}, read some of it, send three
        C{ABOR}s at once.

        @param protect: C{PROT P}, else C{PROT C}.
        @return: the codes of the four replies that follow the C{150},
            then of a C{NOOP}'s.
        """
        ftp = self.ftps(server, protect=protect)
        data = ftp.transfercmd("RETR big.bin")
        self.addCleanup(data.close)
        self.assertTrue(data.recv(1000))
        ftp.sock.sendall(b"ABOR\r\n" * 3)
        codes = [ftp.getmultiline()[:3] for _ in range(4)]
        codes.append(ftp.sendcmd("NOOP")[:3])
        ftp.quit()
        return codes

    def test_extraAbortsNoTransfer(self):
        """
        C{426} for the download, C{226} for the C{ABOR} that ended it,
        C{225} for the others, in clear and under C{PROT P}.
        """
        server = self.serve()
        with open(os.path.join(self.root, "big.bin"), "wb") as f:
            f.truncate(BIG)
        for protect in (False, True):
            self.assertEqual(self.replies(server, protect),
                             ["426", "226", "225", "225", "200"], protect)
