"""
C{AVBL} (draft-peterson-streamlined-ftp-command-extensions) on
L{StringTransport}: the room a shell reports, and where it cannot.
"""

from twisted.internet.defer import succeed
from twisted.internet.testing import MemoryReactorClock
from twisted.trial import unittest

from ftpkit.shells.memory import MemoryShell
from ftpkit.shells.permissions import PermissionShell, QuotaUsage
from ftpkit.shells.permissiontable import PERMISSIONS, PermissionTable
from tests.memorysessions import connect, loggedIn, makeFactory, repliesTo
from tests.syncrun import syncRun


def capped():
    """
    @return: a L{MemoryShell} of 1,000 bytes holding C{/d/f.txt} (six).
    """
    return MemoryShell({"/d/f.txt": b"hello\n"}, maxBytes=1000)


class AvblTests(unittest.TestCase):
    """
    C{AVBL} on memory shells, bounded or not.
    """

    def test_room(self):
        """
        C{AVBL} alone measures the current directory; with a path, that
        directory: C{213} and the bytes.
        """
        protocol, transport = loggedIn(capped())
        feat, here, named, cwd, inCwd = repliesTo(
            protocol, transport, b"FEAT", b"AVBL", b"AVBL /d", b"CWD d",
            b"AVBL")
        self.assertIn(b"\r\n AVBL\r\n", feat)
        self.assertEqual((here, named, inCwd), (b"213 994\r\n",) * 3)

    def test_refusals(self):
        """
        A file or a missing path: C{550}.
        """
        protocol, transport = loggedIn(capped())
        onFile, missing, escaping = repliesTo(
            protocol, transport, b"AVBL d/f.txt", b"AVBL nothing",
            b"AVBL ../../..")
        self.assertTrue(onFile.startswith(b"550 "), onFile)
        self.assertTrue(missing.startswith(b"550 "), missing)
        self.assertEqual(escaping, b"213 994\r\n")

    def test_shellCannotTell(self):
        """
        A shell without L{ftpkit.interfaces.IFTPShellAvailable}: no
        C{AVBL} in C{FEAT}, and C{550}.
        """
        protocol, transport = loggedIn(MemoryShell())
        feat, reply = repliesTo(protocol, transport, b"FEAT", b"AVBL")
        self.assertNotIn(b" AVBL\r\n", feat)
        self.assertEqual(reply, b"550 Available space unknown here\r\n")

    def test_readOnly(self):
        """
        Under C{--read-only} there is no room for uploads: C{213 0}.
        """
        protocol, transport = loggedIn(capped(), readOnly=True)
        self.assertEqual(repliesTo(protocol, transport, b"AVBL"),
                         [b"213 0\r\n"])

    def test_quota(self):
        """
        A user's quota leaving less than the storage: what it leaves.
        """
        shell = PermissionShell(capped(), PermissionTable(PERMISSIONS), 100,
                                QuotaUsage(lambda: 6, syncRun))
        protocol, transport = loggedIn(shell)
        self.assertEqual(repliesTo(protocol, transport, b"AVBL d"),
                         [b"213 94\r\n"])

    def test_beforeLogin(self):
        """
        Before login: C{530}, while C{FEAT} lists C{AVBL} (the shell is
        not known yet, as for C{HASH}).
        """
        protocol, transport = connect(makeFactory(MemoryReactorClock()))
        transport.clear()
        feat, reply = repliesTo(protocol, transport, b"FEAT", b"AVBL")
        self.assertIn(b"\r\n AVBL\r\n", feat)
        self.assertTrue(reply.startswith(b"530 "), reply)

    def test_help(self):
        protocol, transport = loggedIn(capped())
        self.assertEqual(repliesTo(protocol, transport, b"HELP AVBL"),
                         [b"214 Syntax: AVBL [<sp> pathname]\r\n"])


class WrongRoomShell(MemoryShell):
    """
    A L{MemoryShell} whose C{available} gives C{room}, whatever it is.
    """

    def __init__(self, room):
        """
        @param room: what C{available} gives.
        """
        MemoryShell.__init__(self, maxBytes=1000)
        self.room = room

    def available(self, path):
        """
        @return: a fired Deferred of C{room}.
        """
        return succeed(self.room)


