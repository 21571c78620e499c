"""
Whether a control connection's client hung up while the session reads
nothing from it (L{HangupWatch}).

A session stops reading its client once too many pipelined commands wait
(L{ftpkit.control.commandqueue}). The client's end of the connection (its
FIN) then waits unread behind them, and the session went on running what
it queued: a wrong password and a few hundred commands, then a hang-up,
kept the session, its descriptor and its place among the address's
sessions for the failed login's delay and every command after it (up to
a minute, in C{CLOSE-WAIT}). The kernel knows the client ended its side
even while the bytes before the end are unread: L{peerHungUp} asks it
(Linux's C{TCP_INFO}), and L{HangupWatch} asks every
L{CHECK_INTERVAL} seconds while reading is paused.

A C{QUIT} may be among the bytes left unread: it lets a running transfer
finish (RFC 959), where a client hanging up without one has it cut. The
session reads them once it has seen the hang-up, running none of them
but looking for that C{QUIT} (L{quitAmong}); a client that sent C{STOR},
its data, a few dozen commands and C{QUIT}, then closed, had its upload
cut (C{426}), the C{QUIT} never read.
"""

import _socket
import socket

from twisted.internet import task

from ftpkit.protocol.commands import HTTP_METHODS, isHTTPRequest, parseLine

CHECK_INTERVAL = 1.0
"""Seconds between two looks at a paused session's socket."""

_TCP_CLOSE = 7
_TCP_CLOSE_WAIT = 8
"""Linux's C{tcpi_state} values for a connection the peer reset, and for
one whose peer ended its side."""

_ENDED = frozenset([_TCP_CLOSE, _TCP_CLOSE_WAIT])

_IAC = 0xFF
"""Telnet's C{IAC} byte (RFC 854): a command that may cut a C{QUIT}'s
letters."""


def socketOf(transport):
    """
    @param transport: a control connection's transport (TCP, TCP under
        C{AUTH TLS}, or a TLS or PROXY layer over one).
    @return: the TCP socket under it, or C{None} when there is none.
    """
    for _ in range(8):
        if transport is None:
            return None
        try:
            handle = transport.getHandle()
        except AttributeError:
            handle = None
        # _socket.socket: the bare sockets a listening port accepts
        # (ftpkit.compat.eventloop.acceptBareOn) are not socket.socket
        # objects, which are _socket.socket objects too.
        if isinstance(handle, _socket.socket):
            return handle
        # A TCP connection under AUTH TLS: its getHandle is the TLS
        # layer's (the TLS connection), its socket still its own.
        sock = getattr(transport, "socket", None)
        if isinstance(sock, _socket.socket):
            return sock
        transport = getattr(transport, "transport", None)
    return None


def peerHungUp(sock):
    """
    @param sock: a connected TCP socket.
    @return: whether its peer ended its side or reset the connection,
        whatever the socket still holds unread; C{False} when that cannot
        be told (no C{TCP_INFO}: not Linux).
    """
    option = getattr(socket, "TCP_INFO", None)
    if option is None:
        return False
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, option, 8)
    except OSError:
        return False
    return bool(info) and info[0] in _ENDED


def quitAmong(pending, data, maxLength):
    """
    Look for a C{QUIT} among bytes a client sent before it hung up.

    @param pending: the unfinished line of the bytes looked at before.
    @param data: the bytes that follow it.
    @param maxLength: the longest command line the session takes; at a
        longer one it would have closed, never reading what follows.
    @return: C{(quit, pending)}: whether a whole line is a C{QUIT}, and
        the unfinished line to give with the next bytes, or C{None} when
        nothing after them matters (a C{QUIT} or an over-long line came).
    """
    chunk = pending + data
    lines = chunk.split(b"\n")
    rest = lines.pop()
    # IAC by its value and the word by find: bytes' `in` tries a bytes
    # needle as an integer first, making and clearing a TypeError.
    if _IAC in chunk or chunk.lower().find(b"quit") != -1:
        # A QUIT may be there (Telnet commands may cut its letters).
        for line in lines:
            if len(line) > maxLength:
                return False, None
            if parseLine(line) == ("QUIT", ""):
                return True, None
    elif lines and max(map(len, lines)) > maxLength:
        # A flood of other commands is only measured, none parsed.
        return False, None
    if len(rest) > maxLength:
        return False, None
    return False, rest


class LeftLines:
    """
    The lines a client sent before it hung up that the session had not
    run (L{ftpkit.control.readingcontrol}): read in pieces (L{read}), the
    commands before a C{QUIT} are offered in order to C{keep} (the
    session's queue, L{ftpkit.control.quitleft}), and once it keeps no
    more, what follows is only searched for the C{QUIT}
    (L{quitAmong}), none of it parsed or held.

    @ivar quit: whether a whole line was a C{QUIT}.
    @ivar dropped: whether C{keep} refused a command before it.
    @ivar done: whether nothing after what was read matters: a C{QUIT},
        an over-long line (the session would have closed there) or an
        HTTP request (it would have closed, running none of the lines
        after it) came.
    """

    quit = False
    dropped = False
    done = False

    def __init__(self, maxLength, keep):
        """
        @param maxLength: the longest command line the session takes.
        @param keep: called with a command's verb and argument; returns
            whether it was kept (C{False} once no more are).
        """
        self._maxLength = maxLength
        self._keep = keep
        self._pending = b""

    def read(self, data):
        """
        Read the next bytes the client sent.

        @param data: the bytes.
        @return: L{done}.
        """
        if self.done:
            return True
        if self.dropped:
            return self._search(data)
        lines = (self._pending + data).split(b"\n")
        self._pending = lines.pop()
        for index, line in enumerate(lines):
            if len(line) > self._maxLength:
                self.done = True
                return True
            verb, argument = parseLine(line)
            if verb == "QUIT" and not argument:
                self.quit = self.done = True
                return True
            if verb in HTTP_METHODS and isHTTPRequest(verb, argument):
                self.done = True
                return True
            if not self._keep(verb, argument):
                self.dropped = True
                rest, self._pending = self._pending, b""
                return self._search(b"\n".join(lines[index + 1:] + [rest]))
        if len(self._pending) > self._maxLength:
            self.done = True
        return self.done

    def _search(self, data):
        """
        Look for the C{QUIT} only (L{quitAmong}).

        @param data: the bytes that follow those read.
        @return: L{done}.
        """
        self.quit, pending = quitAmong(self._pending, data, self._maxLength)
        self.done = pending is None
        self._pending = pending or b""
        return self.done


class HangupWatch:
    """
    Looks at a paused session's socket now and then, and calls back once
    its client hung up.
    """

    def __init__(self, reactor, sock, hungUp, interval=CHECK_INTERVAL):
        """
        @param reactor: the reactor.
        @param sock: the session's TCP socket.
        @param hungUp: called with no argument once the client hung up
            (the watch has stopped then).
        @param interval: seconds between two looks.
        """
        self._sock = sock
        self._hungUp = hungUp
        self._loop = task.LoopingCall(self._look)
        self._loop.clock = reactor
        self._loop.start(interval, now=False)

    def clientGone(self):
        """
        @return: whether the client hung up, as its socket tells now
            (between two looks: C{/sessions} asks).
        """
        return peerHungUp(self._sock)

    def _look(self):
        if peerHungUp(self._sock):
            self.stop()
            self._hungUp()

    def stop(self):
        """
        Stop looking (reading resumed, or the session ended).
        """
        if self._loop.running:
            self._loop.stop()
