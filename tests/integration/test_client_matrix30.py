"""
Cells of the thirtieth client sweep that the other client tests leave out,
against a server in this process:

 - C{PBSZ} and C{PROT} after C{CCC}, from ftplib and curl: refused (the
   protection level cannot change over a control connection in clear),
   with a reply that says so rather than asking for C{AUTH TLS} the
   client already sent.
"""

import ftplib

from twisted.internet import reactor, utils
from twisted.trial import unittest

from tests.tlssupport import FTPSTestsMixin, skipUnlessBinary


def replyTo(ftp, line):
    """
    @return: the whole reply to C{line}, whether ftplib took it as an
        error or not.
    """
    try:
        return ftp.sendcmd(line)
    except ftplib.Error as e:
        return str(e)


class AfterCCCTests(FTPSTestsMixin, unittest.TestCase):
    """
    C{PBSZ} and C{PROT} once C{CCC} has ended TLS on the control
    connection.
    """

    def test_ftplibProtAfterCCC(self):
        """
        ftplib: after C{PROT P} and C{CCC}, C{PBSZ 0}, C{PROT C} and
        C{PROT P} each get C{503} naming C{CCC} and the level that stays
        (Private), not "requires AUTH TLS first" (it had come); a
        download then still goes under TLS. Before C{AUTH TLS} the old
        text stands.
        """
        self.serve(tlsAllowCCC=True)

        def client():
            ftp = self.connect()
            ftp.prot_p()
            ftp.ccc()
            replies = [replyTo(ftp, line)
                       for line in ("PBSZ 0", "PROT C", "PROT P")]
            data = []
            ftp.retrbinary("RETR big.bin", data.append)
            ftp.quit()
            plain = ftplib.FTP()
            plain.connect("127.0.0.1", self.server.port, timeout=20)
            replies.append(replyTo(plain, "PROT P"))
            plain.quit()
            return replies, b"".join(data)

        def check(result):
            replies, data = result
            after = "is not allowed after CCC (the control connection is " \
                    "in clear); data protection stays Private"
            self.assertEqual(replies, [
                "503 PBSZ " + after, "503 PROT " + after,
                "503 PROT " + after, "503 PROT requires AUTH TLS first"])
            self.assertTrue(data == self.payload, "%d bytes" % len(data))
        return self.inThread(client).addCallback(check)

    async def test_curlQuoteProtAfterCCC(self):
        """
        curl C{--ftp-ssl-ccc} with C{-Q "PROT C"} (sent after login, so
        after C{CCC}): the quote command's C{503} says why, and curl
        stops (exit 21, "QUOT command failed with 503").
        """
        curl = skipUnlessBinary("curl")
        self.serve(tlsAllowCCC=True)
        out, err, code = await utils.getProcessOutputAndValue(
            curl, ["-sS", "-v", "-k", "--ssl-reqd", "--ftp-ssl-ccc",
                   "--ftp-ssl-ccc-mode", "active", "-Q", "PROT C",
                   "ftp://alice:secret@127.0.0.1:%d/big.bin"
                   % (self.server.port,), "-o", "/dev/null"],
            reactor=reactor)
        self.assertEqual(code, 21, err[-2000:])
        self.assertIn(b"< 503 PROT is not allowed after CCC", err)
