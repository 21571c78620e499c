"""
Listings of a shell from outside ftpkit held to the contract
(L{ftpkit.shells.contract}): a streamed listing's batches, the names a
listing gives, listings that name their entries or format their
batches, and a listing whose reading raises. Each test says what the
server did before.
"""

import datetime
import ftplib

from twisted.internet.defer import succeed
from twisted.logger import globalLogPublisher
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.fileinfo import FILE, FileInfo
from ftpkit.interfaces import (
    IDirectoryListing,
    INameListing,
    IStatListing,
)
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.realms import SharedShellRealm
from ftpkit.shells.shellwrapper import ShellWrapper
from tests.contractshells import (
    ContractTestCase,
    PluginShell,
    SloppyShell,
    listingReply,
    runCommands,
)


@implementer(IDirectoryListing)
class _Batches:
    """
    A listing giving one batch, C{batch}, then none.
    """

    def __init__(self, batch):
        self._batches = [batch, []]

    def nextBatch(self):
        """
        @return: the next batch, a plain list.
        """
        return self._batches.pop(0)

    def close(self):
        """
        Nothing to release.
        """


class BadBatchTests(LoopbackServerMixin, unittest.TestCase):
    """
    A streamed listing's batch of another shape: the listing is cut
    (C{426}: its data connection is open by then) and the log has one line
    saying what is wrong (it said C{TypeError} raised in ftpkit's listing
    code); a good batch given as a plain list is still taken.
    """

    def list(self, batch):
        """
        C{LIST} and C{MLSD} of a shell whose listing gives C{batch}.

        @param batch: the batch.
        @return: a Deferred firing with the replies and the log's lines.
        """
        shell = SloppyShell("value", [])
        shell.openListing = lambda path: succeed(_Batches(batch))
        server = self.startServer(SharedShellRealm(shell))
        events = []
        globalLogPublisher.addObserver(events.append)
        self.addCleanup(globalLogPublisher.removeObserver, events.append)

        def client():
            return [runCommands(server.port, [line]) for line in ("LIST", "MLSD")]

        return self.inThread(client).addCallback(lambda replies: (
            replies, [event for event in events if event.get(
                "log_namespace") == "ftpkit.shells.contract"]))

    def test_datetime(self):
        """
        A C{datetime} as C{mtime}.
        """
        when = FileInfo(FILE, mtime=datetime.datetime(2020, 1, 1))

        def check(result):
            replies, lines = result
            self.assertEqual(replies, [("426", "200")] * 2)
            self.assertEqual(len(lines), 2)
            self.assertIn("gave a listing whose batch gave a FileInfo whose "
                          "mtime is datetime.datetime(2020, 1, 1, 0, 0)",
                          lines[0]["what"])
            self.assertEqual(self.flushLoggedErrors(), [])

        return self.list([("f.txt", when)]).addCallback(check)

    def test_plainList(self):
        """
        A good batch, given as a plain list: listed.
        """
        def check(result):
            self.assertEqual(result, ([("226", "200")] * 2, []))

        return self.list([("f.txt", FileInfo(FILE, size=3))]).addCallback(
            check)


class BadNameTests(LoopbackServerMixin, unittest.TestCase):
    """
    Names a listing gives that name no entry (C{"."}, C{".."}, C{""}, a
    name holding C{"/"} or NUL) are left out, said once a session for
    each method (they were listed: C{NLST} sent C{.}, C{a/b}; C{MLSD} a
    C{type=file} entry named C{.} beside its C{cdir}).
    """

    def test_leftOut(self):
        """
        C{listNames} (C{NLST}) and a streamed listing (C{MLSD}) whose
        first batch is only bad names (an empty batch would have ended
        it).
        """
        good = FileInfo(FILE, size=1)
        bad = [".", "..", "", "a/b", "n\x00ul"]
        shell = SloppyShell("value", [])
        shell.listNames = lambda path: succeed(bad + ["ok"])
        batches = [[(name, good) for name in bad], [("ok", good)], []]

        def openListing(path):
            listing = _Batches([])
            listing._batches = [list(batch) for batch in batches]
            return succeed(listing)

        shell.openListing = openListing
        events = []
        globalLogPublisher.addObserver(events.append)
        self.addCleanup(globalLogPublisher.removeObserver, events.append)
        server = self.startServer(SharedShellRealm(shell))

        def client():
            ftp = ftplib.FTP()
            ftp.connect("127.0.0.1", server.port, timeout=10)
            ftp.login()
            got = [ftp.nlst(), [name for name, facts in ftp.mlsd()
                                if facts["type"] == "file"], ftp.nlst()]
            ftp.quit()
            return got

        def check(got):
            self.assertEqual(got, [["ok"]] * 3)
            lines = [event for event in events if event.get(
                "log_namespace") == "ftpkit.shells.contract"]
            self.assertEqual(sorted(event["method"] for event in lines),
                             ["listNames", "openListing"])
            self.assertEqual(lines[0]["names"],
                             "['.', '..', '', 'a/b', 'n\\x00ul']")

        return self.inThread(client).addCallback(check)


