"""
Passive port theft from the client's own address under C{PROT P}: a
stranger on the same host (or behind the same NAT) connects to the
passive port before the client. The server keeps listening until a
connection completes a valid TLS handshake (one resuming the control
connection's session, with C{tlsRequireSessionReuse}), so the stranger's
garbage, fresh handshake or silence does not end the client's transfer
(L{ftpkit.data.channel.DataChannel}), nor is a session it resumes from
the server's cache taken for the client's own (L{OwnSessionThiefTests}).
No TLS context of the server's renegotiates, as a secure FXP peer asking
for it finds (L{RenegotiationTests}).
"""

import ftplib
import io
import select
import socket
import threading
import time

from OpenSSL import SSL
from twisted.internet import task, threads
from twisted.trial import unittest

from ftpkit.control.tls import NO_RENEGOTIATION, SESSION_CACHE_SIZE
from ftpkit.data import channel
from ftpkit.data.tlsclient import ClientDataTLS
from tests.ftpclient import ftplibLogin
from tests.integration.test_workers_parity import WorkersTestCase
from tests.polling import waitUntil
from tests.scratch import scratchDirectory
from tests.tlssupport import (
    FTPSTestsMixin,
    ReusingFTPTLS,
    clientContext,
    makeCertificate,
)


class _FirstComer(ReusingFTPTLS):
    """
    ftplib resuming the control connection's session, with a stranger
    connecting to each passive port before it does.

    @ivar stranger: called with the passive C{(host, port)}; returns the
        stranger's socket, kept open until the test ends.
    """

    stranger = None

    def __init__(self, *args, **kwargs):
        ReusingFTPTLS.__init__(self, *args, **kwargs)
        self.strangers = []

    def makepasv(self):
        host, port = ReusingFTPTLS.makepasv(self)
        self.strangers.append(self.stranger((host, port)))
        return host, port


class _SlowHandshake(ReusingFTPTLS):
    """
    ftplib on a slower link: after the C{150} reply to its transfer
    command, its connection stays silent for L{roundTrip} more seconds
    before its handshake; a stranger connects without pause meanwhile.

    @ivar flood: called with the passive C{(host, port)} and a
        L{threading.Event}, in a thread started once the client's own
        connection is made; it returns once the event is set.
    """

    roundTrip = 0.2
    flood = None

    def makepasv(self):
        self.passive = ReusingFTPTLS.makepasv(self)
        return self.passive

    def sendcmd(self, cmd):
        if not cmd.startswith("RETR"):
            return ReusingFTPTLS.sendcmd(self, cmd)
        self.stop = threading.Event()
        self.flooder = threading.Thread(target=self.flood,
                                        args=(self.passive, self.stop))
        self.flooder.start()
        reply = ReusingFTPTLS.sendcmd(self, cmd)
        time.sleep(self.roundTrip)
        return reply


def _silentFlood(address, stop):
    """
    Connect to C{address} again and again, sending nothing, until C{stop}
    is set; keep the latest connections open.
    """
    socks = []
    while not stop.is_set():
        try:
            socks.append(socket.create_connection(address, timeout=0.5))
        except OSError:
            continue
        if len(socks) > 32:
            socks.pop(0).close()
    for sock in socks:
        sock.close()


def _garbage(address):
    sock = socket.create_connection(address, timeout=10)
    sock.sendall(b"GET / HTTP/1.0\r\n\r\n" * 20)
    return sock


def _silent(address):
    return socket.create_connection(address, timeout=10)


def _freshHandshake(address):
    """
    A stranger completing a handshake of its own (no session to resume).
    """
    sock = socket.create_connection(address, timeout=10)
    try:
        return clientContext().wrap_socket(sock, server_hostname=address[0])
    except OSError:
        return sock


