"""
Listings in batches through a real server on loopback, read by ftplib:
sent as they come (the first batch before the shell has the last), and a
large directory of the local disk listed whole by LIST, NLST and MLSD.
"""

import os

from twisted.internet import task, threads
from twisted.internet.defer import Deferred, inlineCallbacks, succeed
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.config import ServerConfig
from ftpkit.fileinfo import FILE, FileInfo
from ftpkit.interfaces import IDirectoryListing, IFTPShell, IFTPShellStreamedListing
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.shells.filesystem import FilesystemShell
from ftpkit.shells.listings import BATCH_SIZE
from ftpkit.shells.memory import MemoryShell
from tests.ftpclient import ftplibLogin

_INFO = FileInfo(kind=FILE, size=1, mtime=0.0, mode=0o644)


@implementer(IDirectoryListing)
class GatedListing:
    """
    A listing whose batches the test hands over one by one.

    @ivar pending: the Deferred of each L{nextBatch} call, in order.
    """

    def __init__(self):
        self.pending = []
        self.closed = False

    def nextBatch(self):
        self.pending.append(Deferred())
        return self.pending[-1]

    def close(self):
        self.closed = True


@implementer(IFTPShell, IFTPShellStreamedListing)
class GatedShell(MemoryShell):
    """
    A memory shell whose root lists through a L{GatedListing}.
    """

    def __init__(self, listing):
        MemoryShell.__init__(self)
        self.listing = listing

    def openListing(self, path):
        return succeed(self.listing)


class Realm:
    """
    Gives every user the same shell.
    """

    def __init__(self, shell):
        self.shell = shell

    def requestAvatar(self, avatarId, mind, *interfaces):
        return IFTPShell, self.shell, lambda: None


def readData(testCase, port, command, received):
    """
    Log in as alice, send C{command} and read its data connection (in a
    thread), appending what arrives to C{received} as it arrives.

    @param testCase: the running test (it closes the session).
    @return: the final reply.
    """
    client = ftplibLogin(testCase, port, timeout=60)
    with client.transfercmd(command) as connection:
        while True:
            data = connection.recv(65536)
            if not data:
                break
            received.append(data)
    reply = client.voidresp()
    client.close()
    return reply


def lines(received):
    """
    @return: the lines of what was received, as text.
    """
    return b"".join(received).decode().splitlines()


def names(received):
    """
    @return: the names of the C{LIST} lines received.
    """
    return [line.split()[-1] for line in lines(received)]


class StreamedListingTests(LoopbackServerMixin, unittest.TestCase):
    """
    A listing is sent batch by batch.
    """

    @inlineCallbacks
    def waitFor(self, condition, what):
        """
        Poll C{condition} until true (a minute at most).
        """
        from twisted.internet import reactor

        for _ in range(6000):
            if condition():
                return
            yield task.deferLater(reactor, 0.01, lambda: None)
        self.fail(f"timed out waiting for {what}")

    @inlineCallbacks
    def test_firstBatchBeforeLast(self):
        """
        The client has the first batch, sorted, while the shell has not
        given the last one yet (nor been asked for it before the data
        connection took the previous one); then the rest, and 226.
        """
        listing = GatedListing()
        server = self.startServer(Realm(GatedShell(listing)))
        received = []
        done = self.inThread(readData, self, server.port, "LIST", received)
        yield self.waitFor(lambda: len(listing.pending) == 1, "the first ask")
        listing.pending[0].callback([("b", _INFO), ("a", _INFO)])
        yield self.waitFor(lambda: len(lines(received)) == 2, "the first batch")
        self.assertEqual(names(received), ["a", "b"])
        yield self.waitFor(lambda: len(listing.pending) == 2, "the second ask")
        listing.pending[1].callback([("c", _INFO)])
        yield self.waitFor(lambda: len(listing.pending) == 3, "the third ask")
        yield self.waitFor(lambda: len(lines(received)) == 3, "the second batch")
        self.assertEqual(names(received), ["a", "b", "c"])
        listing.pending[2].callback([])
        reply = yield done
        self.assertTrue(reply.startswith("226"), reply)
        self.assertTrue(listing.closed)