@implementer(IDirectoryListing, INameListing, IStatListing)
class OneBatch:
    """
    A listing giving one batch: C{names} from L{nextNames}, C{formatted}
    from L{nextFormattedBatch}, C{entries} from L{nextBatch}.
    """

    def __init__(self, names=(), formatted=b"", entries=()):
        self._answers = {"nextNames": names, "nextFormattedBatch": formatted,
                         "nextBatch": entries}
        self._ends = {"nextNames": [], "nextFormattedBatch": None,
                      "nextBatch": []}

    def _next(self, method):
        answer = self._answers[method]
        self._answers[method] = self._ends[method]
        return succeed(answer)

    def nextBatch(self):
        return self._next("nextBatch")

    def nextNames(self):
        return self._next("nextNames")

    def nextFormattedBatch(self, format):
        return self._next("nextFormattedBatch")

    def close(self):
        pass


def _halfway(items):
    """
    @return: a generator giving the first of C{items}, then raising.
    """
    yield items[0]
    raise ValueError("the store went away")


class ListingTests(ContractTestCase):
    """
    A listing that names its entries (L{INameListing}) or formats its
    batches (L{IStatListing}) is held to its shapes, as C{list}'s answer
    is; so is a listing whose reading raises.
    """

    def opened(self, listing):
        """
        @return: a L{PluginShell} whose C{openListing} fires with
            C{listing}.
        """
        shell = PluginShell()
        shell.openListing = lambda path: succeed(listing)
        return shell

    def test_namesLeftOut(self):
        """
        Names that name no entry are left out of C{NLST}, said once (they
        were listed: C{..}, C{a/b}).
        """
        shell = self.opened(OneBatch(names=["f.txt", "..", "a/b"]))

        def check(names):
            self.assertEqual(names, ["f.txt"])
            self.assertEqual([event["names"] for event in self.lines],
                             ["['..', 'a/b']"])
            self.assertEqual(self.flushLoggedErrors(), [])

        return self.session(shell, lambda ftp: ftp.nlst()).addCallback(check)

    def test_namesNotText(self):
        """
        Names that are not text: C{426}, one line saying which (it was a
        C{TypeError} in the sorting of the batch, in a line naming no
        plugin).
        """
        shell = self.opened(OneBatch(names=[b"f.txt", None]))

        def check(result):
            self.assertEqual(result[0], "426")
            self.said("openListing", "nextNames gave b'f.txt' as name 0, not"
                      " text")

        return self.session(shell, lambda ftp: listingReply(ftp, "NLST")
                            ).addCallback(check)

    def test_formattedText(self):
        """
        A formatted batch of text rather than bytes: C{426} and one line
        (it was C{226} without the batch, and an unhandled error with its
        traceback in the log).
        """
        shell = self.opened(OneBatch(formatted="f.txt\r\n"))

        def check(result):
            self.assertEqual(result[0], "426")
            self.said("openListing", "nextFormattedBatch gave 'f.txt\\r\\n',"
                      " not bytes")

        return self.session(shell, lambda ftp: listingReply(ftp, "LIST")
                            ).addCallback(check)

    def test_listRaisesHalfway(self):
        """
        A listing that raises while it is read (a generator): C{451} and
        one line saying where (it was C{451} and a traceback).
        """
        shell = PluginShell()
        shell.list = lambda path: succeed(_halfway(
            [("f.txt", FileInfo(FILE, size=6))]))

        def check(result):
            self.assertEqual(result[0], "451")
            self.said("list", "failed with ValueError: the store went away "
                      "(raised at ", "in _halfway",
                      owner="_ListOnly(PluginShell)")

        return self.session(_ListOnly(shell), lambda ftp: listingReply(
            ftp, "LIST")).addCallback(check)


class _ListOnly(ShellWrapper):
    """
    A shell listing through C{list} alone: its class overrides C{list}
    and no other way to list, which it then does not provide.
    """

    def list(self, path):
        """
        See L{ftpkit.interfaces.IFTPShell.list}.
        """
        return self._shell.list(path)
