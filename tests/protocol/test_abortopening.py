"""
C{ABOR} while a transfer command still waits for the shell to open what
it sends or receives (a slow C{openForReading}, C{openForWriting},
C{stat}: a realm on a slow store), on L{StringTransport}: the command
ends at once (C{426}) and C{ABOR} replies C{226} in its turn, instead of
both waiting for the open and then the whole transfer. A drain's grace
cut and the client leaving end such a command the same way.
"""

from twisted.cred import checkers, portal
from twisted.internet import defer
from twisted.internet.testing import MemoryReactorClock
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.config import ServerConfig
from ftpkit.control.handlers.transfers import TransferCommands
from ftpkit.control.server import FTPFactory
from ftpkit.errors import NoSuchFile
from ftpkit.interfaces import IFTPShell, IFTPShellResume
from ftpkit.ops import events
from ftpkit.ops.drain import Drain
from ftpkit.shells.memory import MemoryShell
from tests.memorysessions import connect, loggedIn, replyCodes


class SlowShell(MemoryShell):
    """
    A L{MemoryShell} whose methods named in C{slow} answer only when the
    test says so (L{answer}).

    @ivar slow: the names of the methods that wait.
    @ivar waiting: C{(Deferred, result)} of each call still waiting.
    """

    def __init__(self, files, slow):
        MemoryShell.__init__(self, files)
        self.slow = slow
        self.waiting = []
        for name in slow:
            setattr(self, name, self._delayed(getattr(self, name)))

    def _delayed(self, method):
        def call(*args):
            waiting = defer.Deferred()
            self.waiting.append((waiting, method(*args)))
            return waiting
        return call

    def answer(self):
        """
        Answer every call waiting, with what the memory shell gave.
        """
        waiting, self.waiting = self.waiting, []
        for deferred, result in waiting:
            result.chainDeferred(deferred)


class _Closing:
    """
    Records whether the file given to it was closed or aborted.
    """

    def __init__(self, opened, atEnd=lambda: None):
        """
        @param opened: the file.
        @param atEnd: called when it is closed or aborted.
        """
        self.opened = opened
        self.atEnd = atEnd
        self.ended = []
        self.size = getattr(opened, "size", None)

    def __getattr__(self, name):
        return getattr(self.opened, name)

    def close(self):
        self.ended.append("close")
        self.atEnd()
        return self.opened.close()

    def abort(self):
        self.ended.append("abort")
        self.atEnd()
        return self.opened.abort()


def recordOpened(shell, method):
    """
    Wrap the files a shell opens in L{_Closing}s.

    @param shell: the shell, whose method is replaced.
    @param method: C{"openForReading"} or C{"openForWriting"}.
    @return: the list the L{_Closing}s are appended to as they open.
    """
    opened = []
    opener = getattr(shell, method)

    def recorded(*args):
        opening = opener(*args)
        opening.addCallback(lambda file: opened.append(_Closing(file))
                            or opened[-1])
        return opening

    setattr(shell, method, recorded)
    return opened


def openedLate(testCase, shell, atEnd=lambda: None):
    """
    Let the one open still waiting give its file, after the command waiting
    for it ended.

    @param testCase: the running test.
    @param shell: the L{SlowShell}.
    @param atEnd: called when that file is closed or aborted.
    @return: what was done with that file (C{["close"]}, C{["abort"]}).
    """
    [(waiting, result)] = shell.waiting
    opened = _Closing(testCase.successResultOf(result), atEnd)
    shell.waiting = [(waiting, defer.succeed(opened))]
    shell.answer()
    return opened.ended


