"""
A churn of broken sessions against a real server process, alone and
under C{--workers 2}: logins failed or cut, TLS handshakes cut or
garbled, passive listeners never connected, transfers cut, aborted or
never connected, a C{REST} past the end, refused uploads, sessions timed
out. Once the server is idle again, each of its processes holds the
descriptors and threads it held before (a long-running server meets
these by the million).

Descriptors are read from C{/proc}: pipes and event descriptors are left
out (the splice mover keeps a bounded pool of pipes), and so are passive
listeners kept for the next session (L{ftpkit.data.listenerpool}, closed
after a minute), which are only bounded: no more than the sessions that
were open at once.
"""

import os
import random
import re
import socket
import threading
import time
from collections import Counter

from twisted.trial import unittest

from ftpkit.shells.diskthreads import _LANE_SIZES
from tests.resets import hardClose
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess, childrenOf
from tests.tlssupport import clientContext, clientHello, makeCertificate

THREADS = 8
"""Sessions open at once."""

BIG = 1 << 20


class _Session:
    """
    A blocking control connection from its own loopback address (each
    client its own, so that failed logins from one do not slow the others
    down: L{ftpkit.control.loginfailures}).
    """

    def __init__(self, port, number):
        self.source = "127.%d.%d.%d" % (1 + number % 200, number // 200 % 250,
                                        1 + number % 250)
        self.sock = socket.create_connection(
            ("127.0.0.1", port), timeout=20, source_address=(self.source, 0))
        self.buffer = b""

    def reply(self):
        """
        @return: one whole reply; C{b""} when the server closed.
        """
        lines = [self._line()]
        if re.match(rb"^\d{3}-", lines[0]):
            while lines[-1] and not lines[-1].startswith(lines[0][:3] + b" "):
                lines.append(self._line())
        return b"\n".join(lines)

    def _line(self):
        """
        @return: the next line; C{b""} when the server closed.
        """
        while b"\n" not in self.buffer:
            data = self.sock.recv(4096)
            if not data:
                return b""
            self.buffer += data
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line

    def command(self, line):
        """
        @return: the reply to C{line}.
        """
        self.sock.sendall(line.encode("ascii") + b"\r\n")
        return self.reply()

    def login(self, user="u", password="p", secure=False):
        """
        Read the greeting, then log in.

        @param secure: protect the session first (L{secure}): after
            C{AUTH TLS} the user logs in again (RFC 2228).
        @return: the reply to C{PASS}.
        """
        self.reply()
        if secure:
            self.secure()
        self.command("USER " + user)
        return self.command("PASS " + password)

    def secure(self):
        """
        C{AUTH TLS}, then C{PBSZ 0} and C{PROT P}.
        """
        self.command("AUTH TLS")
        self.sock = clientContext().wrap_socket(self.sock)
        self.command("PBSZ 0")
        self.command("PROT P")

    def passive(self):
        """
        @return: the port of an C{EPSV} reply.
        """
        reply = self.command("EPSV")
        return int(re.search(rb"\|\|\|(\d+)\|", reply).group(1))

    def data(self, port):
        """
        @return: a data connection to C{port}, from this session's address.
        """
        return socket.create_connection(("127.0.0.1", port), timeout=20,
                                        source_address=(self.source, 0))


def _cutGreeting(session, rng):
    hardClose(session.sock)


def _cutLogin(session, rng):
    session.reply()
    session.sock.sendall(rng.choice([b"USER u\r\nPA", b"USE"]))
    hardClose(session.sock)


def _failedLogin(session, rng):
    session.login(password="wrong")
    session.sock.close()


def _cutHandshake(session, rng):
    session.reply()
    session.command("AUTH TLS")
    hello = clientHello()
    session.sock.sendall(hello[:rng.randint(0, len(hello) - 1)])
    hardClose(session.sock)


def _garbledHandshake(session, rng):
    session.reply()
    session.command("AUTH TLS")
    session.sock.sendall(b"GET / HTTP/1.1\r\n\r\n" + rng.randbytes(100))
    session.reply()
    session.sock.close()


