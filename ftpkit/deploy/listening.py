"""
The service of one C{--listen} endpoint of a one-process server
(L{ControlListening}): it accepts its control connections as bare sockets
(L{ftpkit.deploy.endpoints.BareAccepting}) and, when it stops (the drain
of C{SIGTERM}), tells each client still waiting in the listen queue
C{421} (L{refuseQueued}) before the listening socket is closed: closing
it with connections queued makes the kernel reset them, and a client
that connected just before the drain got a reset instead of a reply.
The acceptor of C{--workers} refuses its queued clients the same way
when it stops (L{ftpkit.deploy.workers.WorkerPool.stopService}).
"""

from twisted.application import internet
from twisted.internet import endpoints

from ftpkit.deploy.endpoints import BareAccepting
from ftpkit.ops.drain import SHUTTING_DOWN
from ftpkit.protocol.replies import formatReply

REFUSAL = formatReply(421, SHUTTING_DOWN)
"""What a client queued when the server stops reads before it is closed."""


def refuseQueued(listening, reply=REFUSAL):
    """
    Accept every connection queued on a listening socket, send it
    C{reply} and close it.

    @param listening: a non-blocking listening socket.
    @param reply: the bytes each client gets (as much as its socket takes
        at once; a client gone already gets nothing).
    @return: how many connections were refused.
    """
    refused = 0
    while True:
        try:
            connection, _ = listening.accept()
        except OSError:  # None left (BlockingIOError), or out of descriptors.
            return refused
        try:
            connection.setblocking(False)
            connection.send(reply)
        except OSError:
            pass
        finally:
            connection.close()
        refused += 1


class ControlListening(internet.StreamServerEndpointService):
    """
    Listens on one endpoint for control connections, accepted as bare
    sockets; queued clients are told C{421} when it stops.
    """

    def __init__(self, description, factory, reactor=None):
        """
        @param description: the endpoint's description (as
            L{endpoints.serverFromString} reads it).
        @param factory: the protocol factory of the connections.
        @param reactor: the reactor (the global one when C{None}).
        """
        if reactor is None:
            from twisted.internet import reactor
        internet.StreamServerEndpointService.__init__(
            self, BareAccepting(endpoints.serverFromString(
                reactor, description)), factory)
        # As strports.service: an address that cannot be listened on
        # raises from privilegedStartService, for the caller to report.
        self._raiseSynchronously = True

    def stopService(self):
        """
        Refuse the clients queued on the listening socket, then stop
        listening.

        @return: a Deferred firing once the port stopped listening.
        """
        listening = getattr(self.endpoint.port, "socket", None)
        if listening is not None:
            refuseQueued(listening)
        return internet.StreamServerEndpointService.stopService(self)
