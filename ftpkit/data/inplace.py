"""
L{waitInPlace}: wait for a socket in the reactor's own thread, while the
reactor has nothing else to do.

A transfer that must wait for its client (an upload's first bytes, which a
client sends only once it has the C{150}, or its end) would otherwise
register the socket with the reactor, start a watchdog, and resume on a
turn of its own. While the reactor has no event ready, no timed call due
and no call queued for its next turn, it would only sleep meanwhile: one
C{poll} of the socket and of the reactor's own C{epoll} descriptor (ready
as soon as the reactor has anything else to handle) waits as well, and
the transfer goes on in the same turn. Anything else ready first ends the
wait, and the caller waits in the reactor as before.
"""

import select
import weakref

from ftpkit.compat import readyDescriptor

_pollers = weakref.WeakKeyDictionary()
"""Per reactor, a C{poll} object holding its C{epoll} descriptor, or
C{None} for a reactor without one."""


def pollerFor(reactor):
    """
    @param reactor: the reactor.
    @return: its C{poll} object, the reactor's C{epoll} descriptor
        registered in it (a caller registers its socket too, and
        unregisters it before it returns), or C{None} when the reactor
        has no such descriptor.
    """
    try:
        return _pollers[reactor]
    except KeyError:
        pass
    except TypeError:
        return None
    poller = None
    ready = readyDescriptor(reactor)
    if ready is not None and hasattr(select, "poll"):
        poller = select.poll()
        poller.register(ready, select.POLLIN)
    _pollers[reactor] = poller
    return poller


def waitInPlace(reactor, sock, timeout):
    """
    Wait for a socket to be readable, the reactor's thread blocked in
    C{poll}, for as long as the reactor has nothing else to do: until the
    reactor's C{epoll} descriptor is ready, its next timed call is due, or
    C{timeout} seconds have passed; not at all while its
    C{threadCallQueue} holds calls, or for a reactor without such a
    descriptor.

    @param reactor: the reactor running this call.
    @param sock: a connected, non-blocking socket the reactor does not
        watch.
    @param timeout: the longest wait, in seconds.
    @return: whether the socket is readable (it holds bytes, its peer's
        end, or an error).
    """
    poller = pollerFor(reactor)
    if poller is None or reactor.threadCallQueue:
        # No descriptor to tell whether the reactor has work; or calls it
        # runs before its next poll (threads' results, or the one running
        # this): it has.
        return False
    delay = reactor.timeout()
    if delay is None or delay > timeout:
        delay = timeout
    if delay <= 0:
        return False
    fd = sock.fileno()
    poller.register(fd, select.POLLIN)
    try:
        ready = poller.poll(delay * 1000)
    finally:
        poller.unregister(fd)
    for readyFd, _events in ready:
        if readyFd == fd:
            return True
    return False