class LargeDirectoryTests(LoopbackServerMixin, unittest.TestCase):
    """
    A directory of the local disk ten batches large, listed by real
    commands.
    """

    count = 10 * BATCH_SIZE

    def setUp(self):
        self.root = os.path.abspath(self.mktemp())
        os.makedirs(os.path.join(self.root, "d"))
        self.names = [f"f{number:05d}" for number in range(self.count)]
        for name in [*self.names, ".hidden"]:
            open(os.path.join(self.root, "d", name), "w").close()

    def listing(self, command, config=None):
        """
        @return: a Deferred with the lines C{command} sends.
        """
        server = self.startServer(Realm(FilesystemShell(self.root)), config)
        received = []
        return self.inThread(readData, self, server.port, command,
                             received).addCallback(lambda _: lines(received))

    @inlineCallbacks
    def test_list(self):
        """
        C{LIST} sends every entry once, each batch sorted.
        """
        sent = yield self.listing("LIST d")
        names = [line.split()[-1] for line in sent]
        self.assertEqual(sorted(names), sorted([*self.names, ".hidden"]))
        for start in range(0, len(names), BATCH_SIZE):
            batch = names[start:start + BATCH_SIZE]
            self.assertEqual(batch, sorted(batch))

    @inlineCallbacks
    def test_mlsd(self):
        """
        C{MLSD} sends the directory's own line, then every entry once.
        """
        sent = yield self.listing("MLSD d")
        self.assertTrue(sent[0].startswith("type=cdir;"), sent[0])
        self.assertTrue(sent[1].startswith("type=pdir;"), sent[1])
        names = sorted(line.partition("; ")[2] for line in sent[2:])
        self.assertEqual(names, sorted([*self.names, ".hidden"]))

    @inlineCallbacks
    def test_nlst(self):
        """
        C{NLST} sends every name once after the directory's, each batch
        sorted, as C{LIST} does (the shell names a batch at a time without
        describing the entries).
        """
        sent = yield self.listing("NLST d")
        self.assertEqual(sorted(sent), ["d/" + name for name in
                                        sorted([*self.names, ".hidden"])])
        for start in range(0, len(sent), BATCH_SIZE):
            batch = sent[start:start + BATCH_SIZE]
            self.assertEqual(batch, sorted(batch))

    @inlineCallbacks
    def test_hideDotfiles(self):
        """
        With C{--hide-dotfiles}, no batch has a hidden name.
        """
        sent = yield self.listing("LIST d", ServerConfig(hideDotfiles=True))
        self.assertEqual(sorted(line.split()[-1] for line in sent), self.names)


class NameListCallsTests(LoopbackServerMixin, unittest.TestCase):
    """
    What C{NLST} (and C{LIST}, C{MLSD}) of a directory of the local disk
    asks of the disk threads.
    """

    def test_smallDirectoryOneListingCall(self):
        """
        C{NLST} of a directory that fits in one batch makes one disk thread
        call, which opens the directory and reads its names: no C{stat} of
        the path first (the open fails for what is no directory).
        """
        return self.assertListingCalls(["b", "a", "c"], 1)

    def test_wholeBatchOneListingCall(self):
        """
        So does C{NLST} of a directory of exactly one batch (it read the
        directory once more, finding nothing).
        """
        return self.assertListingCalls(
            [f"f{number:04d}" for number in range(BATCH_SIZE)], 1)

    def test_fileAfterFailedOpen(self):
        """
        C{LIST} of a file sends the file's own line: the open of its
        listing fails (it is no directory), and the C{stat} that follows
        describes it.
        """
        root = os.path.abspath(self.mktemp())
        os.makedirs(root)
        with open(os.path.join(root, "f.txt"), "wb") as f:
            f.write(b"12345")
        calls = []

        def counting(function, *args):
            calls.append(args[0])
            return threads.deferToThread(function, *args)

        server = self.startServer(
            Realm(FilesystemShell(root, runner=counting)))
        received = []
        sending = self.inThread(readData, self, server.port, "LIST f.txt",
                                received)

        def sent(reply):
            self.assertTrue(reply.startswith("226"), reply)
            [line] = lines(received)
            self.assertTrue(line.startswith("-"), line)
            self.assertEqual(line.split()[4::4], ["5", "f.txt"])
            self.assertEqual(len(calls), 2, calls)

        return sending.addCallback(sent)

    def test_wholeBatchesDescribed(self):
        """
        So do C{LIST} and C{MLSD} of a directory of exactly one batch,
        and of two (C{MLSD}'s C{stat} of the path and of its parent for
        their lines, the open with the first batch's names, one call a
        batch formatting it): they read the directory once more, finding
        nothing.
        """
        checked = succeed(None)
        for command, before in (("LIST d", 1), ("MLSD d", 3)):
            for batches in (1, 2):
                names = [f"f{number:04d}"
                         for number in range(batches * BATCH_SIZE)]
                checked.addCallback(
                    lambda _, names=names, count=before + batches,
                    command=command:
                    self.assertListingCalls(names, count, command))
        return checked

    def assertListingCalls(self, names, count, command="NLST d"):
        """
        @param names: the names in the directory C{command} lists.
        @param count: how many disk thread calls it may make.
        @param command: C{NLST d}, C{LIST d} or C{MLSD d}.
        @return: a Deferred firing once that was checked.
        """
        root = os.path.abspath(self.mktemp())
        os.makedirs(os.path.join(root, "d"))
        for name in names:
            open(os.path.join(root, "d", name), "w").close()
        calls = []

        def counting(function, *args):
            calls.append(args[0])
            return threads.deferToThread(function, *args)

        server = self.startServer(
            Realm(FilesystemShell(root, runner=counting)))
        received = []
        sending = self.inThread(readData, self, server.port, command,
                                received)

        def sent(reply):
            self.assertTrue(reply.startswith("226"), reply)
            listed = lines(received)
            if command.startswith("NLST"):
                self.assertEqual(listed,
                                 ["d/" + name for name in sorted(names)])
            else:
                self.assertEqual(sorted(line.split()[-1] for line in listed
                                        if "dir;" not in line),
                                 sorted(names))
            self.assertEqual(len(calls), count, (command, calls))

        return sending.addCallback(sent)