class WrongRoomTests(unittest.TestCase):
    """
    A plugin's C{available} giving something other than a count of bytes
    gets C{451} and a log line, never sent to the client as it is (it was
    C{213 lots}).
    """

    def test_notCount(self):
        """
        Text, C{None}, a float, a negative count, C{True}: C{451}.
        """
        for room in ("lots", None, 1.5, -1, True):
            protocol, transport = loggedIn(WrongRoomShell(room))
            [reply] = repliesTo(protocol, transport, b"AVBL")
            self.assertTrue(reply.startswith(b"451 "), (room, reply))

    def test_count(self):
        """
        A count is answered.
        """
        protocol, transport = loggedIn(WrongRoomShell(12))
        self.assertEqual(repliesTo(protocol, transport, b"AVBL"),
                         [b"213 12\r\n"])


class AlloTests(unittest.TestCase):
    """
    C{ALLO} says whether a file of its size fits where C{AVBL} measures,
    as Pure-FTPd answers it: it answered C{202} to any size.
    """

    def test_quota(self):
        """
        Past what the user's quota leaves in the current directory:
        C{552}; up to it: C{200} (with an C{R} size too).
        """
        shell = PermissionShell(capped(), PermissionTable(PERMISSIONS), 100,
                                QuotaUsage(lambda: 6, syncRun))
        protocol, transport = loggedIn(shell)
        self.assertEqual(
            repliesTo(protocol, transport, b"ALLO 95", b"ALLO 94",
                      b"ALLO 0 R 512", b"CWD d", b"ALLO 95"),
            [b"552 Exceeded storage allocation: 95 bytes do not fit, 94 "
             b"may be stored here\r\n",
             b"200 ALLO command successful: 94 bytes fit\r\n",
             b"200 ALLO command successful: 0 bytes fit\r\n",
             b"250 Directory changed to /d\r\n",
             b"552 Exceeded storage allocation: 95 bytes do not fit, 94 "
             b"may be stored here\r\n"])

    def test_cannotUpload(self):
        """
        A user who may not upload at all (C{--read-only}; anonymous
        without C{--anonymous-write}) gets C{202}, as from ProFTPD and
        Pure-FTPd, which never refuse C{ALLO} for permissions, whatever
        the size (past C{--max-upload-size} too): it got C{552} saying
        no byte fits, when the reason is its permissions, which C{STOR}
        then answers.
        """
        protocol, transport = loggedIn(capped(), readOnly=True,
                                       maxUploadSize=5)
        anonymous, anonymousTransport = loggedIn(capped())
        anonymous.dataReceived(b"REIN\r\nUSER anonymous\r\nPASS x\r\n")
        replies = (repliesTo(protocol, transport, b"ALLO 10", b"ALLO 0")
                   + repliesTo(anonymous, anonymousTransport, b"ALLO 10",
                               b"STOR f"))
        self.assertEqual(replies[:3],
                         [b"202 No storage allocation necessary\r\n"] * 3)
        self.assertTrue(replies[3].startswith(b"550 "), replies[3])

    def test_maxUploadSize(self):
        """
        Past C{--max-upload-size}: C{552} with the text the upload would
        get, where the room is known and where it is not; up to it, as
        without it.
        """
        protocol, transport = loggedIn(capped(), maxUploadSize=50)
        unknown, unknownTransport = loggedIn(MemoryShell(), maxUploadSize=50)
        tooLarge = b"552 Upload larger than the largest allowed\r\n"
        self.assertEqual(
            repliesTo(protocol, transport, b"ALLO 51", b"ALLO 50 R 512")
            + repliesTo(unknown, unknownTransport, b"ALLO 51", b"ALLO 50"),
            [tooLarge, b"200 ALLO command successful: 50 bytes fit\r\n",
             tooLarge, b"202 No storage allocation necessary\r\n"])

    def test_cannotTell(self):
        """
        A shell that cannot tell its room, a current directory gone, or a
        room that is no count of bytes: C{202}, nothing to reserve, as
        before; a bad argument C{501}.
        """
        protocol, transport = loggedIn(MemoryShell())
        gone = capped()
        goneProtocol, goneTransport = loggedIn(gone)
        goneProtocol.dataReceived(b"CWD d\r\n")
        gone.removeFile(("d", "f.txt"))
        gone.removeDirectory(("d",))
        wrongProtocol, wrongTransport = loggedIn(WrongRoomShell("lots"))
        self.assertEqual(
            repliesTo(protocol, transport, b"ALLO 10", b"ALLO x")
            + repliesTo(goneProtocol, goneTransport, b"ALLO 10")[-1:]
            + repliesTo(wrongProtocol, wrongTransport, b"ALLO 10"),
            [b"202 No storage allocation necessary\r\n",
             b"501 Syntax error in parameters or arguments\r\n"]
            + [b"202 No storage allocation necessary\r\n"] * 2)
