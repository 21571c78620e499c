"""
L{StallingProxy}: a TCP forwarder on loopback, in a thread of its own,
whose connections can stop being forwarded (L{StallingProxy.stall}), as
a server stopped with C{SIGSTOP} stops answering: what the client sends
is still taken (its writes succeed) but goes nowhere, and nothing comes
back. Connections made after the stall are forwarded, as the listening
process of a server whose session process is stopped still accepts
them. For the tests of a store that stops answering
(L{tests.integration.test_sftpdeadline}).
"""

import selectors
import socket
import threading

WAIT = 60
"""Seconds L{StallingProxy.waitForHeld} waits (never reached in a passing
test)."""


class StallingProxy:
    """
    Forward connections to a port of 127.0.0.1.

    @ivar port: the port the proxy listens on (127.0.0.1).
    """

    def __init__(self, targetPort):
        """
        Start listening and forwarding; the caller L{close}s it.

        @param targetPort: the port of 127.0.0.1 to forward to.
        """
        self._target = ("127.0.0.1", targetPort)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.setblocking(False)
        self.port = self._listener.getsockname()[1]
        self._wakeReader, self._wakeWriter = socket.socketpair()
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ)
        self._selector.register(self._wakeReader, selectors.EVENT_READ)
        self._peers = {}
        self._clients = set()
        self._stalled = set()
        self._held = threading.Event()
        self._lock = threading.Lock()
        self._closing = False
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name="stalling-proxy")
        self._thread.start()

    def stall(self):
        """
        Stop forwarding the connections open now, both ways.
        """
        with self._lock:
            self._stalled.update(self._clients)
            self._held.clear()

    def retarget(self, port):
        """
        Forward the connections made from now on to another port (as a
        server replaced by another at the same address).

        @param port: the port of 127.0.0.1 to forward to.
        """
        self._target = ("127.0.0.1", port)

    def cut(self):
        """
        End the connections open now, as a network that resets them: both
        of their ends see them closed.
        """
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            try:
                client.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def waitForHeld(self):
        """
        Wait until a stalled connection's client sent something (its
        request, left unanswered).

        @return: whether it did within L{WAIT} seconds.
        """
        return self._held.wait(WAIT)

    def close(self):
        """
        Close every connection and the listener, and end the thread: a
        client waiting on a stalled connection sees it end.
        """
        self._closing = True
        self._wakeWriter.send(b"x")
        self._thread.join(WAIT)
        for each in (self._listener, self._wakeReader, self._wakeWriter,
                     *self._peers):
            each.close()
        self._selector.close()

    def _run(self):
        """
        Forward until L{close}.
        """
        while not self._closing:
            for key, _ in self._selector.select():
                if key.fileobj is self._listener:
                    self._accept()
                elif key.fileobj is not self._wakeReader:
                    self._forward(key.fileobj)

    def _accept(self):
        """
        Take a new connection, and connect it to the target.
        """
        try:
            client, _ = self._listener.accept()
        except BlockingIOError:
            return
        server = socket.create_connection(self._target, timeout=WAIT)
        for each in (client, server):
            each.setblocking(True)
            self._selector.register(each, selectors.EVENT_READ)
        self._peers[client], self._peers[server] = server, client
        with self._lock:
            self._clients.add(client)

    def _forward(self, source):
        """
        Pass on what C{source} sent (nowhere if its connection is
        stalled); close both ends when one closes.

        @param source: a socket that has something to read.
        """
        peer = self._peers.get(source)
        if peer is None:
            return
        try:
            data = source.recv(65536)
        except OSError:
            data = b""
        if not data:
            self._drop(source, peer)
            return
        with self._lock:
            stalled = source in self._stalled or peer in self._stalled
            if stalled and source in self._clients:
                self._held.set()
        if stalled:
            return
        try:
            peer.sendall(data)
        except OSError:
            self._drop(source, peer)

    def _drop(self, *ends):
        """
        Close the two ends of a connection.

        @param ends: its sockets.
        """
        for each in ends:
            self._selector.unregister(each)
            self._peers.pop(each, None)
            with self._lock:
                self._clients.discard(each)
                self._stalled.discard(each)
            each.close()
