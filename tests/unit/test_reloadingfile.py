"""
Tests for L{ftpkit.auth.reloadingfile.ReloadingFile}: what a reload
parses again.
"""

import errno

from twisted.internet import defer
from twisted.logger import Logger
from twisted.trial import unittest

from ftpkit.auth import reloadingfile
from ftpkit.auth.reloadingfile import (
    MAX_FILE_BYTES,
    TOO_BIG,
    ReloadingFile,
    readRegularFile,
    readUsersSource,
)
from ftpkit.ops.workerechoes import USERS_NOT_RELOADED, USERS_RELOADED


class SameContentTests(unittest.TestCase):
    """
    A reload finding the bytes the users were parsed from parses nothing
    again (the parse of a large users file held the server at each
    C{SIGHUP}, a certificate's renewal included); one finding other bytes
    parses them.
    """

    def setUp(self):
        self.path = self.mktemp()
        self.write(b"alice\n")
        self.parsed = []
        self.events = []

        def parse(content, path):
            self.parsed.append(content)
            return {name: path for name in content.split()}

        self.file = ReloadingFile(self.path, readRegularFile, parse,
                                  Logger(observer=self.events.append))

    def write(self, content):
        """
        @param content: what the file is to hold, C{bytes}.
        """
        with open(self.path, "wb") as f:
            f.write(content)

    def test_sameBytesNotParsed(self):
        """
        The same bytes: the users stay, and the reload is said as one.
        """
        users = self.file.users
        self.assertTrue(self.file.reload())
        self.assertIs(self.file.users, users)
        self.assertEqual(self.parsed, [b"alice\n"])
        self.assertEqual([e["count"] for e in self.events if "count" in e],
                         [1])

    def test_otherBytesParsed(self):
        """
        Other bytes are parsed, and are the users.
        """
        self.write(b"alice\nbob\n")
        self.assertTrue(self.file.reload())
        self.assertEqual(sorted(self.file.users), [b"alice", b"bob"])
        self.assertEqual(self.parsed, [b"alice\n", b"alice\nbob\n"])
        self.write(b"alice\n")
        self.file.refresh()
        self.assertEqual(sorted(self.file.users), [b"alice"])


class SizeCapTests(unittest.TestCase):
    """
    A file past L{MAX_FILE_BYTES} is refused unread: a 2 GB file given as
    a users file was read whole into memory at start and at each
    C{SIGHUP}.
    """

    def setUp(self):
        self.path = self.mktemp()
        with open(self.path, "wb") as f:
            f.write(b"alice\n")
        self.events = []
        self.file = ReloadingFile(
            self.path, lambda path: readUsersSource(path, ValueError, "users"),
            lambda content, path: content.split(),
            Logger(observer=self.events.append))

    def grow(self, size):
        """
        @param size: the bytes the file is to hold (sparse).
        """
        with open(self.path, "r+b") as f:
            f.truncate(size)

    def test_refusedUnread(self):
        """
        One byte past the cap is refused with C{EFBIG} and one line saying
        the cap; the cap itself is read (with a smaller limit, as the
        default's 64 MiB would take the test's memory).
        """
        self.grow(MAX_FILE_BYTES + 1)
        e = self.assertRaises(OSError, readRegularFile, self.path)
        self.assertEqual((e.errno, e.strerror), (errno.EFBIG, TOO_BIG))
        self.grow(10)
        self.assertEqual(len(readRegularFile(self.path, limit=10)), 10)
        e = self.assertRaises(OSError, readRegularFile, self.path, limit=9)
        self.assertEqual(e.strerror, "larger than 9 bytes")

    def test_reloadKeepsOld(self):
        """
        A reload finding the file past the cap logs that it was not
        reloaded, why, and keeps the users it had.
        """
        self.grow(MAX_FILE_BYTES + 1)
        self.assertFalse(self.file.reload())
        self.assertEqual(self.file.users, [b"alice"])
        errors = [e for e in self.events if e.get("log_format")
                  == USERS_NOT_RELOADED]
        self.assertEqual(len(errors), 1)
        self.assertIn(TOO_BIG, errors[0]["why"])


