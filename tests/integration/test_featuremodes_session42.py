"""
Session 42's features in every mode a deployment runs
(L{tests.featuremodes}: C{twistd -n ftpkit} in one process on
C{127.0.0.1}, C{python -m ftpkit --workers 2} on C{::1}), on sessions
over explicit (C{AUTH TLS}) and implicit (C{ssl:}) FTPS and in clear,
with data connections of each kind the address family has (C{PASV},
C{EPSV}, C{PORT}, C{EPRT} on IPv4; C{EPSV}, C{EPRT} on IPv6):

  - C{LIST -t} and C{-r} ordered, from each process's listings' cache,
    and a file's new time (C{MFMT} in one session, which may be another
    worker's) seen by every other session's next C{LIST -t};
  - C{FEAT} without C{MFMT}/C{MFF} for a user who may change nothing
    (C{--read-only});
  - C{HOST} of a name holding a line feed refused (C{501});
  - C{/sessions} read by a local client (its user asked of the kernel,
    L{ftpkit.ops.sockdiag}) listing the sessions of every worker;
  - C{SIZE} in C{TYPE A} refused whatever the name (C{550});
  - the login deadline (L{ftpkit.control.loginwatch.LoginWatch}) in
    every worker;
  - C{ABOR} after a download's last byte over TLS, the client's
    close_notify sent first: C{226};
  - C{SIGHUP} (reload) and C{SIGTERM} (drain) while an empty download,
    an empty upload and the listing of an empty directory wait for their
    TLS handshake: each ends with C{226}, the upload stored, the server
    reloaded (then serving on) or gone once they ended.
"""

import json
import os
import re
import signal
import ssl
import urllib.request

from tests.featuremodes import (
    WAIT,
    ControlClient,
    ModeServerMixin,
    activeListener,
    modes,
)
from tests.integration.test_featuremodes_session41 import (
    Session41Tests,
    readExactly,
)
from tests.tlssupport import clientContext

ORDER = ["f%02d" % (number,) for number in range(10)]
"""The files of C{order}, enough of them for the listings' cache (it
keeps no directory of fewer than 8 entries)."""

ORDER_TIMES = [1e9 + 1000 * ((number * 7) % 10) for number in range(10)]
"""Their modification times: by time, in neither order of their names."""

SIZE = 256 * 1024 + 5
"""The bytes of the file downloaded and aborted after its last byte."""


def byTime():
    """
    @return: the names of L{ORDER}, newest first, as set up.
    """
    return [name for _, name in sorted(zip(ORDER_TIMES, ORDER),
                                       reverse=True)]