class SameAddressThiefTests(FTPSTestsMixin, unittest.TestCase):
    """
    A stranger from 127.0.0.1 takes the passive port first; the client's
    download, upload or listing still completes, intact.
    """

    def setUp(self):
        FTPSTestsMixin.setUp(self)
        # Before the fix a silent stranger held the transfer for this long.
        self.serve(tlsRequireSessionReuse=True, dataTimeout=8)

    def login(self, stranger, timeout=20):
        ftp = ftplibLogin(self, self.server.port, timeout=timeout,
                          client=_FirstComer(context=clientContext()),
                          protect=True)
        ftp.stranger = stranger

        def closeStrangers():
            for sock in ftp.strangers:
                for one in sock if isinstance(sock, list) else [sock]:
                    one.close()
        self.addCleanup(closeStrangers)
        return ftp

    async def download(self, stranger, timeout=20):
        """
        Download C{big.bin} with a C{stranger} first on the port.

        @param timeout: the client's socket timeout, in seconds.
        @return: the final reply, the bytes, and the client.
        """
        def run():
            ftp = self.login(stranger, timeout)
            chunks = []
            reply = ftp.retrbinary("RETR big.bin", chunks.append)
            return reply, b"".join(chunks), ftp

        return await self.inThread(run)

    async def assertDownloads(self, stranger):
        reply, data, ftp = await self.download(stranger)
        self.assertEqual(reply[:3], "226")
        self.assertEqual(data, self.payload)
        self.assertEqual(ftp.reused, [True])

    def test_garbage(self):
        """
        A stranger sending garbage before the client connects.
        """
        return self.assertDownloads(_garbage)

    def test_freshHandshake(self):
        """
        A stranger whose handshake does not resume the control session,
        refused under C{tlsRequireSessionReuse}.
        """
        return self.assertDownloads(_freshHandshake)

    def test_silent(self):
        """
        A stranger that connects and sends nothing: the client's
        handshake runs beside it, and its download completes at once.
        """
        return self.assertDownloads(_silent)

    async def test_upload(self):
        """
        An upload behind a garbage stranger.
        """
        def run():
            ftp = self.login(_garbage)
            return ftp.storbinary("STOR up.bin", io.BytesIO(self.payload))

        reply = await self.inThread(run)
        self.assertEqual(reply[:3], "226")
        self.assertEqual(self.readFile("up.bin"), self.payload)

    async def test_listing(self):
        """
        A listing behind a silent stranger.
        """
        def run():
            ftp = self.login(_silent)
            return ftp.nlst()

        self.assertEqual(await self.inThread(run), ["big.bin"])

    async def test_abortWhileWaiting(self):
        """
        C{ABOR} while the transfer waits for a handshake (only a silent
        stranger came): the transfer ends, the session goes on.
        """
        def run():
            ftp = self.login(_silent)
            ftp.sendcmd("TYPE I")
            ftp.makepasv()
            opening = ftp.sendcmd("RETR big.bin")
            ftp.putcmd("ABOR")
            transfer = ftp.getline()
            abort = ftp.getresp()
            return opening, transfer, abort, ftp.sendcmd("NOOP")

        opening, transfer, abort, noop = await self.inThread(run)
        self.assertEqual(opening[:3], "150")
        self.assertEqual(transfer[:1], "4")
        self.assertEqual(abort[:3], "226")
        self.assertEqual(noop[:3], "200")

    def settledAcceptedOn(self, port):
        """
        Count the connections accepted on C{port} (L{_acceptedOn}) in the
        server's reactor, once the calls already due have run: a silent
        candidate made to make way is aborted, and Twisted closes its
        socket a turn later (C{abortConnection}), so a count taken in
        between (from another thread, once C{EVICT_GRACE} has passed)
        also shows it beside the connection that took its place.

        @param port: a local TCP port (IPv4).
        @return: how many; call from a thread, not the reactor's.
        """
        reactor = self.server.reactor
        return threads.blockingCallFromThread(
            reactor, task.deferLater, reactor, 0, _acceptedOn, port)

    async def test_pendingHandshakesCapped(self):
        """
        Silent strangers: at most L{channel.PENDING_HANDSHAKES} are open
        at once (each newer one takes the place of the oldest), and the
        client's connection, after them, completes its download.
        """
        self.patch(channel, "HANDSHAKE_TIMEOUT", 0.5)
        strangers = 2 * channel.PENDING_HANDSHAKES
        accepted = []

        def flood(address):
            socks = [_silent(address) for _ in range(strangers)]
            waitUntil(lambda: _acceptedOn(address[1])
                      >= channel.PENDING_HANDSHAKES)
            # Time to take more, were there no cap.
            time.sleep(0.3)
            accepted.append(self.settledAcceptedOn(address[1]))
            return socks

        reply, data, ftp = await self.download(flood)
        self.assertEqual(accepted, [channel.PENDING_HANDSHAKES])
        self.assertEqual(reply[:3], "226")
        self.assertEqual(data, self.payload)

    async def test_silentStrangersMakeWay(self):
        """
        L{channel.PENDING_HANDSHAKES} silent strangers, and more, hold
        every place before the client connects: the oldest silent one
        makes way for each newer connection, so the client's download
        completes without waiting for their
        L{channel.HANDSHAKE_TIMEOUT} (made longer than the client's own
        timeout here, which it would otherwise hit, or the server's data
        timeout). The client's timeout is half of it, not 5 s: each of
        its reads of a loaded machine's TLS download may take longer.
        """
        self.patch(channel, "HANDSHAKE_TIMEOUT", 60)
        strangers = channel.PENDING_HANDSHAKES + 2

        def flood(address):
            socks = [_silent(address) for _ in range(strangers)]
            waitUntil(lambda: _acceptedOn(address[1])
                      >= channel.PENDING_HANDSHAKES)
            return socks

        reply, data, ftp = await self.download(
            flood, timeout=channel.HANDSHAKE_TIMEOUT / 2)
        self.assertEqual(reply[:3], "226")
        self.assertEqual(data, self.payload)

    async def test_floodWhileClientSilent(self):
        """
        A stranger connecting without pause while the client's connection
        waits, silent, for the C{150} reply and a round trip before its
        handshake: that connection, younger than
        L{ftpkit.data.handshakes.EVICT_GRACE}, is not made to make way
        for theirs, and the download completes, intact.
        """
        def run():
            ftp = ftplibLogin(self, self.server.port, timeout=10,
                              client=_SlowHandshake(context=clientContext()),
                              protect=True)
            ftp.flood = _silentFlood
            chunks = []
            try:
                reply = ftp.retrbinary("RETR big.bin", chunks.append)
            finally:
                ftp.stop.set()
                ftp.flooder.join()
            return reply, b"".join(chunks)

        reply, data = await self.inThread(run)
        self.assertEqual(reply[:3], "226")
        self.assertEqual(data, self.payload)

    async def test_midHandshakeKept(self):
        """
        Strangers that have sent the start of a handshake are not made to
        make way: with L{channel.PENDING_HANDSHAKES} of them under way,
        further connections wait queued, and none is dropped for them.
        """
        self.patch(channel, "HANDSHAKE_TIMEOUT", 60)
        counts = []

        def started(address):
            socks = [_silent(address)
                     for _ in range(channel.PENDING_HANDSHAKES)]
            for sock in socks:
                sock.sendall(b"\x16\x03\x01")
            waitUntil(lambda: _acceptedOn(address[1])
                      >= channel.PENDING_HANDSHAKES)
            late = _silent(address)
            time.sleep(0.3)
            counts.append(_acceptedOn(address[1]))
            counts.append(sum(_open(sock) for sock in socks))
            for sock in socks:
                sock.close()
            return late

        reply, data, ftp = await self.download(started)
        self.assertEqual(counts, [channel.PENDING_HANDSHAKES] * 2)
        self.assertEqual(reply[:3], "226")
        self.assertEqual(data, self.payload)


