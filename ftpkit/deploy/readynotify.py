"""
systemd's readiness notification (C{Type=notify}, C{sd_notify(3)}): a
server (one process, or the acceptor of C{--workers}) started with
C{NOTIFY_SOCKET} in its environment sends C{READY=1} there once its
reactor runs (L{NotifyReady}): it listens, and handles C{SIGHUP} and
C{SIGTERM}.

Why: a process handles no signal before its code runs. A C{SIGHUP} in the
first moment of the start (Python's own start, its C{site} imports;
under C{twistd}, its imports and plugin lookups until it chooses
C{ftpkit}: a second or two on a loaded machine) ends the server by the
signal's default action, without a line, where it reloads from the next
moment on (L{ftpkit.deploy.startsignals}, L{ftpkit.deploy.hangup}). A
unit of C{Type=simple} counts as started at once, so a C{systemctl
reload} right after C{systemctl start} (a deployment tool's start, then
its reload for a changed users file) sent that C{SIGHUP}, and ended the
server for good: C{Restart=on-failure} does not restart a process ended
by C{SIGHUP}, a clean signal to systemd. With C{Type=notify}, systemd
sends no reload before C{READY=1}.

The variable is taken out of the environment, as C{sd_notify}'s
C{unset_environment} does: the workers and the C{--on-upload} commands
do not inherit it, nor speak for the server.
"""

import os
import socket

from twisted.application import service

VARIABLE = "NOTIFY_SOCKET"
"""The environment variable naming systemd's notification socket."""

READY = b"READY=1"
"""The message saying the server serves."""


def notifyAddress(value):
    """
    @param value: the value of L{VARIABLE}, or C{None}.
    @return: the address of the socket it names: an absolute path
        (C{str}), or an abstract name (C{@NAME}, as C{bytes} starting
        with a NUL); C{None} for no value, or one of another kind (a
        relative path, a C{vsock:} address, which ftpkit does not speak).
    """
    if not value:
        return None
    if value.startswith("@"):
        return b"\0" + os.fsencode(value[1:])
    if value.startswith("/"):
        return value
    return None


def notify(address, message):
    """
    Send one message to the notification socket, without waiting: a
    socket gone, refusing or full loses it (the server serves anyway).

    @param address: the socket's address (L{notifyAddress}).
    @param message: the message, C{bytes}.
    @return: whether it was sent.
    """
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
            sender.setblocking(False)
            sender.sendto(message, address)
    except OSError:
        return False
    return True


class NotifyReady(service.Service):
    """
    Tell systemd the server serves (L{READY}) once the reactor runs,
    where L{VARIABLE} names a notification socket.

    @ivar address: the socket's address, once the service started and
        found one; else C{None}.
    """

    address = None

    def __init__(self, reactor=None, environ=None):
        """
        @param reactor: the reactor (the global one when C{None}).
        @param environ: the process's environment, L{VARIABLE} taken out
            of it at start [default: C{os.environ}].
        """
        self._reactor = reactor
        self._environ = os.environ if environ is None else environ

    def startService(self):
        """
        Take L{VARIABLE} out of the environment (before the workers
        start: they would inherit it), and send L{READY} once the reactor
        runs: after the services started before this one, whose signal
        handlers are installed by then.
        """
        service.Service.startService(self)
        self.address = notifyAddress(self._environ.pop(VARIABLE, None))
        if self.address is None:
            return
        reactor = self._reactor
        if reactor is None:
            from twisted.internet import reactor
        reactor.callWhenRunning(notify, self.address, READY)
