"""
The start-up line saying where the server listens: one event, the same in
one process (each C{--listen}, L{ftpkit.deploy.listening}) and in the
acceptor of C{--workers} (L{ftpkit.deploy.workers}), so that an operator
or a script reads the port a server took (C{--listen tcp:0}) from one
line whichever way it runs::

    [ftpkit#info] ftpkit listening on 127.0.0.1 port 2121
"""

from twisted.logger import Logger

LISTENING = "listening"
"""The event's C{ftpkit_event}."""

LISTENING_FORMAT = "ftpkit listening on {interface} port {port}"
"""The event's text."""

_log = Logger(namespace="ftpkit")


def logListening(interface, port, log=_log):
    """
    Log that the server listens.

    @param interface: the address listened on (C{0.0.0.0}, C{::},
        C{127.0.0.1}; IPv6 without brackets).
    @param port: the port number (the one taken, for a port C{0}).
    @param log: the L{Logger} to log with (namespace C{ftpkit}).
    """
    log.info(LISTENING_FORMAT, ftpkit_event=LISTENING, interface=interface,
             port=port)


def logPortListening(port, log=_log):
    """
    Log that a port of Twisted's listens, when it listens on an IP
    address (a C{unix:} socket has no port to name).

    @param port: an C{IListeningPort}.
    @param log: the L{Logger} to log with.
    @return: C{port}, for a Deferred's callback chain.
    """
    address = port.getHost()
    interface = getattr(address, "host", None)
    number = getattr(address, "port", None)
    if isinstance(interface, str) and isinstance(number, int):
        logListening(interface, number, log)
    return port
