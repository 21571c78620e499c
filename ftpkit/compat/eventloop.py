"""
The private names of Twisted's reactor and of Python's C{socket} module
that ftpkit reads to spare the reactor work it does for every connection
or every turn.

    - C{ReactorBase.threadCallQueue}, which the reactor empties at the
      start of its next turn, once the events of this one are handled:
      running a call there (L{afterThisTurn}) costs no timed call;
      fallback (and while the queue holds calls): C{callLater(0)} (a timed
      call, run at the same point).
    - C{EPollReactor._poller}, the reactor's C{epoll} object, whose
      descriptor polls readable whenever the reactor has an event to
      handle (L{readyDescriptor}): a download's lingering close waits for
      its client in place while the reactor has nothing else to do
      (L{ftpkit.data.linger}); fallback: it always waits in the reactor.
    - Python's own C{socket.socket._accept} (a listener's accept without
      the wrapper class), for a passive data connection accepted as a
      bare C{_socket.socket} (L{acceptBare}), and for the control
      connections of a listening port (L{acceptBareOn}: the C{socket}
      attribute of Twisted's TCP port, whose C{accept} it calls);
      fallback: C{accept}, and its wrapper.
    - C{tcp.Port._logger}, a L{Logger} that makes a new L{Logger} each
      time it is read through a port, which C{Port.doRead} does twice
      for every turn that accepts (L{acceptBareOn} keeps the one it
      makes on the port itself); fallback: left as it is.
"""

import _socket
import errno
import os
import select
import socket
import sys

from twisted.logger import Logger

from ftpkit.compat.acceptqueue import queueSized


def afterThisTurn(reactor, function, *args):
    """
    Run C{function(*args)} once the reactor has handled every event of the
    current turn, as C{reactor.callLater(0, ...)} does, but without making
    a timed call (each costs its creation and a heap push and pop). Called
    from the reactor thread only: nothing wakes the reactor, which runs
    the call when it next turns. Queued from a timed call, that is before
    the reactor next waits for I/O: the server's
    L{ftpkit.compat.dispatch.LazyDispatch} does not wait then; another
    reactor runs the call after its next event or timed call.

    @param reactor: the reactor (or any L{IReactorTime}: without
        C{threadCallQueue}, or while it holds calls, C{callLater(0)} is
        used).
    @param function: the callable.
    @param args: its arguments.
    """
    queue = getattr(reactor, "threadCallQueue", None)
    if queue is None or queue:
        # A queue with calls in it may be the one the reactor is running
        # now: one added to it then would make the reactor wake itself up
        # (a write and a read of its waker) to run it.
        reactor.callLater(0, function, *args)
    else:
        queue.append((function, args, {}))


def readyDescriptor(reactor):
    """
    @param reactor: a reactor.
    @return: a descriptor that polls readable whenever the reactor has an
        event ready to handle (the C{epoll} reactor's own C{epoll}
        descriptor: ready while any descriptor it watches is), or C{None}
        for a reactor without one.
    """
    poller = getattr(reactor, "_poller", None)
    epoll = getattr(select, "epoll", None)
    if epoll is None or type(poller) is not epoll:
        return None
    try:
        return poller.fileno()
    except ValueError:
        return None


def acceptBare(listening, family):
    """
    Accept a connection as C{listening.accept()} does, as the bare
    C{_socket.socket} under Python's L{socket.socket} class: the class's
    C{accept} looks the listener's family and type up again as enums and
    builds a wrapper for every connection, a dozen Python-level calls that
    a passive data connection (one per small file) does not need; the
    bare socket has every method a data connection uses.

    @param listening: a listening TCP socket.
    @param family: its address family (looked up once by the caller).
    @return: C{(socket, address)}, the socket non-blocking.
    @raise OSError: as C{accept} does (C{BlockingIOError} when none is
        queued).
    """
    accept = getattr(listening, "_accept", None)
    if accept is None:  # The name is gone: the wrapper.
        connection, address = listening.accept()
    else:
        fd, address = accept()
        try:
            connection = _socket.socket(family, socket.SOCK_STREAM,
                                        listening.proto, fd)
        except BaseException:
            os.close(fd)
            raise
    connection.setblocking(False)
    return connection, address


class TunedConnection(_socket.socket):
    """
    A bare connection accepted from a listening socket set to
    C{TCP_NODELAY} and C{SO_OOBINLINE}, which Linux gives each connection
    it accepts: the control connection need not set them again (two
    system calls per session).
    """

    __slots__ = ()


