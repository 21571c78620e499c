"""
The fifteenth attack sweep (storage, paths and resources), over real
loopback sockets.

The SQLite storage of C{examples/} (the one the storage tutorial teaches)
took an appended or resumed upload's first bytes from the file as it was
when the upload opened, and wrote them back with the upload's own when it
ended, whatever had happened to the file meanwhile: two sessions
appending 1,000 bytes each to a 10-byte file were both told C{226}, and
the file held 1,010 bytes, the second's gone; an C{APPE} whose file
another session removed and stored again meanwhile put the old file back
under its bytes. Such an upload now gets C{450}, as on the other realms
(L{tests.integration.test_attack_sweep6},
L{tests.integration.test_attack_resumereplaced}).

And every command naming a file whose name was not UTF-8 (the bytes
0x80 to 0xff, which reach a shell as lone surrogates) got C{451} from
it, and the log a traceback of some 30 lines: SQLite's text cannot hold
such a name, and the tutorial never said a name could be one. Now
C{550} (C{553} for an upload), and the tutorial says so.
"""

import ftplib
import io

from twisted.trial import unittest

from ftpkit.loopback import LoopbackServerMixin
from ftpkit.realms import SharedShellRealm
from tests.ftpclient import ftplibLogin
from tests.integration.test_attack_jail import RawClient
from tests.integration.test_examples import _loadExample


def _reply(call, *args):
    """
    @return: what C{call(*args)} answered, or the error it raised, as
        text.
    """
    try:
        return call(*args)
    except ftplib.all_errors as e:
        return str(e)


class SQLiteInPlaceTests(LoopbackServerMixin, unittest.TestCase):
    """
    Uploads written after a file's first bytes (C{APPE}, C{REST} and
    C{STOR}) into the SQLite example, while another session changes the
    file.
    """

    timeout = 60

    def setUp(self):
        shell = _loadExample("ftpkit_sqlite").SQLiteShell(self.mktemp())
        self.addCleanup(shell.pool.stop)
        self.server = self.startServer(SharedShellRealm(shell))

    def race(self, first, meanwhile, rest=None):
        """
        Store C{f} (10 bytes), start C{first} on it in one session
        (after C{REST rest} unless C{None}), sending 1,000 C{A} bytes, run
        C{meanwhile(other)} in a second session, then end the first
        upload.

        @return: a Deferred firing with the first upload's final reply,
            what C{meanwhile} returned, and the file's bytes after.
        """
        def run():
            one = ftplibLogin(self, self.server.port)
            other = ftplibLogin(self, self.server.port)
            one.storbinary("STOR f", io.BytesIO(b"0123456789"))
            one.voidcmd("TYPE I")
            data = one.transfercmd(first, rest)
            data.sendall(b"A" * 1000)
            happened = meanwhile(other)
            data.close()
            ended = _reply(one.voidresp)
            kept = []
            other.retrbinary("RETR f", kept.append)
            return ended, happened, b"".join(kept)

        return self.inThread(run)

    async def test_twoAppends(self):
        """
        Of two C{APPE}s at once, the one ending second gets C{450}; the
        first one's bytes stay.
        """
        ended, happened, kept = await self.race("APPE f", lambda other: _reply(
            other.storbinary, "APPE f", io.BytesIO(b"B" * 1000)))
        self.assertEqual(happened[:4], "226 ")
        self.assertEqual(ended[:4], "450 ")
        self.assertEqual(kept, b"0123456789" + b"B" * 1000)

    async def test_appendToReplaced(self):
        """
        An C{APPE} whose file was removed and stored again meanwhile (the
        new file may get the old one's row) gets C{450}; the new file
        stays as stored.
        """
        def replace(other):
            other.delete("f")
            return _reply(other.storbinary, "STOR f", io.BytesIO(b"new"))

        ended, happened, kept = await self.race("APPE f", replace)
        self.assertEqual(happened[:4], "226 ")
        self.assertEqual(ended[:4], "450 ")
        self.assertEqual(kept, b"new")

    async def test_resumeReplaced(self):
        """
        A resume (C{REST 5}, C{STOR}) whose file another C{STOR} replaced
        meanwhile gets C{450}; the new file stays as stored.
        """
        ended, happened, kept = await self.race("STOR f", lambda other: _reply(
            other.storbinary, "STOR f", io.BytesIO(b"B" * 20)), rest=5)
        self.assertEqual(happened[:4], "226 ")
        self.assertEqual(ended[:4], "450 ")
        self.assertEqual(kept, b"B" * 20)


class SQLiteNamesTests(LoopbackServerMixin, unittest.TestCase):
    """
    Names that are not UTF-8, given to the SQLite example.
    """

    timeout = 60

    def setUp(self):
        shell = _loadExample("ftpkit_sqlite").SQLiteShell(self.mktemp())
        self.addCleanup(shell.pool.stop)
        self.server = self.startServer(SharedShellRealm(shell))

    async def test_notUTF8(self):
        """
        Each command naming one is refused as a name not allowed
        (C{550}; C{553} for an upload, before its data), nothing logged
        as an error.
        """
        def run():
            client = RawClient(self.server.port)
            try:
                client.login()
                replies = [client.command(verb + b" bad\xffname")
                           for verb in (b"MKD", b"CWD", b"SIZE", b"DELE",
                                        b"MDTM", b"MLST", b"RMD", b"RNFR")]
                replies.append(client.transfer(b"STOR x\xfe")[0])
                return replies
            finally:
                client.close()

        replies = await self.inThread(run)
        self.assertEqual(replies, [b"550 File name not UTF-8"] * 8
                         + [b"553 File name not UTF-8"])
