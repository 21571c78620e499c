"""
A TLS 1.3 client of a C{PROT P} data connection (pyOpenSSL over memory
buffers, on a blocking socket) that can ask the server for KeyUpdates:
what the KeyUpdate attack tests (L{tests.integration.test_attack_keyupdates})
and the feature-by-mode tests (L{tests.featuremodes}) build their clients
on.
"""

from OpenSSL import SSL
from twisted.trial import unittest

from ftpkit.compat.openssl import memoryHandles
from ftpkit.compat.sessiontickets import hiddenFunction


class KeyUpdateClient:
    """
    A data connection's TLS client that can ask for KeyUpdates.

    @ivar sock: the data connection's socket.
    @ivar tls: the pyOpenSSL connection, in memory.
    """

    def __init__(self, sock):
        """
        @param sock: the data connection's socket, with a timeout.
        @raise unittest.SkipTest: where C{SSL_key_update} cannot be
            reached.
        """
        context = SSL.Context(SSL.TLS_METHOD)
        context.set_min_proto_version(SSL.TLS1_3_VERSION)
        self.sock = sock
        self.tls = SSL.Connection(context, None)
        self.tls.set_connect_state()
        self._update = hiddenFunction("SSL_key_update", "int (*)(SSL *, int)")
        handles = memoryHandles(self.tls)
        if self._update is None or handles is None:
            raise unittest.SkipTest("SSL_key_update cannot be reached")
        self._handle = handles[0]

    def flush(self):
        """
        Send what OpenSSL wrote.
        """
        while True:
            try:
                records = self.tls.bio_read(1 << 20)
            except SSL.WantReadError:
                return
            self.sock.sendall(records)

    def feed(self):
        """
        Hand OpenSSL what the server sent next.

        @raise EOFError: when the server closed the connection.
        """
        data = self.sock.recv(1 << 20)
        if not data:
            raise EOFError("the server closed the data connection")
        self.tls.bio_write(data)

    def handshake(self):
        """
        Make the handshake.
        """
        while True:
            try:
                self.tls.do_handshake()
                break
            except SSL.WantReadError:
                self.flush()
                self.feed()
        self.flush()

    def askUpdate(self):
        """
        Ask the server for a KeyUpdate (this side's keys updated too),
        without sending it yet (L{flush}).
        """
        if self._update(self._handle, 1) != 1:
            raise AssertionError("SSL_key_update failed")
        self.tls.do_handshake()
