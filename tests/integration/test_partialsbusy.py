"""
Two sessions of one user uploading one file of the disk realm at once,
over real sockets (ftplib): while one session's upload will replace the
file (a C{STOR} still running, as for a client that lost its connection
in a network partition and reconnected before the server noticed, as
lftp does after C{net:timeout}; a resume of the cut upload), the other's
resume (C{SIZE}, then C{REST} + C{STOR}, or C{APPE} as curl's C{-C -}
sends) gets C{450}, and the file ends whole.

It got C{SIZE} = the old file's size, and its resume wrote the old file
in place from there, told C{226}: the old file's start and the new
file's rest. The first upload, cut after that, kept nothing (its target
had changed), leaving that mixed file.
"""

import io
import os

from twisted.internet import threads
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.ftpclient import ftplibLogin, replyCode
from tests.resets import hardClose
from tests.scratch import readLocal, scratchDirectory, writeLocal
from tests.serverprocess import ServerProcess, childrenOf

OLD = b"old bytes " * 3000
"""What C{f} holds before the uploads."""

NEW = os.urandom(200000)
"""What the uploads of C{f} send."""

HALF = len(NEW) // 2
"""Where the first upload is cut, or waits."""



def resumeAsClients(ftp):
    """
    Resume C{f} as clients do from C{SIZE}: C{REST} + C{STOR} (ftplib,
    lftp's C{put -c}), then C{APPE} (curl's C{-C - -T}), each from the
    size C{SIZE} answers.

    @param ftp: a logged-in ftplib client in C{TYPE I}.
    @return: C{[SIZE's answer, the STOR's reply, the APPE's reply]}.
    """
    size = ftp.size("f")
    stored = replyCode(lambda: ftp.storbinary(
        "STOR f", io.BytesIO(NEW[size:]), rest=size or None))
    appended = replyCode(lambda: ftp.storbinary(
        "APPE f", io.BytesIO(NEW[ftp.size("f"):])))
    return [size, stored, appended]


class BusyMixin:
    """
    A disk realm's root holding C{f} (L{OLD}); subclasses start the
    server (C{self.port}) and say how to log in (L{login}).
    """

    timeout = 120

    def inThread(self, function, *args):
        """
        @param function: a blocking client function.
        @param args: its arguments.
        @return: a Deferred with its result, run in a thread.
        """
        return threads.deferToThread(function, *args)

    def login(self):
        """
        @return: a new session of alice's, in C{TYPE I}.
        """
        return ftplibLogin(self, self.port, binary=True)

    def read(self):
        """
        @return: C{f}'s bytes.
        """
        return readLocal(os.path.join(self.root, "f"))

    def cut(self):
        """
        Send half of L{NEW} as C{STOR f} and reset the data connection.

        @return: the reply to the C{STOR}.
        """
        ftp = self.login()
        connection = ftp.transfercmd("STOR f")
        connection.sendall(NEW[:HALF])
        hardClose(connection)
        cut = replyCode(ftp.voidresp)
        ftp.quit()
        return cut

    def resuming(self):
        """
        Start a resume of the cut upload, and send a little of it.

        @return: C{(its session, its data connection, the offset)}.
        """
        ftp = self.login()
        kept = ftp.size("f")
        connection = ftp.transfercmd("STOR f", rest=kept)
        connection.sendall(NEW[kept:kept + 1000])
        return ftp, connection, kept

    def whileResuming(self, end):
        """
        Cut an upload of L{NEW} over C{f}; resume it on a second session,
        and while that runs, resume it on a third (L{resumeAsClients});
        then end the second with C{end} (blocking).

        @param end: called with the second session, its data connection
            and the offset it started at; returns its reply.
        @return: C{(the third's replies, the second's reply)}.
        """
        self.assertEqual(self.cut(), "426")
        ftp, connection, kept = self.resuming()
        third = self.login()
        replies = resumeAsClients(third)
        third.quit()
        return replies, end(ftp, connection, kept)

    def complete(self, ftp, connection, kept):
        """
        Send the rest of L{NEW} and close the data connection.

        @return: the upload's reply.
        """
        connection.sendall(NEW[kept + 1000:])
        connection.close()
        return replyCode(ftp.voidresp)

    def cutAgain(self, ftp, connection, kept):
        """
        Reset the data connection, then resume the upload whole.

        @return: the cut's reply, and the last resume's.
        """
        hardClose(connection)
        cut = replyCode(ftp.voidresp)
        size = ftp.size("f")
        done = replyCode(lambda: ftp.storbinary(
            "STOR f", io.BytesIO(NEW[size:]), rest=size))
        return cut, size, done

    def assertResumeSize(self, size):
        """
        @param size: what C{SIZE} answered while a resume from what the
            cut kept (up to L{HALF}) that sent 1000 bytes ran: the size
            of the partial upload it writes
            (L{ftpkit.shells.partials.resumableSize}), not the old file's.
        """
        self.assertTrue(size != len(OLD) and size <= HALF + 1000,
                        "SIZE answered %d" % (size,))

    async def test_secondResume(self):
        """
        While a resume runs, another of the same user's gets C{450} (its
        C{SIZE} answers what the running resume holds, as on the other
        realms: L{assertResumeSize}); the first completes the new file.
        """
        replies, done = await self.inThread(self.whileResuming,
                                            self.complete)
        self.assertResumeSize(replies[0])
        self.assertEqual(replies[1:], ["450", "450"])
        self.assertEqual(done, "226")
        self.assertTrue(self.read() == NEW, "f is not the new file")

    async def test_firstResumeCut(self):
        """
        The first resume, cut after the other was refused, keeps what it
        received, and a resume from it completes the new file.
        """
        replies, (cut, size, done) = await self.inThread(
            self.whileResuming, self.cutAgain)
        self.assertResumeSize(replies[0])
        self.assertEqual(replies[1:], ["450", "450"])
        self.assertEqual(cut, "426")
        self.assertGreaterEqual(size, HALF)
        self.assertEqual(done, "226")
        self.assertTrue(self.read() == NEW, "f is not the new file")

    def whileStoring(self):
        """
        Start C{STOR f} of L{NEW} on one session and send half of it;
        meanwhile resume as clients do on another session (the client
        reconnected before the server saw its connection go); then cut
        the first, and resume it on the second (blocking).

        @return: the second's replies while the first ran, the first's
            reply, and the second's last C{SIZE} and resume.
        """
        first = self.login()
        connection = first.transfercmd("STOR f")
        connection.sendall(NEW[:HALF])
        second = self.login()
        replies = resumeAsClients(second)
        hardClose(connection)
        cut = replyCode(first.voidresp)
        size = second.size("f")
        done = replyCode(lambda: second.storbinary(
            "STOR f", io.BytesIO(NEW[size:]), rest=size))
        return replies, cut, size, done

    async def test_storRunning(self):
        """
        While a C{STOR} replacing the file runs, the same user's resume
        gets C{450}; once that C{STOR} is cut, a resume completes the new
        file.
        """
        replies, cut, size, done = await self.inThread(self.whileStoring)
        self.assertEqual(replies, [len(OLD), "450", "450"])
        self.assertEqual((cut, done), ("426", "226"))
        self.assertLessEqual(size, HALF)
        self.assertTrue(self.read() == NEW, "f is not the new file")