class InThreadTests(unittest.TestCase):
    """
    L{ReloadingFile.reloadInThread}, what C{SIGHUP} calls: as
    L{ReloadingFile.reload}, but the file read and parsed in a thread.
    """

    def setUp(self):
        self.path = self.mktemp()
        self.write(b"alice\n")
        self.events = []

        def parse(content, path):
            if b"!" in content:
                raise ValueError(f"{path}: a '!' is no user")
            return sorted(content.split())

        self.file = ReloadingFile(
            self.path, lambda path: readUsersSource(path, ValueError, "users"),
            parse, Logger(observer=self.events.append))

    def write(self, content):
        """
        @param content: what the file is to hold, C{bytes}.
        """
        with open(self.path, "wb") as f:
            f.write(content)

    def formats(self):
        """
        @return: the formats of the events logged, in order.
        """
        return [e["log_format"] for e in self.events]

    @defer.inlineCallbacks
    def test_replaces(self):
        """
        A good file's users replace the old ones once the parse is done,
        with the line a reload logs.
        """
        self.write(b"alice\nbob\n")
        replaced = yield self.file.reloadInThread()
        self.assertTrue(replaced)
        self.assertEqual(self.file.users, [b"alice", b"bob"])
        self.assertIn(USERS_RELOADED, self.formats())

    @defer.inlineCallbacks
    def test_brokenKeepsOld(self):
        """
        A file that cannot be used keeps the old users, with the line
        L{ReloadingFile.reload} logs for it.
        """
        self.write(b"alice\n!\n")
        del self.events[:]
        replaced = yield self.file.reloadInThread()
        self.assertFalse(replaced)
        self.assertEqual(self.file.users, [b"alice"])
        self.assertEqual(self.formats(), [USERS_NOT_RELOADED])
        self.assertIn("a '!' is no user", self.events[0]["why"])

    def test_inOrder(self):
        """
        Reloads asked one after the other run one after the other: the
        second thread starts once the first's users are in force, so
        that the last file read is the one in force, whichever parse
        would be quicker.
        """
        calls = []

        def deferToThread(function, *args):
            calls.append((function, args, defer.Deferred()))
            return calls[-1][2]

        def finish(call):
            function, args, done = call
            done.callback(function(*args))

        self.patch(reloadingfile, "inThread", deferToThread)
        self.write(b"alice\nbob\n")
        first = self.file.reloadInThread()
        second = self.file.reloadInThread()
        self.assertEqual(len(calls), 1)
        finish(calls[0])
        self.assertEqual(self.file.users, [b"alice", b"bob"])
        self.assertEqual(len(calls), 2)
        self.write(b"carol\n")
        finish(calls[1])
        self.assertEqual(self.file.users, [b"carol"])
        self.assertEqual([self.successResultOf(d) for d in (first, second)],
                         [True, True])

    def readNowAnswerLater(self):
        """
        Have the file read and parsed at once where it would be in a
        thread, its result handed back only when the test says.

        @return: the list of C{(Deferred, result)} of each such call.
        """
        calls = []

        def deferToThread(function, *args):
            calls.append((defer.Deferred(), function(*args)))
            return calls[-1][0]

        self.patch(reloadingfile, "inThread", deferToThread)
        return calls

    def test_notOverNewer(self):
        """
        A caller that cannot wait (L{ReloadingFile.reloadIfChanged}, a
        C{UsersDatabase.get}; a login did so until session 53) that found
        the file changed again while C{SIGHUP}'s parse ran reads it here
        and now; the parse ending later does not put the older users it
        read back in force (tester52c: a removed user logged in again,
        and the new one was refused, until the file changed again).
        """
        calls = self.readNowAnswerLater()
        self.write(b"alice\nbob\n")
        reloading = self.file.reloadInThread()
        self.write(b"carol\n")
        self.assertTrue(self.file.reloadIfChanged())
        done, result = calls[0]
        done.callback(result)
        self.assertFalse(self.successResultOf(reloading))
        self.assertEqual(self.file.users, [b"carol"])
        self.assertFalse(self.file.reloadIfChanged())

    def test_refreshNotOverNewer(self):
        """
        The same of the acceptor's refresh in a thread
        (L{ReloadingFile.refreshInThread}).
        """
        calls = self.readNowAnswerLater()
        self.write(b"alice\nbob\n")
        refreshing = self.file.refreshInThread()
        self.write(b"carol\n")
        self.assertTrue(self.file.reloadIfChanged())
        done, result = calls[0]
        done.callback(result)
        self.successResultOf(refreshing)
        self.assertEqual(self.file.users, [b"carol"])
