"""
The TLS layer of control connections: L{layerFactory}, which makes them
(one L{TLSMemoryBIOFactory} per context factory, not one per connection,
holding its context factory weakly), and L{startTLS}, which puts one
under a connection for C{AUTH TLS}.

The layer itself, L{ControlTLSProtocol}, follows Twisted's private names,
so it lives in L{ftpkit.compat.controltls}; it is importable from here
too.
"""

import weakref

from OpenSSL import SSL
from twisted.internet.interfaces import IOpenSSLServerConnectionCreator
from twisted.protocols.tls import TLSMemoryBIOFactory
from zope.interface import implementer

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
            _WeakCreator(contextFactory), None)
        return factory
    except TypeError:
        return _newLayerFactory(contextFactory, None)


@implementer(IOpenSSLServerConnectionCreator)
class _WeakCreator:
    """
    The server side of TLS connections from a context factory held
    weakly: a cached layer factory holding it (as Twisted's does) kept it
    alive through L{_layerFactories}' own weak key, with its contexts,
    for the rest of the process (every server an embedding program or a
    test ever started).
    """

    def __init__(self, contextFactory):
        """
        @param contextFactory: an C{IOpenSSLServerConnectionCreator} or
            an C{IOpenSSLContextFactory}, held weakly (a connection only
            starts while its server holds it).
        """
        self._contextFactory = weakref.ref(contextFactory)

    def serverConnectionForTLS(self, protocol):
        """
        @param protocol: the TLS layer.
        @return: an C{SSL.Connection} from the context factory, as
            Twisted makes it.
        """
        contextFactory = self._contextFactory()
        if IOpenSSLServerConnectionCreator.providedBy(contextFactory):
            return contextFactory.serverConnectionForTLS(protocol)
        return SSL.Connection(contextFactory.getContext(), None)


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
