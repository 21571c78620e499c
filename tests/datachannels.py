"""
A session's data channel on its own (L{DataChannel}): on a
L{MemoryReactorClock}, with a real passive listener on 127.0.0.1 that a
test's client sockets connect to.
"""

from twisted.internet.testing import MemoryReactorClock

from ftpkit.data.channel import DataChannel


def listeningChannel(testCase):
    """
    The data channel of a session from 127.0.0.1 to 127.0.0.1, its
    listener opened (as by C{PASV}), with a data timeout of 8 seconds.
    The test's cleanup runs the clock's turn due now, then closes the
    channel.

    @param testCase: the running test.
    @return: C{(clock, channel, port)}: the channel's
        L{MemoryReactorClock}, the L{DataChannel}, and the port it
        listens on.
    """
    clock = MemoryReactorClock()
    channel = DataChannel(clock, "127.0.0.1", "127.0.0.1", 8.0)
    port = channel.listen()
    testCase.addCleanup(channel.close)
    testCase.addCleanup(clock.advance, 0)
    return clock, channel, port