def _unconnectedPassive(session, rng):
    session.login(secure=rng.random() < 0.5)
    for _ in range(3):
        session.passive()
    if rng.random() < 0.5:
        session.command("QUIT")
    hardClose(session.sock)


def _cutTransfer(session, rng):
    protected = rng.random() < 0.5
    session.login(secure=protected)
    session.command("TYPE I")
    port = session.passive()
    verb = rng.choice(["RETR big.bin", "STOR up%d.bin" % rng.randint(0, 9),
                       "LIST", "MLSD"])
    data = session.data(port)
    session.sock.sendall(verb.encode("ascii") + b"\r\n")
    if protected:
        try:
            data = clientContext().wrap_socket(data)
        except OSError:
            pass
    session.reply()
    try:
        if verb.startswith("STOR"):
            data.sendall(rng.randbytes(rng.randint(1, 1 << 18)))
        else:
            data.recv(rng.randint(1, 1 << 14))
    except OSError:
        pass
    how = rng.choice(["ABOR", "QUIT", "reset"])
    if how != "reset":
        session.sock.sendall(how.encode("ascii") + b"\r\n")
    hardClose(data)
    hardClose(session.sock)


def _neverConnected(session, rng):
    session.login()
    session.passive()
    verb = rng.choice(["RETR big.bin", "LIST", "STOR x.bin"])
    session.sock.sendall(verb.encode("ascii") + b"\r\nABOR\r\n")
    session.reply()
    session.reply()
    session.sock.close()


def _pastTheEnd(session, rng):
    session.login()
    port = session.passive()
    session.command("REST %d" % (BIG + 1))
    data = session.data(port)
    session.command("RETR big.bin")
    data.close()
    session.command("QUIT")
    session.sock.close()


def _refusedUpload(session, rng):
    session.login("anonymous", "guest")
    port = session.passive()
    data = session.data(port)
    session.command("STOR anonymous.bin")
    data.close()
    hardClose(session.sock)


def _timedOut(session, rng):
    session.login()
    session.passive()
    session.reply()
    session.sock.close()


_SCENARIOS = [
    _cutGreeting, _cutLogin, _failedLogin, _cutHandshake, _garbledHandshake,
    _unconnectedPassive, _cutTransfer, _cutTransfer, _neverConnected,
    _pastTheEnd, _refusedUpload, _timedOut,
]


def churn(port, sessions, seed, scenarios=_SCENARIOS):
    """
    Run C{sessions} sessions, each a scenario in turn, C{THREADS} at once.

    @return: the scenarios that raised, with their exceptions.
    """
    numbers = iter(range(sessions))
    lock = threading.Lock()
    errors = []

    def work():
        rng = random.Random(seed)
        while True:
            with lock:
                number = next(numbers, None)
            if number is None:
                return
            scenario = scenarios[number % len(scenarios)]
            session = None
            try:
                session = _Session(port, seed * sessions + number)
                scenario(session, rng)
            except OSError:
                # The server may close first; what it holds is checked.
                pass
            except Exception as e:
                errors.append((scenario.__name__, e))
            finally:
                if session is not None:
                    session.sock.close()

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _tcpStates():
    """
    @return: the state (as C{/proc/net/tcp} writes it: C{"0A"} is
        listening) of each TCP socket of the machine, by inode.
    """
    states = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                states[fields[9]] = fields[3]
    return states


def holdings(pid):
    """
    @param pid: a process id.
    @return: what the process holds: C{"connections"} (TCP sockets not
        listening), C{"listeners"}, C{"sockets"} (any other), C{"null"}
        (descriptors of C{/dev/null}), C{"mounts"} (of its mount table),
        C{"files"} (any other) and C{"threads"}.
    """
    states = _tcpStates()
    held = Counter()
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{name}")
        except OSError:
            continue
        if target.startswith("socket:["):
            state = states.get(target[8:-1])
            held["sockets" if state is None else
                 "listeners" if state == "0A" else "connections"] += 1
        elif target == os.devnull:
            held["null"] += 1
        elif target == f"/proc/{pid}/mountinfo":
            held["mounts"] += 1
        elif not target.startswith(("pipe:", "anon_inode:")):
            held["files"] += 1
    held["threads"] = len(os.listdir(f"/proc/{pid}/task"))
    return held


