"""
The private names of Twisted's C{startTLS} that ftpkit reads to put its
own TLS layer under a control connection (C{AUTH TLS}) and to take the
layer away again (C{CCC}): Twisted has neither a way to choose the layer
nor a C{stopTLS}.

    - What Twisted's C{startTLS} does to a TCP connection (its C{protocol},
      C{producer}, C{streamingProducer}, C{TLS}, C{getHandle},
      C{getPeerCertificate}, C{_tlsClientDefault}, and C{_BypassTLS}, with
      the connection as C{_connection}), followed by L{startTLSWith} to put
      the control connection's own TLS layer
      (L{ftpkit.control.tlslayer}) under it; fallback: C{startTLS} with
      Twisted's layer.
    - C{tcp.Connection.TLS}, its C{protocol} while TLS is on (the
      L{TLSMemoryBIOProtocol} C{startTLS} put there, L{tlsLayer}), the
      C{getHandle}/C{getPeerCertificate} C{startTLS} set on it, and the
      layer's C{_aggregator} of small writes (Twisted's
      C{BufferingTLSTransport}, L{flushTLSWrites}): taking the TLS layer
      away again for C{CCC} (L{dropTLSLayer}, L{writePlain};
      L{ftpkit.control.ccc}); fallback: C{CCC} is refused.
    - C{_BypassTLS}'s C{_connection} and the C{getHandle} and
      C{getPeerCertificate} C{startTLS} set on it: letting go of them
      once the connection ended (L{forgetLayer}), so that the connection,
      its layer and its session are freed without the cyclic garbage
      collector; fallback: they are, by it.
"""

from twisted.internet import tcp
from twisted.internet.abstract import FileDescriptor
from twisted.internet.interfaces import ISSLTransport, ITLSTransport
from twisted.protocols.tls import TLSMemoryBIOProtocol
from zope.interface import (
    directlyProvidedBy,
    directlyProvides,
    noLongerProvides,
)

try:
    from twisted.internet._newtls import _BypassTLS
except ImportError:  # pragma: no cover (a Twisted that renamed it)
    _BypassTLS = None


def startTLSWith(transport, layerFactory):
    """
    Start TLS on a TCP connection as its C{startTLS} does, server side,
    with a layer from C{layerFactory} instead of Twisted's own.

    @param transport: the connection's transport: a Twisted TCP connection
        (the server's side, without TLS).
    @param layerFactory: a server-side L{TLSMemoryBIOFactory}; its
        C{protocol} is the layer, put under the connection's protocol.
    @return: whether TLS was started so; C{False} (nothing done) when this
        Twisted's C{startTLS} cannot be followed, or the transport is not
        such a connection.
    """
    if (_BypassTLS is None or not isinstance(transport, tcp.Connection)
            or not ITLSTransport.providedBy(transport)
            or getattr(transport, "TLS", True)
            or getattr(transport, "_tlsClientDefault", True)
            or not hasattr(transport, "producer")
            or not hasattr(transport, "streamingProducer")):
        return False
    producer, streaming = transport.producer, transport.streamingProducer
    if producer is not None:
        transport.unregisterProducer()
    layer = layerFactory.protocol(layerFactory, transport.protocol, False)
    transport.protocol = layer
    transport.getHandle = layer.getHandle
    transport.getPeerCertificate = layer.getPeerCertificate
    directlyProvides(transport, ISSLTransport)
    transport.TLS = True
    layer.makeConnection(_BypassTLS(FileDescriptor, transport))
    if producer is not None:
        transport.registerProducer(producer, streaming)
    return True


def _endedHandle():
    """
    @return: C{None}, what the TLS layer's C{getHandle} answers once its
        connection ended.
    """
    return None


def _endedPeerCertificate():
    """
    @return: C{None}: no certificate, the connection having ended.
    """
    return None


_ENDED = {"getHandle": _endedHandle,
          "getPeerCertificate": _endedPeerCertificate}


def forgetLayer(layer):
    """
    The connection L{startTLSWith} put C{layer} under has ended: the
    connection lets go of the layer's C{getHandle} and
    C{getPeerCertificate} it was given (each is replaced by one answering
    C{None}). Kept, they made a reference cycle (the connection, the
    layer, the layer's transport over the connection) that only the
    cyclic garbage collector freed, with the session above: an idle
    server makes no full collection, so a burst of FTPS sessions stayed
    in its memory once gone.

    @param layer: a TLS layer; one over another transport (an C{ssl:}
        listener's) is left as it is.
    """
    connection = getattr(getattr(layer, "transport", None), "_connection",
                         None)
    lent = getattr(connection, "__dict__", {})
    for name, ended in _ENDED.items():
        if getattr(lent.get(name), "__self__", None) is layer:
            lent[name] = ended


def tlsLayer(transport):
    """
    The TLS layer C{startTLS} put under a TCP transport (C{AUTH TLS}), for
    L{ftpkit.control.ccc} to take away again: Twisted has no C{stopTLS}.

    @param transport: a control connection's transport.
    @return: the L{TLSMemoryBIOProtocol} that is the transport's
        C{protocol} while its C{TLS} flag is set, or C{None} when the
        transport is not such a one (an C{ssl:} listener's, or a Twisted
        that renamed these private names: C{CCC} is then refused).
    """
    if not isinstance(transport, tcp.Connection) or not getattr(
            transport, "TLS", False):
        return None
    layer = getattr(transport, "protocol", None)
    if not isinstance(layer, TLSMemoryBIOProtocol) or not hasattr(
            layer, "wrappedProtocol"):
        return None
    if type(layer) is not TLSMemoryBIOProtocol and not hasattr(
            getattr(layer, "_aggregator", None), "flush"):
        return None
    return layer


def flushTLSWrites(layer):
    """
    Encrypt and send what a TLS layer from L{tlsLayer} holds back to
    aggregate small writes (a reply just written), so that it goes out
    before the layer is taken away.

    @param layer: the layer.
    """
    aggregator = getattr(layer, "_aggregator", None)
    if aggregator is not None:
        aggregator.flush()


def dropTLSLayer(transport, protocol, layer):
    """
    Make a transport for which L{tlsLayer} gave a layer plain again: its
    bytes go to and come from C{protocol} unencrypted. The layer is taken
    out of its factory's protocols too, which its C{connectionLost} does
    for a layer that stays to the end: kept there, every C{CCC} left its
    layer and TLS connection for the life of the process (20 KB a
    C{CCC}).

    @param transport: the transport.
    @param protocol: the protocol above the TLS layer.
    @param layer: that layer.
    """
    layer.factory.protocols.pop(layer, None)
    transport.TLS = False
    transport.protocol = protocol
    for name in ("getHandle", "getPeerCertificate"):
        transport.__dict__.pop(name, None)
    if ISSLTransport in directlyProvidedBy(transport):
        noLongerProvides(transport, ISSLTransport)


def writePlain(transport, data):
    """
    Write bytes to a transport for which L{tlsLayer} gave a layer, past
    that layer.

    @param transport: the transport.
    @param data: the bytes.
    """
    FileDescriptor.write(transport, data)