class WorkersTests(WorkersTestCase):
    """
    The same under C{--workers 2}, with a session in each worker.
    """

    def test_sameAddressThief(self):
        """
        Each stranger in turn before each session's download.
        """
        cert, key, _ = makeCertificate(scratchDirectory(self))
        self.start("--tls-cert", cert, "--tls-key", key,
                   "--tls-require-session-reuse")
        sessions = [ftplibLogin(self, self.server.port, protect=True,
                                client=_FirstComer(context=clientContext()))
                    for _ in range(2)]
        for ftp in sessions:
            self.addCleanup(lambda ftp=ftp: [s.close()
                                             for s in ftp.strangers])
        for stranger in (_garbage, _freshHandshake, _silent):
            for ftp in sessions:
                ftp.stranger = stranger
                self.assertEqual(self.download(ftp), b"served\n")
        self.assertEqual([ftp.reused for ftp in sessions], [[True] * 3] * 2)


def _open(sock):
    """
    @param sock: a connected socket whose peer has sent nothing.
    @return: whether the connection is still up (not reset, not closed).
    """
    sock.setblocking(False)
    try:
        return sock.recv(1) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False


def _acceptedOn(port):
    """
    @param port: a local TCP port (IPv4).
    @return: how many connections to it this host's processes accepted
        (established, with a socket: those still queued have none).
    """
    count = 0
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if (int(local.split(":")[1], 16) == port and state == "01"
                    and inode != "0"):
                count += 1
    return count