class Session42Tests(ModeServerMixin):
    """
    Session 42's listings, commands, deadlines and signals on each kind
    of session and data connection.
    """

    openData = Session41Tests.openData
    listing = Session41Tests.listing
    dataKinds = Session41Tests.dataKinds
    clearClient = Session41Tests.clearClient
    protect = Session41Tests.protect
    hostName = Session41Tests.hostName

    def setUp(self):
        self.makeRoot()
        order = os.path.join(self.root, "order")
        os.mkdir(order)
        for name, when in zip(ORDER, ORDER_TIMES):
            path = os.path.join(order, name)
            with open(path, "wb") as f:
                f.write(name.encode())
            os.utime(path, (when, when))
        os.mkdir(os.path.join(self.root, "empty"))
        open(os.path.join(self.root, "empty.bin"), "wb").close()
        with open(os.path.join(self.root, "big.bin"), "wb") as f:
            f.write(b"b" * SIZE)

    def sessions(self, count=2):
        """
        Open C{count} sessions of each kind (explicit, implicit, clear),
        logged in, C{PROT P} on the TLS ones: under C{--workers 2} the
        acceptor hands them to both workers.

        @return: C{(name, client, protected)} triples.
        """
        opened = []
        for number in range(count):
            for implicit in (False, True):
                client = self.client(implicit)
                self.protect(client)
                opened.append(("%s %d" % ("implicit" if implicit
                                          else "explicit", number),
                               client, True))
            opened.append(("clear %d" % (number,), self.clearClient(),
                           False))
        return opened

    def assertBothWorkers(self):
        """
        Under C{--workers 2}, wait until both workers logged a login
        (the acceptor writes their lines as they come).
        """
        if self.workers > 1:
            self.server.waitFor(
                lambda: len(self.workersSaying(" login from ")) == 2,
                "a login in each worker")

    def workersSaying(self, text):
        """
        @param text: what a line of the log holds.
        @return: the process ids of the workers that logged it (the
            acceptor writes one line for several workers that logged the
            same: C{[workers 1,2 ...]}).
        """
        pids = set()
        for line in self.server.log().splitlines():
            if text in line:
                found = re.search(r"\[workers? ([\d,]+) ", line)
                if found:
                    pids.update(found.group(1).split(","))
        return pids

    def test_listingOrderAcrossWorkers(self):
        """
        C{LIST -t} and C{LIST -r} are ordered, listed again from the
        cache; a file made the newest with C{MFMT} in one session is
        first in every session's next C{LIST -t}, in whatever worker.
        """
        self.startServer()
        kinds = self.dataKinds()
        turn = 0
        sessions = self.sessions()
        self.assertBothWorkers()
        expected = byTime()
        for name, client, protected in sessions:
            for command, names in [(b"LIST -t order", expected),
                                   (b"LIST -r order", ORDER[::-1]),
                                   (b"LIST -t order", expected)]:
                kind = kinds[turn % len(kinds)]
                turn += 1
                self.assertEqual(
                    self.listing(client, kind, command, protected), names,
                    (name, kind, command))
        for number, (name, client, _) in enumerate(sessions):
            newest = ORDER[(number * 3) % len(ORDER)]
            stamp = "203001020304%02d" % (number,)
            self.assertEqual(
                client.command(("MFMT %s order/%s" % (stamp, newest))
                               .encode())[:3], b"213", name)
            expected = [newest] + [each for each in expected
                                   if each != newest]
            for other, listed, protected in sessions:
                kind = kinds[turn % len(kinds)]
                turn += 1
                self.assertEqual(
                    self.listing(listed, kind, b"LIST -t order",
                                 protected), expected, (name, other, kind))
        self.assertNoTraceback()

    def test_commands(self):
        """
        On every kind of session: C{HOST} of a name holding a line feed
        gets C{501} (and a good one is served after it, before login);
        C{SIZE} in C{TYPE A} gets the one refusal for a file, a missing
        name and a directory, in C{TYPE I} their own answers; a local
        client's C{/sessions} lists the sessions of every worker.
        """
        self.startServer(metrics=True)
        refused = b"550 SIZE not allowed in ASCII mode; use TYPE I"
        for implicit in (None, False, True):
            if implicit is None:
                client = ControlClient(self.host, self.server.port)
            else:
                client = ControlClient(
                    self.host,
                    self.implicitPort if implicit else self.server.port,
                    implicit)
                if not implicit:
                    self.assertEqual(client.startTLS()[:3], b"234")
            self.addCleanup(client.close)
            client.send(b"NOOP\r\nHOST ftp\n.example\r\n")
            self.assertEqual([client.reply()[0][:4], client.reply()[0][:4],
                              client.command(b"HOST ftp.example")[:4]],
                             [b"200 ", b"501 ", b"220 "], implicit)
        sessions = self.sessions()
        self.assertBothWorkers()
        for number, (name, client, _) in enumerate(sessions):
            self.assertEqual(
                [client.command(line) for line in [
                    b"SIZE big.bin", b"SIZE nothing", b"SIZE order",
                    b"SIZE order/"]], [refused] * 4, name)
            replies = [client.command(line)[:3] for line in [
                b"TYPE I", b"SIZE big.bin", b"SIZE nothing", b"SIZE order",
                b"CLNT session-%d" % (number,)]]
            self.assertEqual(replies, [b"200", b"213", b"550", b"550",
                                       b"200"], name)
        wanted = {"session-%d" % (number,) for number in range(len(sessions))}

        def listed():
            with urllib.request.urlopen(
                    self.server.metricsURL("/sessions"),
                    timeout=WAIT) as response:
                records = json.loads(response.read())
            clients = {record["client"] for record in records}
            return clients if wanted <= clients else None

        # Under --workers the acceptor lists each worker's sessions from
        # its last snapshot: wait for one that has them all.
        self.server.waitFor(listed, "every session in /sessions")
        self.assertNoTraceback()

    def test_readOnlyFeatures(self):
        """
        Under C{--read-only}, C{FEAT} once logged in names neither
        C{MFMT} nor C{MFF}, in every worker and kind of session; C{MFMT}
        is refused.
        """
        self.startServer("--read-only")
        sessions = self.sessions()
        self.assertBothWorkers()
        for name, client, _ in sessions:
            client.send(b"FEAT\r\n")
            features = [line.strip() for line in client.reply()[1:-1]]
            self.assertIn(b"MDTM", features, name)
            self.assertFalse(
                [feature for feature in features
                 if feature.split()[0] in (b"MFMT", b"MFF")], name)
            self.assertEqual(
                client.command(b"MFMT 20010203040506 big.bin")[:3], b"550",
                name)
        self.assertNoTraceback()

    def test_loginDeadline(self):
        """
        With C{--login-timeout 5}, sessions that do not log in (in clear,
        after C{USER}, and under implicit TLS, whose handshake must end
        within it on a loaded machine too) each get C{421} and are
        closed, whichever worker holds them; the server goes on.
        """
        self.startServer("--login-timeout", "5")
        clients = []
        for _ in range(2):
            clients.append(ControlClient(self.host, self.server.port))
            client = ControlClient(self.host, self.server.port)
            self.assertEqual(client.command(b"USER alice")[:3], b"331")
            clients.append(client)
            clients.append(ControlClient(self.host, self.implicitPort, True))
        for client in clients:
            self.addCleanup(client.close)
        for client in clients:
            self.assertEqual(client.reply()[0][:4], b"421 ")
            self.assertRaises(EOFError, client.reply)
        if self.workers > 1:
            self.server.waitFor(
                lambda: len(self.workersSaying("login timeout for")) == 2,
                "a login timeout in each worker")
        self.assertTrue(self.server.running())
        self.assertNoTraceback()

    def test_abortAfterClientCloseNotify(self):
        """
        Over TLS, each kind of data connection: the client reads a
        download's every byte, sends its close_notify (and waits for the
        server's), then C{ABOR}: C{226}, and C{225} or C{226} for the
        C{ABOR}.
        """
        self.startServer()
        for name, client, protected in self.sessions(1):
            if not protected:
                continue
            self.assertEqual(client.command(b"TYPE I")[:3], b"200")
            for kind in self.dataKinds():
                sock = self.openData(client, kind, b"RETR big.bin", True)
                got = readExactly(sock, SIZE)
                sock.unwrap()
                client.send(b"ABOR\r\n")
                codes = [client.reply()[0][:3], client.reply()[0][:3]]
                sock.close()
                self.assertEqual((len(got), codes[0]), (SIZE, b"226"),
                                 (name, kind))
                self.assertIn(codes[1], [b"225", b"226"], (name, kind))
        self.assertNoTraceback()

    def startEmptyTransfers(self, clients):
        """
        Start an empty download, an empty upload and the listing of an
        empty directory on C{clients} (three protected sessions), each
        data connection's TLS handshake begun (the client's first flight
        sent as soon as the server connected, before its C{150} is read)
        but not finished, so that each transfer runs. Active data
        connections (C{PORT}, C{EPRT}): a passive one has
        L{ftpkit.data.handshakes.HANDSHAKE_TIMEOUT} seconds to finish its
        handshake, which a loaded machine's wait for the signal's log
        lines could outlast.

        @return: C{(client, TLS socket)} pairs.
        """
        active = [kind for kind in self.dataKinds()
                  if kind in ("PORT", "EPRT")]
        started = []
        for number, (client, command) in enumerate(zip(clients, [
                b"RETR empty.bin", b"STOR new.bin", b"LIST empty"])):
            self.assertEqual(client.command(b"TYPE I")[:3], b"200")
            listener, line = activeListener(
                self, self.host, active[number % len(active)])
            self.assertEqual(client.command(line)[:3], b"200")
            client.send(command + b"\r\n")
            sock = listener.accept()[0]
            self.addCleanup(sock.close)
            secure = clientContext().wrap_socket(
                sock, do_handshake_on_connect=False)
            secure.setblocking(False)
            try:
                secure.do_handshake()
            except ssl.SSLWantReadError:
                pass
            secure.setblocking(True)
            secure.settimeout(WAIT)
            self.assertEqual(client.reply()[0][:3], b"150")
            started.append((client, secure))
        return started

    def endEmptyTransfers(self, started):
        """
        Finish what L{startEmptyTransfers} started: the handshakes, then
        read each download and listing to its end, end the upload.

        @return: each transfer's reply code.
        """
        codes = []
        for number, (client, secure) in enumerate(started):
            secure.do_handshake()
            if number == 1:
                secure.unwrap()
            else:
                self.assertEqual(secure.recv(100), b"")
                secure.unwrap()
            secure.close()
            codes.append(client.reply()[0][:3])
        return codes

    def protectedClients(self):
        """
        @return: three protected sessions (explicit, implicit, explicit).
        """
        clients = []
        for implicit in (False, True, False):
            client = self.client(implicit)
            self.protect(client)
            clients.append(client)
        return clients

    def test_reloadDuringEmptyTransfers(self):
        """
        C{SIGHUP} while the empty transfers run: each ends with C{226}
        (the upload stored), every process reloads, and the sessions go
        on.
        """
        self.startServer()
        clients = self.protectedClients()
        started = self.startEmptyTransfers(clients)
        self.server.signal(signal.SIGHUP)
        if self.workers > 1:
            self.server.waitFor(
                lambda: len(self.workersSaying(
                    "reloaded the TLS certificate")) == 2,
                "each worker's reload")
        else:
            self.server.waitForLog("reloaded the TLS certificate")
        self.assertEqual(self.endEmptyTransfers(started), [b"226"] * 3)
        self.assertEqual(os.path.getsize(os.path.join(self.root, "new.bin")),
                         0)
        for client in clients:
            self.assertEqual(client.command(b"NOOP")[:3], b"200")
        self.assertTrue(self.server.running())
        self.assertNoTraceback()

    def test_drainDuringEmptyTransfers(self):
        """
        C{SIGTERM} while the empty transfers run: each ends with C{226},
        then C{421}, the upload stored, and the server exits once they
        ended (by the signal, as documented).
        """
        self.startServer()
        clients = self.protectedClients()
        started = self.startEmptyTransfers(clients)
        self.server.signal(signal.SIGTERM)
        self.assertEqual(self.endEmptyTransfers(started), [b"226"] * 3)
        for client in clients:
            self.assertEqual(client.reply()[0][:4], b"421 ")
        self.assertEqual(os.path.getsize(os.path.join(self.root, "new.bin")),
                         0)
        self.server.waitFor(lambda: not self.server.running(),
                            "the server's exit")
        self.assertEqual(self.server.process.returncode, -signal.SIGTERM)
        self.assertNoTraceback()


modes(Session42Tests, "Session42Modes", globals())
