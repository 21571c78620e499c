"""
L{StallingProxy}: a TCP forwarder on loopback, in a thread of its own,
whose connections can stop being forwarded (L{StallingProxy.stall}), as
a server stopped with C{SIGSTOP} stops answering: what the client sends
is still taken (its writes succeed) but goes nowhere, and nothing comes
back. Connections made after the stall are forwarded, as the listening
process of a server whose session process is stopped still accepts
them. Its connections can also stop being read once they sent enough
(L{StallingProxy.deafenPast}), as a network that drops an upload's
packets. For the tests of a store that stops answering
(L{tests.integration.test_sftpdeadline},
L{tests.integration.test_s3deadline}).
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

    def __init__(self, targetPort, receiveBuffer=None):
        """
        Start listening and forwarding; the caller L{close}s it.

        @param targetPort: the port of 127.0.0.1 to forward to.
        @param receiveBuffer: the bytes the system may hold of what a
            client sent and the proxy did not read yet (C{SO_RCVBUF}), or
            C{None} for the system's, which grows to megabytes: a small
            one stops a client's writes soon after L{deafenPast}.
        """
        self._target = ("127.0.0.1", targetPort)
        self._listener = socket.socket()
        if receiveBuffer is not None:
            # Set before listening: the accepted connections inherit it.
            self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF,
                                      receiveBuffer)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen()
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
        self._deafPast = None
        self._heard = {}
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

    def deafenPast(self, count):
        """
        From now on, stop reading each client connection, open or new,
        once it has sent more than C{count} bytes since this call (they
        are forwarded): a large request (an upload's body) stops midway,
        its client's writes held once the system's buffers are full, as
        on a network that drops its packets; smaller ones are answered.

        @param count: the bytes each connection may still send.
        """
        with self._lock:
            self._heard.clear()
            self._deafPast = count

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
        request, left unanswered), or a client stopped being read
        (L{deafenPast}).

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
        try:
            server = socket.create_connection(self._target, timeout=WAIT)
        except OSError:
            # Nothing listens there (a server down): the client's
            # connection ends at once.
            client.close()
            return
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
            deaf = self._deafPast is not None and source in self._clients
            if deaf:
                self._heard[source] = self._heard.get(source, 0) + len(data)
                deaf = self._heard[source] > self._deafPast
        if stalled:
            return
        try:
            peer.sendall(data)
        except OSError:
            self._drop(source, peer)
            return
        if deaf:
            # Kept open, never read again (closed with the proxy).
            self._selector.unregister(source)
            self._held.set()

    def _drop(self, *ends):
        """
        Close the two ends of a connection.

        @param ends: its sockets.
        """
        for each in ends:
            try:
                self._selector.unregister(each)
            except KeyError:
                pass  # a client no longer read (L{deafenPast})
            self._peers.pop(each, None)
            with self._lock:
                self._clients.discard(each)
                self._stalled.discard(each)
                self._heard.pop(each, None)
            each.close()
