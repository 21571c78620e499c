"""
The control connection: an L{FTPProtocol} per session, which
L{ftpkit.control.server.FTPFactory} builds.

The protocol parses lines, hands each command to its
L{ftpkit.control.commandqueue.CommandQueue} (which says when it runs),
and runs it when its turn comes: L{ftpkit.control.commandrunning} checks
it against L{ftpkit.protocol.commandtable}, runs its C{ftp_VERB} handler
and replies with what the handler gives.
Handlers live in the mixins of L{ftpkit.control.handlers}; they return a reply
C{(code, text)}, C{None} (already replied), or a coroutine producing one.
Two more mixins give the session what it shares with every other: its
idle timeout on the server's shared watch
(L{ftpkit.control.idlewatch.WatchedTimeout}) and its turns at the shell's
slow work (L{ftpkit.control.turns.TakingTurns}); when it reads its
commands is L{ftpkit.control.readingcontrol.ReadingControl}'s; its
socket's options are set by L{ftpkit.control.sockets.tuneControlSocket}.
Its start and its end as a connection (the limits and the greeting,
what it held released and the logout, an idle session closed, the
close)
are L{ftpkit.control.connectionlife.ConnectionLife}'s.
"""


from twisted.internet import defer, threads
from twisted.internet.interfaces import IHandshakeListener
from twisted.logger import Logger, LogLevel
from twisted.protocols.basic import LineReceiver
from zope.interface import implementer

from ftpkit.compat import sendAtOnce
from ftpkit.control.commandqueue import (
    ABORT,
    NOW,
    QUEUED,
    RUN,
    STOPPED,
    CommandQueue,
)
from ftpkit.control.commandrunning import CommandRunning
from ftpkit.control.connectionlife import ConnectionLife
from ftpkit.control.handlers.checksums import ChecksumCommands
from ftpkit.control.handlers.datachannel import DataChannelCommands
from ftpkit.control.handlers.files import FileCommands
from ftpkit.control.handlers.host import HostCommands
from ftpkit.control.handlers.identity import IdentityCommands
from ftpkit.control.handlers.listings import ListingCommands
from ftpkit.control.handlers.login import LoginCommands
from ftpkit.control.handlers.offers import SessionOffers
from ftpkit.control.handlers.reporting import SessionReporting
from ftpkit.control.handlers.securefxp import SecureFxpCommands
from ftpkit.control.handlers.security import SecurityCommands
from ftpkit.control.handlers.session import SessionCommands
from ftpkit.control.handlers.site import SiteCommands
from ftpkit.control.handlers.transfers import TransferCommands
from ftpkit.control.handlers.unique import UniqueUploadCommands
from ftpkit.control.idlewatch import WatchedTimeout
from ftpkit.control.pendinginput import PendingInput
from ftpkit.control.quitleft import QuitAfterLeaving
from ftpkit.control.readingcontrol import ReadingControl
from ftpkit.control.sockets import writeBeforeData, writeUnsent
from ftpkit.control.turns import TakingTurns
from ftpkit.data.channel import DataChannel
from ftpkit.data.hosts import withZone
from ftpkit.errors import CannotOpenDataConnection
from ftpkit.ops import events
from ftpkit.protocol import commandtable, replies
from ftpkit.protocol.commands import (
    CUT_LINE,
    HTTP_METHODS,
    isHTTPRequest,
    parseLine,
)
from ftpkit.protocol.keptreplies import FormattedReply
from ftpkit.protocol.sessionstate import Session

KNOWN_UNIMPLEMENTED = commandtable.KNOWN_UNIMPLEMENTED
"""Verbs of published FTP specifications that ftpkit answers with 502 (see
L{ftpkit.protocol.commandtable.KNOWN_UNIMPLEMENTED}; still importable from
here for code outside ftpkit)."""