class AbortWhileOpeningTests(unittest.TestCase):
    """
    C{EPSV}, a transfer command and C{ABOR} in one write, the shell slow to
    open.
    """

    def pipelined(self, slow, command, files=None):
        """
        Send C{EPSV}, C{command} and C{ABOR} at once, the shell's C{slow}
        methods waiting.

        @return: the shell, and the reply codes written before it answers.
        """
        shell = SlowShell(files or {"/f.txt": b"x" * 100, "/d/g.txt": b"y"},
                          slow)
        protocol, transport = loggedIn(shell)
        self.addCleanup(protocol.connectionLost, None)
        protocol.dataReceived(b"EPSV\r\n" + command + b"\r\nABOR\r\nNOOP\r\n")
        return shell, replyCodes(transport)

    def test_retr(self):
        """
        C{RETR}: C{426}, then C{ABOR}'s C{226}, while the file is still
        opening; the file, once open, is closed.
        """
        shell, codes = self.pipelined(["openForReading"], b"RETR f.txt")
        self.assertEqual(codes, ["229", "426", "226", "200"])
        self.assertEqual(openedLate(self, shell), ["close"])

    def test_stor(self):
        """
        C{STOR}: C{426}, then C{226}; the file, once open, is aborted
        (nothing is written).
        """
        shell, codes = self.pipelined(["openForWriting"], b"STOR new.txt")
        self.assertEqual(codes, ["229", "426", "226", "200"])
        self.assertEqual(openedLate(self, shell), ["abort"])
        self.failureResultOf(shell.stat(("new.txt",)), NoSuchFile)

    def test_list(self):
        """
        C{LIST} of a directory slow to open: C{426}, then C{226}.
        """
        shell, codes = self.pipelined(["openListing"], b"LIST d")
        self.assertEqual(codes, ["229", "426", "226", "200"])
        shell.answer()

    def test_listFile(self):
        """
        C{LIST} of a file slow to look up (once its listing's open
        failed): C{426}, then C{226}.
        """
        shell, codes = self.pipelined(["stat"], b"LIST f.txt")
        self.assertEqual(codes, ["229", "426", "226", "200"])
        shell.answer()

    def test_mlsd(self):
        """
        C{MLSD} of a directory slow to look up: C{426}, then C{226}.
        """
        shell, codes = self.pipelined(["stat"], b"MLSD d")
        self.assertEqual(codes, ["229", "426", "226", "200"])
        shell.answer()


class OpenedAtOnceTests(unittest.TestCase):
    """
    An open answered at once (a file in the kernel's cache) has nothing
    for C{ABOR} to cut.
    """

    def test_awaitedAsItIs(self):
        """
        L{TransferCommands.whileOpening} gives a Deferred fired already
        back as it is, with no L{ftpkit.control.opening.Opening} around it
        (a small download pays nothing for the wait it does not have); one
        still waiting gets one.
        """
        commands = TransferCommands()
        # The session's, asked while an open waits (its client may leave).
        commands.localAddress = lambda: None
        opened = defer.succeed("file")
        self.assertIs(commands.whileOpening(opened), opened)
        self.assertIsNone(commands.opening)
        waiting = defer.Deferred()
        result = defer.ensureDeferred(commands.whileOpening(waiting))
        self.assertIsNotNone(commands.opening)
        waiting.callback("file")
        self.assertEqual(self.successResultOf(result), "file")
        self.assertIsNone(commands.opening)


@implementer(IFTPShellResume)
class ResumingShell(SlowShell):
    """
    A L{SlowShell} that keeps cut uploads for a resume
    (L{IFTPShellResume}), none of them kept yet.
    """

    def resumableSize(self, path):
        """
        See L{IFTPShellResume.resumableSize}: nothing kept.
        """
        return defer.succeed(None)


class AbortWhileCheckingTests(unittest.TestCase):
    """
    C{ABOR} while a transfer command still waits for the shell to look a
    path up before it opens anything (the size a C{REST} resumes from, a
    name C{STOU} may take): as while it opens, the command ends at once
    (C{426}), C{ABOR} replies C{226} in its turn, and what the look-up
    gives later is dropped.
    """

    def pipelined(self, shell, commands):
        """
        Send C{EPSV}, C{commands} and C{ABOR} at once to C{shell}.

        @return: the reply codes written before its slow calls answer.
        """
        protocol, transport = loggedIn(shell)
        self.addCleanup(protocol.connectionLost, None)
        protocol.dataReceived(b"EPSV\r\n" + commands + b"\r\nABOR\r\nNOOP\r\n")
        return replyCodes(transport)

    def stored(self, shell, path):
        """
        @return: the bytes of C{path} in C{shell}, or C{None} if it has
            no such file (looked up past the slow C{stat}).
        """
        opening = MemoryShell.openForReading(shell, path)
        opening.addErrback(lambda failure: failure.trap(NoSuchFile) and None)
        opened = self.successResultOf(opening)
        if opened is None:
            return None
        data = self.successResultOf(opened.readAt(0, 1000))
        opened.close()
        return data

    def test_retrPastEnd(self):
        """
        C{RETR} after a C{REST} past the end of the file waits for a
        C{stat} telling past from at the end: C{ABOR} ends it, and the
        file it opened is closed.
        """
        shell = SlowShell({"/f.txt": b"x" * 100}, ["stat"])
        opened = recordOpened(shell, "openForReading")
        codes = self.pipelined(shell, b"TYPE I\r\n" + b"REST 200\r\nRETR f.txt")
        self.assertEqual(codes, ["229", "200", "350", "426", "226", "200"])
        self.assertEqual([readFile.ended for readFile in opened], [["close"]])
        shell.answer()
        self.assertEqual([readFile.ended for readFile in opened], [["close"]])

    def test_storResume(self):
        """
        C{STOR} after a C{REST} waits for the size it would resume from:
        C{ABOR} ends it before it opens anything, and the file stays as it
        was.
        """
        shell = SlowShell({"/f.txt": b"x" * 100}, ["stat"])
        codes = self.pipelined(shell, b"TYPE I\r\n" + b"REST 50\r\nSTOR f.txt")
        self.assertEqual(codes, ["229", "200", "350", "426", "226", "200"])
        shell.answer()
        self.assertEqual(self.stored(shell, ("f.txt",)), b"x" * 100)

    def test_storResumeKept(self):
        """
        The same while a shell keeping cut uploads looks for one kept.
        """
        shell = ResumingShell({"/f.txt": b"x" * 100}, ["resumableSize"])
        codes = self.pipelined(shell, b"TYPE I\r\n" + b"REST 50\r\nSTOR f.txt")
        self.assertEqual(codes, ["229", "200", "350", "426", "226", "200"])
        shell.answer()
        self.assertEqual(self.stored(shell, ("f.txt",)), b"x" * 100)

    def test_stou(self):
        """
        C{STOU} waits for the shell to tell which names are taken:
        C{ABOR} ends it, and no file is made once the answer comes.
        """
        shell = SlowShell({"/f.txt": b"x"}, ["stat"])
        codes = self.pipelined(shell, b"STOU f.txt")
        self.assertEqual(codes, ["229", "426", "226", "200"])
        shell.answer()
        self.assertEqual(shell.waiting, [])
        self.assertIsNone(self.stored(shell, ("f.txt.1",)))


