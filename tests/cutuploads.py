"""
Cut uploads and their resumes over ftplib, as the tests of kept partial
uploads make them (C{tests/integration/test_kept*.py}): an upload cut by
a reset of its data connection, C{SIZE} of what was kept, a resume from
there, and servers of two users on the realms that keep cut uploads.
"""

import ftplib
import io
import os
import time

from ftpkit.auth.realms import FilesystemRealm, MemoryRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.ftpclient import ftplibLogin, replyCode
from tests.polling import waitUntil
from tests.resets import hardClose
from tests.scratch import scratchDirectory
from tests.tcptable import readByPeer

NEW = os.urandom(200000)
"""What the uploads send."""

HALF = len(NEW) // 2
"""Where an upload is cut."""


def cut(ftp, name, size=HALF, received=None, untilRead=False, start=0,
        verb="STOR"):
    """
    Send the first C{size} bytes of L{NEW} as C{STOR name} and reset the
    data connection (blocking); or those from C{start} on, written in
    place.

    @param ftp: a logged-in C{ftplib.FTP} in C{TYPE I}.
    @param name: the file to upload.
    @param size: how many bytes to send before the reset.
    @param received: C{None}, or tells whether the server has read all
        that was sent: the reset waits for it (up to 30 seconds), since it
        drops what the server has not read.
    @param untilRead: whether the reset waits (up to 30 seconds) until
        the server's process has read every byte sent
        (L{tests.tcptable.readByPeer}): what a store shows of an upload
        only once it ends cannot say so, and more than the server's
        receive buffer takes is still in the client's kernel while
        C{sendall} returns.
    @param start: the first byte of L{NEW} sent: C{REST start} comes
        before a C{STOR} from a byte other than the first.
    @param verb: C{STOR}, or C{APPE} (which continues the file at its
        end, C{start} or not).
    @return: the reply code to the C{STOR} (or C{APPE}).
    """
    rest = start if verb == "STOR" and start else None
    connection = ftp.transfercmd(f"{verb} {name}", rest)
    if size:
        connection.sendall(NEW[start:start + size])
    if untilRead:
        waitUntil(lambda: readByPeer(connection), 30)
    deadline = time.monotonic() + 30
    while (received is not None and not received()
           and time.monotonic() < deadline):
        time.sleep(0.01)
    hardClose(connection)
    return replyCode(ftp.voidresp)


def killedUpload(port, name, data, written):
    """
    Log in as alice (password C{secret}), start C{STOR name} in C{TYPE I},
    send C{data} and, once the server wrote it (C{written}, for up to 30
    seconds), vanish: reset the data and the control connection without a
    word, as a killed client does (blocking).

    @param port: the server's port on 127.0.0.1.
    @param name: the file to upload.
    @param data: the bytes sent.
    @param written: returns how many bytes the server wrote so far.
    """
    ftp = ftplib.FTP()
    ftp.connect("127.0.0.1", port, timeout=30)
    ftp.login("alice", "secret")
    ftp.voidcmd("TYPE I")
    connection = ftp.transfercmd("STOR " + name)
    connection.sendall(data)
    waitUntil(lambda: written() >= len(data), 30)
    hardClose(connection)
    hardClose(ftp.sock)


def loginAndCut(testCase, port, name="f"):
    """
    Log in as alice and cut an upload of the first L{HALF} bytes of
    L{NEW} as C{STOR name} (blocking).

    @param testCase: the test, which closes the session at its end.
    @param port: the server's port.
    @param name: the file to upload.
    @return: C{(the reply code to the STOR, the session, logged in
        still)}.
    """
    ftp = ftplibLogin(testCase, port, binary=True)
    return cut(ftp, name), ftp


def resumeFromSize(ftp, name):
    """
    Ask C{SIZE name} and resume the upload of L{NEW} from there
    (C{REST} + C{STOR}; blocking).

    @param ftp: a logged-in C{ftplib.FTP} in C{TYPE I}.
    @param name: the file to resume.
    @return: C{(SIZE's answer, the resume's reply code)}.
    """
    size = ftp.size(name)
    done = replyCode(lambda: ftp.storbinary(
        "STOR " + name, io.BytesIO(NEW[size:]), rest=size))
    return size, done


def sizeOf(ftp, name):
    """
    @param ftp: a logged-in C{ftplib.FTP}.
    @param name: the file to ask about.
    @return: C{SIZE name}'s answer, a number, or its reply code when it
        is not C{213}.
    """
    try:
        return int(ftp.sendcmd("SIZE " + name)[4:])
    except ftplib.error_perm as e:
        return str(e)[:3]


def fetch(ftp, name):
    """
    @param ftp: a logged-in C{ftplib.FTP}.
    @param name: the file to download.
    @return: C{name}'s bytes (C{RETR}).
    """
    received = io.BytesIO()
    ftp.retrbinary("RETR " + name, received.write)
    return received.getvalue()


class TwoUsersMixin(LoopbackServerMixin):
    """
    A server of alice (password C{secret}) and bob (C{pw}) on an empty
    scratch root (C{self.root}, port C{self.port}); subclasses say which
    realm (C{makeRealm}).
    """

    timeout = 120

    def setUp(self):
        self.root = scratchDirectory(self)
        self.port = self.startServer(
            self.makeRealm(),
            ServerConfig(loginFailureDelay=0, **self.serverSettings()),
            users={"alice": "secret", "bob": "pw"}, anonymous=False).port

    def serverSettings(self):
        """
        @return: the server's L{ServerConfig} settings beyond no delay
            after a failed login: none here.
        """
        return {}

    def clientOptions(self):
        """
        @return: the keyword arguments L{login} gives
            L{tests.ftpclient.ftplibLogin} beyond C{TYPE I}: none here.
        """
        return {}

    def login(self, user="alice", password="secret"):
        """
        @param user: who logs in.
        @param password: their password.
        @return: a new session of C{user}'s, in C{TYPE I}.
        """
        return ftplibLogin(self, self.port, user, password, binary=True,
                           **self.clientOptions())


class DiskRealmMixin:
    """
    Serves the disk realm on C{self.root}.
    """

    def makeRealm(self):
        """
        @return: a disk realm on the root.
        """
        return FilesystemRealm(self.root)


class MemoryRealmMixin:
    """
    Serves C{--realm memory}.
    """

    def makeRealm(self):
        """
        @return: a memory realm.
        """
        return MemoryRealm(maxBytes=None)