class _BareAccepting(socket.socket):
    """
    A listening socket whose C{accept} gives the bare C{_socket.socket}
    of each connection, left blocking (Twisted's transport makes it
    non-blocking): Python's C{socket.socket.accept} looks the listener's
    family and type up as enums and wraps every connection in its class,
    a dozen Python-level calls per connection, and the wrapper's C{close}
    a few more.

    @cvar connectionType: the class of the connections it gives.
    @cvar exhausted: what answers the clients waiting when the process has
        no descriptor left (see L{acceptBareOn}), or C{None}.
    """

    __slots__ = ()
    connectionType = _socket.socket
    exhausted = None

    def accept(self):
        """
        @return: C{(socket, address)}, as C{socket.socket.accept} does.
        @raise OSError: likewise; C{BlockingIOError} when the process had
            no descriptor for it and L{exhausted} answered the clients
            waiting (Twisted's port then waits for the next one quietly).
        """
        try:
            fd, address = self._accept()
        except OSError as e:
            if (e.errno in NO_DESCRIPTOR and self.exhausted is not None
                    and self.exhausted()):
                raise BlockingIOError(
                    errno.EAGAIN, "clients refused for want of descriptors"
                ) from None
            raise
        try:
            connection = self.connectionType(
                _FAMILY.__get__(self), socket.SOCK_STREAM, self.proto, fd)
        except BaseException:
            os.close(fd)
            raise
        return connection, address


class _TunedAccepting(_BareAccepting):
    """
    A L{_BareAccepting} listening socket set to C{TCP_NODELAY} and
    C{SO_OOBINLINE}: its connections are L{TunedConnection}s.
    """

    __slots__ = ()
    connectionType = TunedConnection


NO_DESCRIPTOR = frozenset([errno.EMFILE, errno.ENFILE])
"""What C{accept} fails with when the process (or the system) has no
descriptor for the connection."""

_FAMILY = _socket.socket.family
"""The C{family} of a bare socket, an C{int} (C{socket.socket}'s own
property makes an enum of it)."""

INHERITS_OPTIONS = sys.platform.startswith("linux")
"""Whether an accepted connection has the C{TCP_NODELAY} and
C{SO_OOBINLINE} of its listener (Linux copies the listener's socket)."""


def _tuneListener(listening):
    """
    @param listening: a listening TCP socket.
    @return: whether it now has C{TCP_NODELAY} and C{SO_OOBINLINE}, for
        its connections to inherit.
    """
    if not INHERITS_OPTIONS:
        return False
    try:
        listening.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_OOBINLINE, 1)
    except OSError:
        return False
    return True


def _keepLogger(port):
    """
    Keep on a port the logger that reading its class's C{_logger} through
    it gives (a L{Logger} in the class's namespace, its source the port):
    the same logger, made once rather than at every read.

    @param port: a listening port.
    """
    descriptor = getattr(type(port), "_logger", None)
    if isinstance(descriptor, Logger) and "_logger" not in vars(port):
        port._logger = descriptor.__get__(port, type(port))


def acceptBareOn(port, exhausted=None):
    """
    Make a listening port of Twisted's (C{tcp.Port}, whose C{socket} is
    the listening socket it calls C{accept} on) accept its connections as
    bare C{_socket.socket}s, which have every method Twisted's TCP
    transport and ftpkit's control connection use; on Linux, as
    L{TunedConnection}s of a listener set to C{TCP_NODELAY} and
    C{SO_OOBINLINE}. Its logger is made once (L{_keepLogger}), not twice
    for each turn that accepts; a TCP port's turns accept what its listen
    queue holds (L{ftpkit.compat.acceptqueue.queueSized}), not one
    C{accept} more that fails every other turn.

    @param port: what an endpoint's C{listen} gave.
    @param exhausted: called with no argument when C{accept} fails for
        want of a descriptor (C{EMFILE}, C{ENFILE}), it answers the
        clients waiting in the listen queue and returns whether it did;
        or C{None}. Twisted's own answer is to close them without a word,
        logging three lines for each, as fast as a client connects.
    @return: whether it now does (C{False}: left as it was, a port
        without such a socket).
    """
    listening = getattr(port, "socket", None)
    if type(listening) is not socket.socket or not callable(
            getattr(listening, "_accept", None)):
        return False
    if listening.type != socket.SOCK_STREAM:
        return False
    if listening.family in (socket.AF_INET, socket.AF_INET6) and (
            _tuneListener(listening)):
        accepting = _TunedAccepting
    else:
        accepting = _BareAccepting
    if exhausted is not None:
        accepting = type(accepting.__name__, (accepting,), {
            "__slots__": (), "exhausted": staticmethod(exhausted)})
    listening.__class__ = accepting
    _keepLogger(port)
    queueSized(port)
    return True