class DrainWhileOpeningTests(unittest.TestCase):
    """
    A drain (C{SIGTERM}) whose grace ends while a transfer command still
    waits for the shell to open its file (or for its data connection)
    cuts it as it cuts a running transfer: the command's C{426}, then
    C{421}.
    """

    def graceOver(self, slow, command):
        """
        C{command} waiting for the shell's slow C{slow} when the grace is
        over: C{426}, C{421}, the session closed; the drain is done once
        the file, opened late, is released (not before: the process
        ended with an upload's file neither aborted nor kept).

        @return: what was done with that file.
        """
        shell = SlowShell({"/f.txt": b"x" * 100}, [slow])
        protocol, transport = loggedIn(shell)
        self.addCleanup(protocol.connectionLost, None)
        protocol.dataReceived(b"EPSV\r\n" + command + b"\r\n")
        clock = protocol.factory.reactor
        drained = Drain(protocol.factory, 30, clock).drain()
        clock.advance(30)
        self.assertEqual(replyCodes(transport), ["229", "426", "421"])
        self.assertTrue(transport.disconnecting)
        protocol.connectionLost(None)
        self.assertNoResult(drained)
        ended = openedLate(self, shell)
        self.successResultOf(drained)
        return ended

    def test_graceOver(self):
        """
        C{RETR}: the file, once open, is closed.
        """
        self.assertEqual(self.graceOver("openForReading", b"RETR f.txt"),
                         ["close"])

    def test_graceOverUpload(self):
        """
        C{STOR}: the upload's file, once open, is aborted.
        """
        self.assertEqual(self.graceOver("openForWriting", b"STOR g.txt"),
                         ["abort"])

    def test_graceOverConnecting(self):
        """
        C{RETR} waiting for its data connection when the grace is over:
        C{426}, then C{421}, as for a running transfer (the C{425} of its
        data channel closing came after the C{421}, and was never sent).
        """
        shell = MemoryShell({"/f.txt": b"x" * 100})
        protocol, transport = loggedIn(shell)
        self.addCleanup(protocol.connectionLost, None)
        protocol.dataReceived(b"EPSV\r\nRETR f.txt\r\n")
        self.assertTrue(protocol.dataChannel.isConnecting)
        clock = protocol.factory.reactor
        drained = Drain(protocol.factory, 30, clock).drain()
        clock.advance(30)
        self.assertEqual(replyCodes(transport), ["229", "426", "421"])
        self.assertTrue(protocol.isIdle())
        protocol.connectionLost(None)
        self.successResultOf(drained)


@implementer(portal.IRealm)
class CountingRealm:
    """
    Gives every login the same shell, and counts the avatars' logouts.

    @ivar logouts: how many times an avatar was logged out.
    """

    logouts = 0

    def __init__(self, shell):
        self.shell = shell

    def requestAvatar(self, avatarId, mind, *interfaces):
        """
        See L{portal.IRealm.requestAvatar}.
        """
        return IFTPShell, self.shell, self._logout

    def _logout(self):
        self.logouts += 1