def renegotiatingServer(sock, certificate, key):
    """
    Be the TLS server of a data connection the FTP server makes as the
    TLS client, and ask it to renegotiate once.

    @param sock: the connected socket.
    @param certificate: the certificate file to present.
    @param key: its key file.
    @return: C{None} when the renegotiation was made, else the
        L{SSL.Error} that ended it.
    """
    context = SSL.Context(SSL.TLS_METHOD)
    context.set_max_proto_version(SSL.TLS1_2_VERSION)
    context.use_certificate_file(certificate)
    context.use_privatekey_file(key)
    tls = SSL.Connection(context, sock)
    tls.set_accept_state()
    tls.do_handshake()
    tls.send(b"first bytes")
    sock.setblocking(False)
    tls.renegotiate()
    deadline = time.monotonic() + 10
    try:
        try:
            tls.do_handshake()
        except SSL.WantReadError:
            pass
        while tls.renegotiate_pending():
            if time.monotonic() > deadline:
                raise AssertionError("the renegotiation neither made nor "
                                     "refused in 10 s")
            select.select([sock], [], [], 1)
            try:
                tls.recv(65536)
            except SSL.WantReadError:
                pass
    except SSL.Error as e:
        return e
    return None


class RenegotiationTests(FTPSTestsMixin, unittest.TestCase):
    """
    No TLS context of ftpkit's renegotiates: a secure FXP peer asking for
    it gets an alert, not a new handshake.
    """

    def test_contextsRefuse(self):
        """
        A control connection's context (its data connections share it)
        and the TLS client side of secure FXP both refuse renegotiation,
        whatever OpenSSL's default.
        """
        for context in [self.factory.makeContext(),
                        ClientDataTLS().context]:
            self.assertTrue(context.set_options(0) & NO_RENEGOTIATION)

    def test_secureFxpPeer(self):
        """
        After C{SSCN ON}, the TLS server of an upload's data connection
        asks for a renegotiation: refused, and the upload does not
        complete (C{426}).
        """
        self.serve()

        def run():
            ftp = ftplibLogin(self, self.server.port,
                              client=ftplib.FTP_TLS(context=clientContext()),
                              protect=True, binary=True)
            ftp.sendcmd("SSCN ON")
            host, port = ftp.makepasv()
            ftp.putcmd("STOR up.bin")
            with socket.create_connection((host, port)) as sock:
                outcome = renegotiatingServer(sock, self.cert, self.key)
                opening = ftp.getresp()
            try:
                final = ftp.getresp()
            except ftplib.Error as e:
                final = str(e)
            ftp.close()
            return outcome, opening, final

        def check(result):
            outcome, opening, final = result
            self.assertEqual(opening[:3], "150")
            self.assertIsInstance(outcome, SSL.Error)
            self.assertIn("no renegotiation", str(outcome))
            self.assertEqual(final[:3], "426")
        return threads.deferToThread(run).addCallback(check)


