"""
The twenty-fifth attack sweep: the surfaces around the FTP commands
(logging in, the users file, C{--on-upload}, the PROXY protocol, the
C{--metrics} endpoint).

C{--on-upload} ran the uploads' commands first come, first served: one
client that uploaded many small files (as any user may, or anonymous
clients with C{--anonymous-write}) put every other client's upload
behind all of its own. With a command that takes a second (a virus
scan) and C{onUploadConcurrency} 4, a client's 10,000 empty files held
another user's upload unscanned for 40 minutes. Uploads now wait their
turn by client (L{ftpkit.control.fairqueue}): each client address (an
IPv6 client's network) has its next upload's command run in turn with
the others', so another client's upload waits for at most one command of
each client ahead of it (L{HookTurnsTests}). The bound on uploads
waiting (L{ftpkit.control.uploadhook.QUEUED_UPLOADS}) is still one for
all clients.

The other weaknesses found have tests beside the modules they concern:
L{tests.unit.test_httpguard.GuardTests.test_perIPv6Network} (the
C{--metrics} endpoint's bound per address, which one IPv6 host passed
with addresses of its own C{/64}) and L{tests.unit.test_usersfilemodes}
(a users file every local user may write, read without a word).
"""

from twisted.internet import error
from twisted.python.failure import Failure
from twisted.trial import unittest

from ftpkit.control.uploadhook import UploadCommand
from ftpkit.ops import events
from ftpkit.ops.observers import ObserverSubscription
from tests.integration.test_observers import _Spawner


def upload(peer, path):
    """
    @param peer: the client's address.
    @param path: the file's path.
    @return: the L{events.Event} of a completed C{STOR}.
    """
    return events.Event(events.TRANSFER, peer, user="alice", command="STOR",
                        code=226, path=path, bytes=0)


class HookTurnsTests(unittest.TestCase):
    """
    The uploads' commands of C{--on-upload} run in turn by client, not
    first come, first served.
    """

    def setUp(self):
        self.reactor = _Spawner()
        self.hub = events.EventHub()
        self.hook = UploadCommand(["/bin/true"], "/srv/ftp", 1, 60.0,
                                  reactor=self.reactor)
        self.subscription = ObserverSubscription(self.hook)
        self.subscription.subscribeTo(self.hub)

    def runAll(self):
        """
        End each command as it is started, until none waits.

        @return: the paths of the uploads, in the order their commands
            ran.
        """
        ended = 0
        while ended < len(self.reactor.runs):
            run, _ = self.reactor.runs[ended]
            ended += 1
            run.processEnded(Failure(error.ProcessDone(0)))
        self.assertEqual(self.subscription.pending, 0)
        return [path for _, path in self.reactor.runs]

    def test_floodDoesNotHoldOthers(self):
        """
        A client's 500 uploads, then another client's one: the other's
        command runs second, after the one command already running; it
        ran 501st.
        """
        flood = ["/f/%03d" % (n,) for n in range(500)]
        for path in flood:
            self.hub.publish(upload("192.0.2.1", path))
        self.hub.publish(upload("198.51.100.7", "/mine.pdf"))
        ran = self.runAll()
        self.assertEqual(ran[:2], ["/f/000", "/mine.pdf"])
        self.assertEqual([path for path in ran if path != "/mine.pdf"],
                         flood)

    def test_inTurn(self):
        """
        Clients with uploads waiting have their commands run one each in
        turn, each client's in the order its uploads came.
        """
        for n in range(3):
            self.hub.publish(upload("192.0.2.1", "/a%d" % (n,)))
        for n in range(3):
            self.hub.publish(upload("192.0.2.2", "/b%d" % (n,)))
        self.assertEqual(self.runAll(),
                         ["/a0", "/b0", "/a1", "/b1", "/a2", "/b2"])

    def test_ipv6Network(self):
        """
        An IPv6 client is its C{/64}: uploads from many of its addresses
        take one turn, as from one address; an IPv4 client reaching an
        IPv6 listener is its IPv4 address.
        """
        for n in range(4):
            self.hub.publish(upload("2001:db8::%x" % (n + 1,), "/v%d" % (n,)))
        self.hub.publish(upload("::ffff:192.0.2.9", "/m0"))
        self.hub.publish(upload("192.0.2.9", "/m1"))
        self.hub.publish(upload("2001:db8:0:1::1", "/w0"))
        self.assertEqual(self.runAll(),
                         ["/v0", "/m0", "/w0", "/v1", "/m1", "/v2", "/v3"])