class ChurnTests(unittest.TestCase):
    """
    Broken sessions by the hundred, then an idle server.
    """

    timeout = 120

    def setUp(self):
        if not os.path.isdir("/proc/self/fd"):
            raise unittest.SkipTest("needs /proc to count descriptors")
        self.root = scratchDirectory(self)
        with open(os.path.join(self.root, "big.bin"), "wb") as f:
            f.write(os.urandom(BIG))
        self.certificate = makeCertificate(scratchDirectory(self))[2]

    def processes(self, server):
        """
        @return: the server's process ids (the acceptor's, then its
            workers').
        """
        return [server.process.pid, *childrenOf(server.process.pid)]

    def idle(self, server):
        """
        Wait until no process of the server holds a TCP connection.

        @return: what each holds then (L{holdings}).
        """
        def settled():
            held = {pid: holdings(pid) for pid in self.processes(server)}
            if any(each["connections"] for each in held.values()):
                return None
            return held

        return server.waitFor(settled, "the sessions to end")

    def releasedTo(self, server, before):
        """
        Wait (a while) until each process of the server holds no more
        sockets and files than in C{before}: a file may be closed by a
        disk thread after its session's connection is gone.

        @return: what each holds then, or at the end of the wait.
        """
        deadline = time.monotonic() + 30
        while True:
            after = self.idle(server)
            if time.monotonic() > deadline or all(
                    after.get(pid, {}).get(what, 0) <= held[what]
                    for pid, held in before.items()
                    for what in ("sockets", "files")):
                return after
            time.sleep(0.1)

    def assertReleased(self, workers):
        """
        A round of churn, then an idle server: each process holds what it
        held after a first round (which made what a server keeps for
        good: disk threads, a pool of pipes, its spare descriptors).
        """
        options = [
            "--root", self.root, "--auth", "memory:u:p", "--auth",
            "anonymous", "--tls-cert", self.certificate,
            "--idle-timeout", "1", "--max-connections-per-ip", "500"]
        if workers:
            options += ["--workers", str(workers)]
        server = ServerProcess(self, options)
        server.waitForGreeting()
        self.assertEqual(churn(server.port, 60, 1), [])
        before = self.idle(server)
        self.assertEqual(len(before), 1 + workers)
        self.assertEqual(churn(server.port, 240, 2), [])
        after = self.releasedTo(server, before)
        self.assertEqual(after.keys(), before.keys())
        for pid in before:
            for what in ("sockets", "files"):
                self.assertEqual((pid, what, after[pid][what]),
                                 (pid, what, before[pid][what]),
                                 (before, after))
            # A process opens /dev/null once, when it first closes a
            # socket the reactor watched (L{ftpkit.data.descriptors}),
            # which the first round may not have made it do.
            self.assertLessEqual(after[pid]["null"], before[pid]["null"] + 1,
                                 (before, after))
            # And its mount table once, at its first short call of an
            # upload (L{ftpkit.shells.shortcalls.MountChanges}).
            self.assertLessEqual(after[pid]["mounts"], 1, (before, after))
            self.assertLessEqual(after[pid]["listeners"],
                                 before[pid]["listeners"] + THREADS)
            # Disk threads are started when needed, up to their lanes'
            # sizes, and kept.
            self.assertLessEqual(after[pid]["threads"], max(
                before[pid]["threads"], 1 + sum(_LANE_SIZES.values())))

    def test_oneProcess(self):
        """
        A server in one process.
        """
        self.assertReleased(0)

    def test_workers(self):
        """
        A server under C{--workers 2}: the acceptor and each worker.
        """
        self.assertReleased(2)