class DisconnectWhileOpeningTests(unittest.TestCase):
    """
    A client that leaves while its transfer command waits for the shell
    to open its file (or for its data connection) ends the command at
    once, as C{ABOR} does, and what the open gives later is released; the
    user is logged out once the shell has answered and that is done (the
    shell never works for a user logged out).
    """

    def leaving(self, shell, command, hangUp=lambda protocol: None,
                setUp=b"EPSV\r\n", **settings):
        """
        Log in to C{shell}, send C{EPSV} and C{command}, and close the
        connection.

        @param hangUp: called with the session before its connection is
            closed.
        @param setUp: what is sent between the login and C{command}
            (C{EPSV}; C{b""}: no data connection is set up).
        @param settings: more of the L{ServerConfig}.
        @return: the L{CountingRealm}, the session, and the events
            published (transfers, listings, logouts).
        """
        passwords = checkers.InMemoryUsernamePasswordDatabaseDontUse()
        passwords.addUser(b"alice", b"secret")
        realm = CountingRealm(shell)
        factory = FTPFactory(portal.Portal(realm, [passwords]),
                             ServerConfig(loginFailureDelay=0, **settings),
                             MemoryReactorClock())
        published = []
        factory.events.subscribe(published.append, [
            events.TRANSFER, events.LISTING, events.LOGOUT])
        protocol, transport = connect(factory)
        protocol.dataReceived(b"USER alice\r\nPASS secret\r\n" + setUp
                              + command + b"\r\n")
        self.assertFalse(protocol.isIdle())
        hangUp(protocol)
        protocol.connectionLost(None)
        return realm, protocol, published

    def assertCut(self, realm, protocol, published, verb, logouts=1):
        """
        The session is idle and published one event for the cut command
        (C{426}, as for a transfer cut by the client leaving), then, once
        logged out, its logout.

        @param logouts: how many times the user was logged out (0: not
            yet).
        """
        self.assertTrue(protocol.isIdle())
        self.assertEqual(realm.logouts, logouts)
        self.assertEqual([(event.kind, event.command, event.code)
                          for event in published],
                         [(events.TRANSFER, verb, 426),
                          (events.LOGOUT, None, None)][:1 + logouts])

    def loggedOutAfterRelease(self, realm, shell):
        """
        Let the open still waiting give its file; the user is logged out
        only after that file was released.

        @return: what was done with that file (C{["close"]}, C{["abort"]}).
        """
        logoutsAtRelease = []
        ended = openedLate(self, shell,
                           lambda: logoutsAtRelease.append(realm.logouts))
        self.assertEqual(logoutsAtRelease, [0])
        self.assertEqual(realm.logouts, 1)
        return ended

    def test_retr(self):
        """
        C{RETR} waiting for C{openForReading}: the file opened later is
        closed, and nothing more is published.
        """
        shell = SlowShell({"/f.txt": b"x" * 100}, ["openForReading"])
        realm, protocol, published = self.leaving(shell, b"RETR f.txt")
        self.assertCut(realm, protocol, published, "RETR", logouts=0)
        self.assertEqual(self.loggedOutAfterRelease(realm, shell),
                         ["close"])
        self.assertEqual(len(published), 2)

    def test_stor(self):
        """
        C{STOR} waiting for C{openForWriting}: the file opened later is
        aborted, and the old one stays as it was.
        """
        shell = SlowShell({"/f.txt": b"x" * 100}, ["openForWriting"])
        realm, protocol, published = self.leaving(shell, b"STOR f.txt")
        self.assertCut(realm, protocol, published, "STOR", logouts=0)
        self.assertEqual(self.loggedOutAfterRelease(realm, shell),
                         ["abort"])
        self.assertEqual(len(published), 2)
        opened = self.successResultOf(shell.openForReading(("f.txt",)))
        self.assertEqual(self.successResultOf(opened.readAt(0, 1000)),
                         b"x" * 100)
        opened.close()

    def test_connecting(self):
        """
        C{STOR} waiting for its data connection: cut as a transfer is
        (C{426}), its file aborted.
        """
        shell = MemoryShell({"/f.txt": b"x" * 100})
        ended = recordOpened(shell, "openForWriting")
        realm, protocol, published = self.leaving(shell, b"STOR f.txt")
        self.assertCut(realm, protocol, published, "STOR")
        self.assertEqual([writeFile.ended for writeFile in ended],
                         [["abort"]])
