"""
Many FTP sessions driven from one thread with C{epoll} and generators:
cheaper per file than asyncio streams, so that with two cores the client
takes as little as possible from the server under test.

A session is a generator that yields C{(fd, events)} when it must wait;
L{run} resumes it when the descriptor is ready.
"""

import errno
import select
import socket

from bench.client import ReplyError, _epsvPort

READ = select.EPOLLIN
WRITE = select.EPOLLOUT


class Session:
    """
    One control connection, non-blocking.

    @ivar sock: the control socket.
    """

    def __init__(self):
        """
        Not connected yet: see L{connect}.
        """
        self.sock = None
        self._buffer = b""

    def connect(self, port, user, password):
        """
        Connect and log in, with binary type set (a generator).

        @param port: the server's port on 127.0.0.1.
        @param user: the user name.
        @param password: the password.
        """
        self.sock = yield from connectTo(port)
        yield from self.expect(220)
        reply = yield from self.command("USER " + user, 331, 230)
        if reply.startswith(b"331"):
            yield from self.command("PASS " + password, 230)
        yield from self.command("TYPE I", 200)

    def expect(self, *codes):
        """
        Read one reply (a generator).

        @param codes: the acceptable reply codes.
        @return: the reply's last line.
        @raise ReplyError: for any other code.
        """
        while True:
            end = self._buffer.find(b"\r\n")
            if end < 0:
                data = yield from receive(self.sock)
                if not data:
                    raise ReplyError("connection closed")
                self._buffer += data
                continue
            line = self._buffer[:end]
            self._buffer = self._buffer[end + 2:]
            if line[3:4] == b" " and line[:3].isdigit():
                if int(line[:3]) not in codes:
                    raise ReplyError(line.decode("utf-8", "replace"))
                return line

    def command(self, line, *codes):
        """
        Send a command and read its reply (a generator).

        @param line: the command, without CRLF.
        @param codes: the acceptable reply codes.
        @return: the reply's last line.
        """
        self.sock.send(line.encode("utf-8") + b"\r\n")
        return (yield from self.expect(*codes))

    def retr(self, path):
        """
        Download a file into memory (a generator).

        @param path: the file's path on the server.
        @return: its content, C{bytes}.
        """
        return (yield from self.download("RETR " + path))

    def download(self, line):
        """
        Run a command whose data comes down a passive connection, such as
        C{RETR} or C{LIST} (a generator).

        @param line: the command, without CRLF.
        @return: the bytes received.
        """
        reply = yield from self.command("EPSV", 229)
        data = yield from connectTo(_epsvPort(reply.decode("ascii")))
        try:
            self.sock.send(line.encode("utf-8") + b"\r\n")
            chunks = []
            while chunk := (yield from receive(data)):
                chunks.append(chunk)
        finally:
            data.close()
        # The 150 may come before or after the data; both replies are read
        # here, in order.
        yield from self.expect(150, 125)
        yield from self.expect(226, 250)
        return b"".join(chunks)

    def stor(self, path, content):
        """
        Upload bytes (a generator).

        @param path: where on the server.
        @param content: the bytes.
        """
        reply = yield from self.command("EPSV", 229)
        data = yield from connectTo(_epsvPort(reply.decode("ascii")))
        try:
            self.sock.send(b"STOR " + path.encode("utf-8") + b"\r\n")
            view = memoryview(content)
            while view:
                try:
                    view = view[data.send(view):]
                except BlockingIOError:
                    yield data.fileno(), WRITE
        finally:
            data.close()
        yield from self.expect(150, 125)
        yield from self.expect(226, 250)

    def quit(self):
        """
        Say C{QUIT}, wait for the answer and close (a generator).
        """
        yield from self.command("QUIT", 221)
        self.close()

    def close(self):
        """
        Close the control connection without a word.
        """
        if self.sock is not None:
            self.sock.close()


def connectTo(port):
    """
    Open a non-blocking TCP connection to 127.0.0.1 (a generator).

    @param port: the port.
    @return: the connected socket.
    """
    sock = socket.socket()
    sock.setblocking(False)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    error = sock.connect_ex(("127.0.0.1", port))
    if error == errno.EINPROGRESS:
        yield sock.fileno(), WRITE
        error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if error:
        sock.close()
        raise ConnectionError(error, errno.errorcode.get(error, "?"))
    return sock


def receive(sock):
    """
    Receive what is there, waiting if nothing is (a generator).

    @param sock: a non-blocking socket.
    @return: the bytes, empty at end of stream.
    """
    while True:
        try:
            return sock.recv(262144)
        except BlockingIOError:
            yield sock.fileno(), READ


def run(tasks, timeout=60):
    """
    Run generators to completion, concurrently.

    @param tasks: generators yielding C{(fd, events)}.
    @param timeout: seconds without any progress before giving up.
    @return: their return values, in order.
    @raise TimeoutError: when nothing happened for C{timeout} seconds.
    """
    poller = select.epoll()
    waiting = {}
    results = [None] * len(tasks)

    def step(index, task):
        try:
            fd, events = task.send(None)
        except StopIteration as stop:
            results[index] = stop.value
            return
        waiting[fd] = (index, task)
        poller.register(fd, events | select.EPOLLONESHOT)

    try:
        for index, task in enumerate(tasks):
            step(index, task)
        while waiting:
            ready = poller.poll(timeout)
            if not ready:
                raise TimeoutError(f"{len(waiting)} sessions stalled")
            for fd, _ in ready:
                index, task = waiting.pop(fd)
                poller.unregister(fd)
                step(index, task)
    finally:
        poller.close()
        for _, task in waiting.values():
            task.close()
    return results
