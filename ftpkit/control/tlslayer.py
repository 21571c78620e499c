"""
The TLS layer of control connections: L{layerFactory}, which makes them
(one L{TLSMemoryBIOFactory} per context factory, not one per connection),
and L{startTLS}, which puts one under a connection for C{AUTH TLS}.

The layer itself, L{ControlTLSProtocol}, follows Twisted's private names,
so it lives in L{ftpkit.compat.controltls}; it is importable from here
too.
"""

import weakref

from twisted.protocols.tls import TLSMemoryBIOFactory

from ftpkit import compat
from ftpkit.compat.controltls import FOLLOWS_TWISTED, ControlTLSProtocol

__all__ = ["FOLLOWS_TWISTED", "ControlTLSProtocol", "layerFactory",
           "startTLS"]

_layerFactories = weakref.WeakKeyDictionary()


def layerFactory(contextFactory, wrappedFactory=None):
    """
    @param contextFactory: the server's TLS context factory.
    @param wrappedFactory: for an implicit-TLS listener, the factory of
        the protocol above the layer; C{None} for C{AUTH TLS} (the layer
        goes under a connection's protocol).
    @return: a server-side L{TLSMemoryBIOFactory} making
        L{ControlTLSProtocol} layers; for C{AUTH TLS}, the same one for
        every connection of a context factory.
    """
    if wrappedFactory is not None:
        return _newLayerFactory(contextFactory, wrappedFactory)
    try:
        return _layerFactories[contextFactory]
    except KeyError:
        factory = _layerFactories[contextFactory] = _newLayerFactory(
            contextFactory, None)
        return factory
    except TypeError:
        return _newLayerFactory(contextFactory, None)


def _newLayerFactory(contextFactory, wrappedFactory):
    factory = TLSMemoryBIOFactory(contextFactory, False, wrappedFactory)
    factory.protocol = ControlTLSProtocol
    factory.noisy = False
    return factory


def startTLS(transport, contextFactory):
    """
    Start TLS on a control connection (C{AUTH TLS}), server side, with a
    L{ControlTLSProtocol} layer; as C{transport.startTLS} where this
    Twisted's C{startTLS} cannot be followed (see
    L{ftpkit.compat.startTLSWith}).

    @param transport: the connection's transport.
    @param contextFactory: the server's TLS context factory.
    """
    if not compat.startTLSWith(transport, layerFactory(contextFactory)):
        transport.startTLS(contextFactory)
