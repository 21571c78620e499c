"""
C{CCC} (RFC 4217 section 6), off by default, with Python's ftplib (whose
C{FTP_TLS.ccc} ends TLS on the control connection) and curl (whose default
C{--ftp-ssl-ccc-mode passive} sends no close_notify of its own); and
C{PBSZ} and C{PROT} after C{CCC}, from both: refused (the protection level
cannot change over a control connection in clear), with a reply that says
so rather than asking for C{AUTH TLS} the client already sent; and lftp
(C{ftp:ssl-use-ccc}), which gave up on a close_notify read together with
the C{200}.
"""

import ftplib
import io
import os
import ssl

from twisted.internet import reactor, utils
from twisted.trial import unittest

from tests.latelink import LateLink
from tests.tlssupport import FTPSTestsMixin, clientContext, skipUnlessBinary


def _code(send, line):
    """
    @return: the reply code to C{line}, whether ftplib took it as an
        error or not.
    """
    try:
        return send(line)[:3]
    except ftplib.Error as e:
        return str(e)[:3]


class CCCTests(FTPSTestsMixin, unittest.TestCase):
    """
    C{CCC} with and without C{tlsAllowCCC}.
    """

    def test_refusedByDefault(self):
        """
        Without C{--tls-allow-ccc}, C{CCC} gets C{534} (denied for policy
        reasons, RFC 2228) and FEAT does not list it; the session goes on
        under TLS.
        """
        self.serve()

        def client():
            ftp = self.connect()
            feat = ftp.sendcmd("FEAT").splitlines()
            refusal = _code(ftp.sendcmd, "CCC")
            result = (feat, refusal, isinstance(ftp.sock, ssl.SSLSocket),
                      ftp.pwd())
            ftp.quit()
            return result

        def check(result):
            feat, refusal, secure, cwd = result
            self.assertNotIn(" CCC", feat)
            self.assertEqual((refusal, secure, cwd), ("534", True, "/"))
        return self.inThread(client).addCallback(check)

    def test_clearCommandChannel(self):
        """
        With C{tlsAllowCCC}, FEAT lists CCC; after C{CCC} the control
        connection goes on in clear while data connections stay under
        TLS (PROT P is kept, RFC 4217 section 6), and a second CCC or a
        PROT is refused (C{533}, C{503}): the protection level cannot be
        changed over a control connection anyone on the path can forge.
        """
        self.serve(tlsAllowCCC=True)

        def client():
            ftp = self.connect()
            feat = ftp.sendcmd("FEAT").splitlines()
            ftp.prot_p()
            cleared = ftp.ccc()[:3]
            plain = ftp.sock.version() is None  # no TLS session left
            cwd = ftp.pwd()
            out = io.BytesIO()
            ftp.retrbinary("RETR big.bin", out.write)
            ftp.storbinary("STOR after-ccc.bin", io.BytesIO(b"x" * 1000))
            again = _code(ftp.sendcmd, "CCC")
            prot = _code(ftp.sendcmd, "PROT C")
            result = (feat, cleared, plain, cwd, out.getvalue(), again,
                      prot)
            ftp.quit()
            return result

        def check(result):
            feat, cleared, plain, cwd, data, again, prot = result
            self.assertIn(" CCC", feat)
            self.assertEqual((cleared, plain, cwd), ("200", True, "/"))
            self.assertTrue(data == self.payload, "%d bytes" % len(data))
            self.assertEqual(self.readFile("after-ccc.bin"), b"x" * 1000)
            self.assertEqual((again, prot), ("533", "503"))
        return self.inThread(client).addCallback(check)

    def test_needsLogin(self):
        """
        C{CCC} before login gets C{530}: TLS must protect the password.
        """
        self.serve(tlsAllowCCC=True)

        def client():
            ftp = ftplib.FTP_TLS(context=clientContext())
            ftp.connect("127.0.0.1", self.server.port, timeout=20)
            try:
                ftp.auth()
                return _code(ftp.sendcmd, "CCC")
            finally:
                ftp.close()
        return self.inThread(client).addCallback(self.assertEqual, "530")

    def test_implicitRefused(self):
        """
        On an implicit-TLS listener, whose clients expect TLS from the
        first byte to the last, C{CCC} gets C{534}, and neither C{FEAT}
        nor C{HELP} offers it.
        """
        self.serveImplicit(tlsAllowCCC=True, tlsContextFactory=self.factory)

        def client():
            ftp = self.connect(implicit=True)
            feat = ftp.sendcmd("FEAT").splitlines()
            help = ftp.sendcmd("HELP CCC")
            result = _code(ftp.sendcmd, "CCC"), ftp.pwd()
            ftp.quit()
            return feat, help, result

        def check(answers):
            feat, help, result = answers
            self.assertNotIn(" CCC", feat)
            self.assertEqual(help, "214 CCC is not available here: TLS"
                             " cannot end on this connection (implicit"
                             " TLS)")
            self.assertEqual(result, ("534", "/"))
        return self.inThread(client).addCallback(check)


    async def test_curlWithoutCloseNotify(self):
        """
        curl's default C{CCC} mode (C{--ftp-ssl-ccc-mode passive}) reads
        the server's close_notify (sent L{ftpkit.control.ccc.CLOSE_NOTIFY_WAIT}
        after the C{200}, before curl's own shutdown timeout, at which it
        would go on without it), sends none, and goes on in clear: its
        next command is read in clear, as ProFTPD does. Before, the server
        fed the command to the TLS session, and closed the connection.
        """
        curl = skipUnlessBinary("curl")
        self.serve(tlsAllowCCC=True)
        out = os.path.join(self.certDir, "got.bin")
        for mode in ("passive", "active"):
            output, err, code = await utils.getProcessOutputAndValue(
                curl, ("-sS", "-v", "-k", "--max-time", "50", "--ssl-reqd",
                       "--ftp-ssl-ccc", "--ftp-ssl-ccc-mode", mode,
                       "-u", "alice:secret", "-o", out,
                       "ftp://127.0.0.1:%d/big.bin" % self.server.port),
                env=os.environ, reactor=reactor)
            self.assertEqual(code, 0, (mode, err))
            # curl -v says "SSL shutdown timeout" where no close_notify
            # came (it then goes on in clear after 10 seconds anyway).
            self.assertEqual(
                [line for line in err.decode().lower().splitlines()
                 if "shutdown" in line and "timeout" in line], [], mode)
            with open(out, "rb") as f:
                self.assertTrue(f.read() == self.payload, mode)

    async def test_lftpCloseNotifyApart(self):
        """
        lftp (C{set ftp:ssl-use-ccc yes}) sends its close_notify once it
        has read C{CCC}'s C{200}, then waits for the server's; a
        close_notify it reads together with the C{200} (sent with it, as
        the server did) it took for the end of the connection ("Peer
        closed connection"), and gave up: 1 or 2 runs in 10 straight on
        loopback, 7 in 10 through a relay in Python, and every run through
        a link that delivers the server's bytes 50 ms late (L{LateLink}:
        exit 1). The server now answers the client's
        close_notify, and lftp lists, downloads and uploads in clear.
        """
        lftp = skipUnlessBinary("lftp")
        self.serve(tlsAllowCCC=True)
        link = LateLink(self, self.server.port)
        local = os.path.join(self.certDir, "got.bin")
        up = os.path.join(self.certDir, "up.bin")
        with open(up, "wb") as f:
            f.write(b"up" * 5000)
        for run in range(3):
            out, err, code = await utils.getProcessOutputAndValue(
                lftp, ["-d", "-u", "alice,secret", "-e",
                       "set cmd:fail-exit yes; set net:max-retries 1; "
                       "set net:timeout 20; set ssl:verify-certificate no;"
                       " set ftp:ssl-force yes; set ftp:ssl-use-ccc yes; "
                       "cls -1; get -e big.bin -o %s; put %s -o up%d.bin;"
                       " quit" % (local, up, run),
                       "ftp://127.0.0.1:%d" % (link.port,)],
                env=os.environ, reactor=reactor)
            self.assertEqual(code, 0, err[-3000:])
            self.assertIn(b"<--- 200 CCC OK", err)
            self.assertIn(b"big.bin", out)
            with open(local, "rb") as f:
                self.assertTrue(f.read() == self.payload, run)
            self.assertEqual(self.readFile("up%d.bin" % run), b"up" * 5000)


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