@implementer(IHandshakeListener)
class FTPProtocol(
    LoginCommands,
    HostCommands,
    SessionCommands,
    SessionOffers,
    SiteCommands,
    IdentityCommands,
    FileCommands,
    ChecksumCommands,
    DataChannelCommands,
    TransferCommands,
    UniqueUploadCommands,
    ListingCommands,
    SecurityCommands,
    SecureFxpCommands,
    SessionReporting,
    ConnectionLife,
    QuitAfterLeaving,
    CommandRunning,
    TakingTurns,
    PendingInput,
    ReadingControl,
    LineReceiver,
    WatchedTimeout,
):
    """
    One FTP session (the control connection).

    @ivar factory: the L{ftpkit.control.server.FTPFactory} that built it.
    @ivar session: the L{Session}: everything the commands set, replaced
        by a fresh one on C{REIN}.
    @ivar peer: the client's address.
    @ivar greeted: the client was greeted already, by a worker of
        C{--workers} that died before it acknowledged the connection
        (L{ftpkit.deploy.greetings.AlreadyGreeted}): the session starts
        without a C{220}.
    @ivar MAX_LENGTH: the longest command line accepted (L{LineReceiver}
        reads it), the config's C{maxLineLength}.
    """

    delimiter = b"\n"
    log = Logger()

    # The connection's own state starts as these class attributes; an
    # instance keeps only what it changed, so an idle session stays small.
    peer = None
    greeted = False
    _busy = None
    _closed = False
    _dataChannel = None
    _localAddress = None
    _crlfLines = False
    _lineCut = False
    _cutLogged = False
    _refusedInStop = False
    _refusedWaiters = None

    def __init__(self, factory):
        """
        @param factory: the L{ftpkit.control.server.FTPFactory} holding
            portal and config.
        """
        self.factory = factory
        self.session = Session()
        self._queue = CommandQueue(factory.config.maxPendingCommands,
                                   factory.config.maxPendingBytes)
        self.MAX_LENGTH = factory.config.maxLineLength

    @property
    def config(self):
        """
        @return: the server's L{ServerConfig}.
        """
        return self.factory.config

    @property
    def reactor(self):
        """
        @return: the reactor the server runs on.
        """
        return self.factory.reactor

    def callLater(self, delay, function, *args, **kwargs):
        """
        Schedule on the server's reactor.

        @param delay: seconds to wait.
        @param function: what to call then.
        @param args: its positional arguments.
        @param kwargs: its keyword arguments.
        @return: the L{IDelayedCall}.
        """
        return self.factory.reactor.callLater(delay, function, *args,
                                              **kwargs)

    @property
    def dataChannel(self):
        """
        @return: the session's L{DataChannel}, made when first needed.
        @raise CannotOpenDataConnection: once the session is closed (a
            command still running then gets its 425, unsent).
        """
        if self._dataChannel is None:
            if self._closed:
                raise CannotOpenDataConnection("Session closed")
            host = self.localAddress()
            self._dataChannel = DataChannel(
                self.reactor, withZone(getattr(host, "host", "127.0.0.1"),
                                       getattr(host, "scopeID", 0)),
                self.peer, self.config.dataTimeout, self._currentTransfer,
                self.factory.listenerPool,
                getattr(self.transport, "proxyHost", None),
                self.arrivalTLS, self.factory.passiveShares,
                self.factory.theftAlarm, self.factory.peerWarnings)
        return self._dataChannel

    def localAddress(self):
        """
        @return: the control connection's local address (its transport's
            C{getHost()}), asked once, when first needed, and kept: a
            command run after the client hung up
            (L{ftpkit.control.quitleft}) has a transport without a socket
            to ask. Every command that may run so was asked for it while
            the connection lived: it waited behind another command
            (L{lineReceived}, C{QUEUED}), or was read while reading paused
            (L{ftpkit.control.readingcontrol.ReadingControl._updateReading};
            the lines found at a hang-up or left unrun are read so). Asked
            at every connection's start, it cost each login a system call
            and an address object (C{docs/benchmark-investigations.rst},
            C{bench-login-52}).
        """
        if self._localAddress is None:
            self._localAddress = self.transport.getHost()
        return self._localAddress

    def _currentTransfer(self):
        return self.transfer

    def inThread(self, function, *args):
        """
        Run a blocking function in the thread pool of this session's
        reactor (so that a session on another reactor than the global one,
        as in the tests, gets its answer).

        @param function: what to call.
        @param args: its arguments.
        @return: a L{defer.Deferred} of its result.
        """
        return threads.deferToThreadPool(
            self.reactor, self.reactor.getThreadPool(), function, *args)

    # -- replies -----------------------------------------------------------

    def reply(self, code, text):
        """
        Send one reply. A preliminary one (C{1yz}: the C{150} before a
        transfer) goes to the socket at once, past Twisted's write queue
        and the TLS layer's aggregation (L{writeBeforeData}): the transfer
        it announces starts right after, and a client that reads it only
        when it comes before the data (aria2c) must not get it together
        with the C{226}.

        @param code: the three-digit reply code.
        @param text: a line, a list of lines for a multi-line reply, or
            a L{FormattedReply} of the same code (made once, for many
            sessions: C{FEAT}'s), sent as it is.
        """
        transport = self.transport
        if transport is not None and self.connected:
            if type(text) is str and text.isprintable():
                # formatReply's one-line case, without the call (and
                # without making the code's text, for a code ftpkit
                # replies with): printable text holds no line break,
                # control character or surrogate, so UTF-8 encodes it with
                # no 0xff to double.
                start = replies.ONE_LINE_STARTS.get(code)
                if start is None:
                    start = f"{code:03d} "
                data = f"{start}{text}\r\n".encode("utf-8")
            elif type(text) is FormattedReply:
                data = text.data
            else:
                data = replies.formatReply(code, text)
            if code < 200:
                self.watchQueuedReplies()
                writeBeforeData(transport, data)
            else:
                # writeNow's plain case first, without the call.
                left = sendAtOnce(transport, data)
                if left is None:
                    self.watchQueuedReplies()
                    writeUnsent(transport, data)
                elif left:
                    self.watchQueuedReplies()
                    transport.write(left)
        if events.REPLY in self.factory.events.wanted:
            self.publish(events.REPLY, code=code)

    # -- commands ----------------------------------------------------------

    def lineReceived(self, line):
        """
        Hand a command to the queue and do what it says. During a transfer
        (or while its command waits for the data connection) ABOR ends it
        at once and STAT is answered at once when no command is queued
        (otherwise each reply waits for those of the commands before it).

        @param line: the command line, without its end.
        """
        if self._closed:
            return
        self._linesLeft -= 1
        if not self._linesLeft:
            self._yieldTurn()
        watch = self.idleWatch
        if watch is not None:
            watch.touch(self)
        if (self.session.shell is None
                and self.factory.loginWatch.overdue(self)):
            self.closeForLoginTimeout()
            return
        if line[-1:] == b"\r":
            if self._lineCut:
                verb, argument = self._cutLine(None)
            else:
                if not self._crlfLines:
                    self._crlfLines = True
                verb, argument = parseLine(line)
        elif self._crlfLines:
            verb, argument = self._cutLine(line)
        else:
            verb, argument = parseLine(line)
        if verb in HTTP_METHODS and isHTTPRequest(verb, argument):
            # A browser made to post FTP commands: none of them may run.
            self.factory.peerWarnings.emit(
                self.log, LogLevel.warn, "http", self.peer,
                "HTTP request from {peer}; closing", peer=self.peer)
            self.reply(421, "This is an FTP server, not HTTP; closing")
            self.close()
            return
        queue = self._queue
        action = queue.arrive(verb, argument, self.transferState,
                              self._busy is None)
        if action is ABORT:
            # Queued first: the commands waiting before it, which the
            # transfer's end lets run, are those it also aborts.
            action = queue.take(verb, argument, self._busy is None,
                                ended=True)
            self.abortOnArrival()
        if action is RUN:
            # As _processQueue would run it.
            self.abortedBeforeTurn = False
            result = self.runCommand(verb, argument, True)
            if result is not None and not result.called:
                self._busy = result
        elif action is QUEUED:
            # It may run once the client left (FTPProtocol.localAddress).
            self.localAddress()
            self._processQueue()
            if not self._closed and queue.overflowed():
                # A client fills its queue at will, again at each turn:
                # throttled as the other lines it can cause are.
                self.factory.peerWarnings.emit(
                    self.log, LogLevel.info, "pipelined", self.peer,
                    "{peer} pipelined {count} commands; pausing",
                    peer=self.peer, count=len(queue))
                self._updateReading()
        elif action is NOW:
            self.runCommand(verb, argument)
        elif action is STOPPED:
            self._refuseInStop()

    def _cutLine(self, line):
        """
        A line of a client that ends its lines with CRLF (RFC 959's end
        of line) ended with a bare LF, or is the rest of one that did: an
        LF inside a command, a name holding a newline. A client that
        sent the whole command at once (ncftp), its CRLF already read,
        gets it whole, and one reply: the name is refused as any name
        holding a newline is. lftp sends each piece alone and awaits a
        reply to each: each is refused (C{501}) rather than run, since
        C{STOR new} would store the file under the name's first line,
        and the rest of the name would run as a command of its own
        (C{DELE x}). A client that ends every line with a bare LF is
        served as before. The session's first cut line is logged, no
        other: a client could otherwise have each few bytes it sends
        make a line of the log.

        @param line: the piece that ended with a bare LF, or C{None} for
            the last piece (ended with CRLF) of a command cut before.
        @return: C{(verb, argument)}: the command, or the verb
            L{CUT_LINE}.
        """
        if line is not None and not self._lineCut:
            pending = self.clearLineBuffer()
            rest, crlf, after = pending.partition(b"\r\n")
            if crlf and len(line) + len(rest) < self.MAX_LENGTH:
                self.dataReceived(after)
                return parseLine(line + b"\n" + rest)
            self.dataReceived(pending)
        if not self._cutLogged:
            self._cutLogged = True
            self.log.info("command line from {peer} cut by a bare LF; "
                          "refused (later ones in this session not "
                          "logged)", peer=self.peer)
        self._lineCut = line is not None
        return CUT_LINE, ""

    def discardPipelined(self):
        """
        Forget commands the client sent ahead (after C{AUTH TLS}, what came
        in clear must not run under TLS).
        """
        self._queue.clear()
        self.clearLineBuffer()

    def _processQueue(self):
        # Once stopping, only what lineReceived still queues (an ABOR or
        # a STAT during the last transfer) is there. While the client
        # leaves its replies unread, the commands it queued wait too:
        # each would add its reply to those held for it (a STAT of a
        # large directory, 600 KB, for every pipelined command). A
        # session whose client sent QUIT and left runs what it queued
        # before it, though closed (ftpkit.control.quitleft).
        queue = self._queue
        while (self._busy is None
               and (not self._closed or self._runsToQuit)
               and not self._repliesBlocked):
            command = queue.next()
            if command is None:
                break
            self.abortedBeforeTurn = queue.abortedBeforeTurn()
            result = self.runCommand(*command, True)
            if result is not None and not result.called:
                self._busy = result
        if queue.full and not self._closed and queue.drained():
            self._updateReading()

    def handshakeCompleted(self):
        """
        An implicit-TLS session finished its handshake: only now may reading
        pause for unread replies (pausing during the handshake would stall
        it, since the greeting waits in the TLS layer until then). An
        C{AUTH TLS} handshake ends here too. A connection closed while
        its handshake went on ends once the replies that waited for it
        are sent (L{endAfterHandshake}).
        """
        self.noteHandshakeDone()
        if self._closed:
            self.endAfterHandshake()
            return
        self._watchReplies()

    def commandFinished(self):
        """
        The running command has replied (L{runCommand}, queued): run
        those queued after it.
        """
        self._busy = None
        self._processQueue()

    def whenIdle(self):
        """
        @return: a Deferred firing once the running command (a transfer,
            say) has replied.
        """
        if self._busy is None:
            return defer.succeed(None)
        return self._busy.whenDone()

    def isIdle(self):
        """
        @return: whether no command is running.
        """
        return self._busy is None

    def hasClosed(self):
        """
        @return: whether the session closed its control connection (or
            is closing it: after a C{QUIT}'s C{221}).
        """
        return self._closed

    def stopTaking(self):
        """
        The server is stopping: run no further command (those pipelined
        are forgotten, but an C{ABOR}, still answered, and a C{QUIT};
        C{ABOR} and C{STAT} still work during a transfer): one forgotten,
        or arriving from now on, is refused (L{whenRefusedInStop}).

        @return: L{whenIdle}.
        """
        if self._queue.stop():
            self._refuseInStop()
        return self.whenIdle()

    def whenRefusedInStop(self):
        """
        @return: a Deferred firing once a command the server stopping does
            not run (L{stopTaking}) was pipelined or arrived: its client
            waits for a reply, which the drain gives (C{421}) as soon as
            the running command, if any, replied, rather than after its
            wait for a C{QUIT} (L{ftpkit.ops.drain.QUIT_WAIT}), which left
            the command unanswered that long.
        """
        if self._refusedInStop:
            return defer.succeed(None)
        if self._refusedWaiters is None:
            self._refusedWaiters = []
        waiter = defer.Deferred()
        self._refusedWaiters.append(waiter)
        return waiter

    def _refuseInStop(self):
        """
        A command was refused as the server stops: tell those waiting in
        L{whenRefusedInStop}.
        """
        self._refusedInStop = True
        waiters, self._refusedWaiters = self._refusedWaiters, None
        for waiter in waiters or ():
            waiter.callback(None)