def _handshake(tls, sock, timeout=10):
    """
    Make a TLS handshake on a socket that has a timeout (non-blocking to
    OpenSSL).

    @param tls: the L{SSL.Connection} on C{sock}.
    @param sock: the socket.
    @param timeout: the most seconds to wait.
    @return: whether it completed (C{False}: it failed).
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            tls.do_handshake()
        except SSL.WantReadError:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no handshake in %s s" % timeout)
            select.select([sock], [], [], left)
        except SSL.Error:
            return False
        else:
            return True


def _strangerHandshakes(address, sessions):
    """
    A stranger of the client's address on its passive port: TLS 1.2
    handshakes, each on a connection of its own, refused under
    C{tlsRequireSessionReuse}.

    @param address: the passive C{(host, port)}.
    @param sessions: for each handshake, whether it resumes the session
        of the one before it (the first makes a session of its own).
    @return: the stranger's sockets.
    """
    context = SSL.Context(SSL.TLS_METHOD)
    context.set_max_proto_version(SSL.TLS1_2_VERSION)
    sockets = []
    session = None
    for resume in sessions:
        sock = socket.create_connection(address, timeout=10)
        sockets.append(sock)
        tls = SSL.Connection(context, sock)
        tls.set_connect_state()
        if resume and session is not None:
            tls.set_session(session)
        _handshake(tls, sock)
        session = tls.get_session()
        if len(sockets) > 2:
            sockets.pop(0).close()
    return sockets


class _StrangerFirst(ReusingFTPTLS):
    """
    ftplib resuming the control connection's session, with a stranger's
    handshakes (L{_strangerHandshakes}) made on each passive port before
    it connects.

    @ivar sessions: what the stranger's handshakes resume (see
        L{_strangerHandshakes}).
    @ivar strangers: the stranger's sockets left open on each port.
    """

    sessions = (False, True)

    def __init__(self, *args, **kwargs):
        ReusingFTPTLS.__init__(self, *args, **kwargs)
        self.strangers = []

    def makepasv(self):
        host, port = ReusingFTPTLS.makepasv(self)
        self.strangers.append(_strangerHandshakes((host, port),
                                                  self.sessions))
        return host, port


class OwnSessionThiefTests(FTPSTestsMixin, unittest.TestCase):
    """
    Under C{tlsRequireSessionReuse} a data connection must resume the
    control connection's own session, not any session the context caches:
    the stranger's second connection, resuming the session of its refused
    first, took the download, and the client's connection was reset.
    """

    async def download(self, clear=False, sessions=(False, True)):
        """
        Download C{big.bin} with a stranger's handshakes on the passive
        port first, and check it arrived whole, on a resumed session.

        @param clear: send C{CCC} first (the data connections then resume
            the session the control connection had).
        @param sessions: the stranger's handshakes (L{_strangerHandshakes}).
        """
        self.serve(tlsRequireSessionReuse=True, tlsAllowCCC=clear)

        def run():
            client = _StrangerFirst(context=clientContext())
            client.sessions = sessions
            ftp = ftplibLogin(self, self.server.port, timeout=20,
                              client=client, protect=True)
            self.addCleanup(lambda: [sock.close() for sockets in
                                     ftp.strangers for sock in sockets])
            if clear:
                ftp.pinned = ftp.sock.session
                ftp.ccc()
            chunks = []
            reply = ftp.retrbinary("RETR big.bin", chunks.append)
            return reply, b"".join(chunks), ftp

        reply, data, ftp = await self.inThread(run)
        self.assertEqual(reply[:3], "226")
        self.assertEqual(data, self.payload)
        self.assertEqual(ftp.reused, [True])

    def test_strangerResumingItsOwn(self):
        """
        The stranger is refused; the client is served.
        """
        return self.download()

    def test_afterCCC(self):
        """
        After C{CCC} too.
        """
        return self.download(clear=True)

    def test_cacheFilledByStranger(self):
        """
        A stranger's refused handshakes, more than the context's cache
        holds: its sessions leave the cache as they are refused, and the
        control connection's stays (it was pushed out, and the client's
        data connection, which could no longer resume it, was refused).
        """
        return self.download(sessions=[False] * (SESSION_CACHE_SIZE + 16))
