"""
Serving an L{ftpkit.server.FTPFactory} from a Twisted program of your own
(C{docs/embedding.rst}).

L{FTPService} is what C{twistd ftpkit} runs around the factory in one
process, as a service to add to an application's C{MultiService}: the
sweep at start of the uploads crashed processes left under the realm's
root, listeners that read C{--listen} values as C{twistd ftpkit} reads
them (C{ssl:} is implicit FTPS with ftpkit's own TLS, C{haproxy:} believes
only C{ServerConfig.trustedProxies}), the C{ServerConfig.metrics}
endpoint, and the drain when it stops. L{makeContextFactory} builds the
C{ServerConfig.tlsContextFactory} that enables C{AUTH TLS};
L{logObserver} writes the log in C{ServerConfig.logFormat}.
"""

from twisted.application import service

from ftpkit.configvalues import listenDescriptions
from ftpkit.control.tls import makeContextFactory
from ftpkit.deploy.listening import controlListening
from ftpkit.deploy.opsservice import addMetricsServices
from ftpkit.deploy.privilegedfirst import PrivilegedFirst
from ftpkit.deploy.stoporder import InOrder
from ftpkit.deploy.sweepservice import SweepUploads, sweptRoots
from ftpkit.ops.drain import Drain
from ftpkit.ops.logformat import fileObserver

__all__ = ["FTPService", "logObserver", "makeContextFactory"]


def logObserver(outFile, config):
    """
    The log observer C{twistd ftpkit} writes its log with, for a program
    that begins logging itself
    (C{globalLogBeginner.beginLoggingTo([logObserver(sys.stdout,
    config)])}): ftpkit's lines as text, or one JSON object per line, as
    C{config.logFormat} says (C{--log-format}).

    @param outFile: a writable text file.
    @param config: the L{ftpkit.config.ServerConfig}.
    @return: an C{ILogObserver} writing to C{outFile}.
    """
    return fileObserver(outFile, config.logFormat)


class FTPService(PrivilegedFirst):
    """
    Serves one L{ftpkit.server.FTPFactory} on some endpoints.

    Started, it sweeps the uploads crashed processes left under the
    directories its realms serve (in a thread, while it serves), then
    listens, and serves C{/metrics} and C{/sessions} on
    C{ServerConfig.metrics} if set. Stopped, it stops listening (clients
    waiting in the listen queue are told C{421}), then lets each session
    finish its running command for up to C{ServerConfig.shutdownGrace}
    seconds, tells it C{421} and closes it; C{stopService}'s Deferred fires once every
    session is gone (the metrics endpoint stops then). Started with
    C{startService} alone, it does its privileged start first
    (L{PrivilegedFirst}): its listeners bind before the sweep begins.

    @ivar factory: the factory served.
    """

    def __init__(self, factory, listen=("tcp:2121",), reactor=None):
        """
        @param factory: an L{ftpkit.server.FTPFactory}.
        @param listen: Twisted server endpoint descriptions, as
            C{--listen} takes them (C{"tcp:2121:interface=127.0.0.1"},
            C{"ssl:990"} for implicit FTPS, C{"haproxy:tcp:21"}), or one
            such description alone (C{"tcp:0"}: one listener, not one per
            character).
        @raise ValueError: for no description, or one that is no C{str}
            (L{ftpkit.configvalues.listenDescriptions}).
        @param reactor: the reactor (the factory's when C{None}).
        """
        descriptions = listenDescriptions(listen)
        service.MultiService.__init__(self)
        if reactor is None:
            reactor = factory.reactor
        self.factory = factory
        config = factory.config
        roots = sweptRoots([factory.portal.realm] + [
            host.realm for host in config.virtualHosts])
        if roots:
            SweepUploads(roots[0], whileServing=True, others=roots[1:],
                         reactor=reactor).setServiceParent(self)
        self._listening = []
        for description in descriptions:
            listening = controlListening(description, factory, reactor)
            listening.setServiceParent(self)
            self._listening.append(listening)
        draining = self
        if config.metrics is not None:
            # The metrics endpoint answers, and counts, while the drain
            # runs, and stops after it, as twistd ftpkit's.
            draining = InOrder()
            draining.setServiceParent(self)
            addMetricsServices(self, config, factory=factory,
                               listeners=draining)
        # Added last, stopped first: its sessions are told before the
        # listeners close, in the same turn of the reactor.
        Drain(factory, config.shutdownGrace, reactor).setServiceParent(
            draining)

    def ports(self):
        """
        @return: the C{IListeningPort}s listened with, in the order of
            C{listen}, once started (C{getHost().port} tells the port a
            C{tcp:0} endpoint got).
        """
        return [listening.endpoint.port for listening in self._listening]
