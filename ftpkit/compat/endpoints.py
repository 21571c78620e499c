"""
The private names of Twisted's server endpoints that ftpkit reads to tell
which port a parsed C{--listen} or C{--metrics} endpoint would listen on,
so that a port out of range is a usage error at start-up, not a traceback
when listening:

    - C{TCP4ServerEndpoint._port} (and C{TCP6ServerEndpoint}'s, and the
      C{ssl:} endpoint's, which are the same class): the port number;
    - C{_WrapperServerEndpoint._wrappedEndpoint}: the endpoint a wrapper
      such as C{haproxy:} listens through.

Fallback: the port is not known (L{endpointPort} gives C{None}), and
Twisted's own C{listen} refuses a bad one later.
"""


def endpointPort(endpoint):
    """
    @param endpoint: a parsed server endpoint.
    @return: the port number it would listen on (through a wrapper such
        as C{haproxy:}), or C{None} for one without a port (C{unix:}), or
        when this Twisted keeps it elsewhere.
    """
    while endpoint is not None:
        port = getattr(endpoint, "_port", None)
        if isinstance(port, int):
            return port
        endpoint = getattr(endpoint, "_wrappedEndpoint", None)
    return None