class BusyTests(BusyMixin, LoopbackServerMixin, unittest.TestCase):
    """
    In one process.
    """

    def setUp(self):
        self.root = scratchDirectory(self)
        writeLocal(os.path.join(self.root, "f"), OLD)
        self.port = self.startServer(
            FilesystemRealm(self.root),
            ServerConfig(loginFailureDelay=0)).port

    def plainStorWhileResuming(self):
        """
        While a resume runs, a C{STOR} of other bytes (no C{REST})
        completes; then the resume does (blocking).

        @return: C{(the STOR's reply, the resume's)}.
        """
        self.assertEqual(self.cut(), "426")
        ftp, connection, kept = self.resuming()
        other = self.login()
        stored = replyCode(lambda: other.storbinary("STOR f",
                                                io.BytesIO(b"other")))
        other.quit()
        return stored, self.complete(ftp, connection, kept)

    async def test_plainStor(self):
        """
        A C{STOR} without C{REST} still replaces the file while a resume
        runs, and the file ends as one upload or the other sent it.
        """
        replies = await self.inThread(self.plainStorWhileResuming)
        self.assertEqual(replies, ("226", "226"))
        self.assertTrue(self.read() == NEW, "f is not the new file")


def workerOf(server, ftp):
    """
    @param server: a L{ServerProcess} of C{--workers}.
    @param ftp: a client connected to it.
    @return: the worker process holding the session's control
        connection (from C{/proc}), or C{None}.
    """
    port = ftp.sock.getsockname()[1]
    inode = None
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            if (int(fields[1].split(":")[1], 16) == server.port
                    and int(fields[2].split(":")[1], 16) == port):
                inode = fields[9]
    for pid in childrenOf(server.process.pid):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]":
                    return pid
        except OSError:
            continue
    return None


class TwoWorkersMixin:
    """
    A mixin for tests of sessions of alice's on a disk root served with
    C{--workers 2}: its last two sessions must have been in different
    workers (the acceptor gives a new session to the least busy one).
    Its subclass puts it before a mixin whose C{login} opens a session,
    and may fill the root first (L{prepare}).

    @ivar workers: the worker of each session opened, in order.
    """

    sessions = 2
    """How many sessions the test opens at the least."""

    def prepare(self, root):
        """
        Fill the root before the server starts: nothing here.

        @param root: its path.
        """

    def setUp(self):
        self.root = scratchDirectory(self)
        self.prepare(self.root)
        self.server = ServerProcess(self, [
            "--root", self.root, "--workers", "2",
            "--auth", "memory:alice:secret"])
        self.server.waitForLog(" ready\n", 2)
        self.port = self.server.port
        self.workers = []

    def login(self):
        """
        @return: a new session of alice's, in C{TYPE I}, its worker noted
            in C{self.workers}.
        """
        ftp = super().login()
        self.workers.append(workerOf(self.server, ftp))
        return ftp

    def tearDown(self):
        """
        The last two sessions were in different workers.
        """
        self.assertGreaterEqual(len(self.workers), self.sessions)
        self.assertNotIn(None, self.workers)
        self.assertNotEqual(self.workers[-1], self.workers[-2])


class WorkersBusyTests(TwoWorkersMixin, BusyMixin, unittest.TestCase):
    """
    Under C{--workers 2}, the two sessions in different processes.
    """

    def prepare(self, root):
        """
        The file C{f}, the old one.
        """
        writeLocal(os.path.join(root, "f"), OLD)
