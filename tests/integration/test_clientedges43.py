"""
Edges real clients reach, against C{python -m ftpkit} in a child process
(session 43):

 - Python's C{ftplib.FTP_TLS} with C{ssl.OP_NO_TICKET}, resuming the
   control connection's session on each data connection, under TLS 1.2
   and 1.3 on a server with C{--tls-require-session-reuse} (held);
 - lftp sends C{FEAT} before C{USER} (then C{CLNT}, C{LANG}, C{OPTS UTF8
   ON}, C{HOST}) and keeps what it learnt: on a server that logs in
   anonymous users only, under C{--anonymous-write}, its C{mirror -R}
   sent C{MFMT} after every upload (each refused with C{550}), as
   C{FEAT} before login listed it; session 42 had left it out only after
   C{USER}. Under C{--read-only} (one process and C{--workers 2}),
   C{FEAT} and C{HELP SITE} before login offer neither C{MFMT}, C{MFF},
   C{SITE UTIME} nor C{SITE CHMOD}, in clear and after C{AUTH TLS}.

What held, tried by hand with the clients the brief of session 43 named
(recorded here, not tested again, where earlier modules test it):
C{ftplib.FTP_TLS} with C{ssl.OP_NO_TICKET} and with TLS 1.2 only
without C{--tls-require-session-reuse}; aioftp's client (C{EPSV} and
C{PASV}): C{make_directory} of nested names with a blank and UTF-8,
C{upload} and C{download} of a tree with an empty file and an empty
directory, C{list} recursive, C{stat}, C{rename} to a name with a leading
dash, a read from an offset, C{remove} of the tree; lftp with C{ftp:use-feat false},
C{ftp:prefer-epsv false} and C{ftp:use-mdtm-overloaded true} (it sets
times with C{SITE UTIME} first, which works); lftp C{mirror --parallel=4
--use-pget-n=4} and C{pget -n 4} under C{PROT P}; curl's three
C{--ftp-method}s to a deep path of blanks, UTF-8 and a leading dash, with
C{--disable-epsv}, C{--ftp-skip-pasv-ip}, C{-Q "-*DELE missing"} and
empty uploads; WinSCP's commands (C{CLNT}, C{OPTS MLST}, C{MLST} of
files, of directories and of the working directory, C{STAT} listings
with C{-a} and C{-L}, C{XCRC} with and without a range, C{XMD5},
C{XSHA*}, C{HASH} of an empty file, C{OPTS REST STOR}, C{REST 0});
C{CSID} and C{SITE SYMLINK} get C{500}, and WinSCP sends them only where
C{FEAT} lists them (Serv-U, ProFTPD's mod_site_misc). curl 7.88.1's
active mode under TLS and its C{sa_addr inet_ntop()} message are
described in docs/tls.rst and docs/protocol.rst.
"""

import ftplib
import io
import os
import ssl
import subprocess

from twisted.trial import unittest

from tests.clientmatrix import LFTP, LFTP_SETTINGS, UNICODE, readTree
from tests.serverprocess import ServerProcess
from tests.tlssupport import clientContext, makeCertificate

CHANGING = (b" MFMT", b" MFF")
"""The starts of the C{FEAT} lines of the commands that change a file's
facts."""


def writeTree(top):
    """
    Write a small tree of edge entries: an empty file, names with a
    blank, a leading dash and UTF-8, an empty directory.

    @param top: the directory to write it in (made).
    @return: C{top}.
    """
    contents = {"a b.txt": b"blank\n", "zero": b"",
                os.path.join("sub", "-dash " + UNICODE): b"dash\n"}
    for name, data in contents.items():
        path = os.path.join(top, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    os.makedirs(os.path.join(top, "empty"))
    return top


class AnonymousOnlyLftpTests(unittest.TestCase):
    """
    lftp as C{anonymous} on a server with C{--auth anonymous} alone and
    C{--anonymous-write}.
    """

    timeout = 240

    if LFTP is None:
        skip = "lftp is not installed"

    def test_mirrorSendsNoMFMT(self):
        """
        lftp's C{mirror -R} of new files and directories succeeds, each
        file arrives whole, and lftp, told by C{FEAT} before C{USER},
        sends no C{MFMT}: the server lists none where only anonymous
        users log in.
        """
        root = os.path.abspath(self.mktemp())
        os.makedirs(root)
        source = writeTree(os.path.abspath(self.mktemp()))
        server = ServerProcess(self, ["--root", root, "--auth", "anonymous",
                                      "--anonymous-write"])
        server.waitForLog("ftpkit listening on")
        done = subprocess.run(
            [LFTP, "-d", "-u", "anonymous,guest@example.com", "-e",
             LFTP_SETTINGS.replace("set cmd:fail-exit yes; ", "")
             + "set ftp:ssl-allow no; mirror -R %s incoming; quit" % source,
             "ftp://127.0.0.1:%d" % server.port],
            capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
        sent = [line for line in done.stderr.splitlines()
                if line.startswith(b"---> ")]
        self.assertIn(b"---> FEAT", sent[:1])
        self.assertEqual([line for line in sent if b"MFMT" in line], [])
        self.assertEqual(readTree(os.path.join(root, "incoming")),
                         readTree(source))


class ReadOnlyFeatTests(unittest.TestCase):
    """
    C{FEAT} and C{HELP SITE} before login under C{--read-only}.
    """

    timeout = 240

    def serve(self, *options):
        """
        Start a read-only server with alice and a certificate.

        @param options: more options (C{--workers 2}).
        @return: its L{ServerProcess}.
        """
        root = os.path.abspath(self.mktemp())
        certs = os.path.abspath(self.mktemp())
        os.makedirs(root)
        os.makedirs(certs)
        cert, key, _ = makeCertificate(certs)
        server = ServerProcess(self, [
            "--root", root, "--auth", "memory:alice:secret", "--read-only",
            "--tls-cert", cert, "--tls-key", key, *options])
        server.waitForLog("ftpkit listening on")
        if "--workers" in options:
            server.waitForLog(" ready\n", 2)
        return server

    def offered(self, server, tls):
        """
        Ask C{FEAT} and C{HELP SITE} before logging in, then log in.

        @param server: the L{ServerProcess}.
        @param tls: send C{AUTH TLS} first.
        @return: the C{FEAT} reply's lines starting with one of
            L{CHANGING}, and C{HELP SITE}'s reply.
        """
        if tls:
            client = ftplib.FTP_TLS(context=clientContext(), timeout=30)
        else:
            client = ftplib.FTP(timeout=30)
        self.addCleanup(client.close)
        client.connect("127.0.0.1", server.port)
        if tls:
            client.auth()
        feat = client.sendcmd("FEAT").encode("utf-8").split(b"\n")
        siteHelp = client.sendcmd("HELP SITE")
        client.login("alice", "secret")
        client.quit()
        return [line for line in feat if line.startswith(CHANGING)], siteHelp

    def test_oneProcess(self):
        """
        In one process, in clear and after C{AUTH TLS}: no C{MFMT}, no
        C{MFF}, no C{SITE UTIME} or C{CHMOD}.
        """
        server = self.serve()
        for tls in (False, True):
            self.assertEqual(self.offered(server, tls),
                             ([], "214 SITE commands: HELP"), tls)

    def test_workers(self):
        """
        Through C{--workers 2}, whose workers answer the sessions, as in
        one process.
        """
        server = self.serve("--workers", "2")
        for tls in (False, True, False):
            self.assertEqual(self.offered(server, tls),
                             ([], "214 SITE commands: HELP"), tls)



class ReusingClient(ftplib.FTP_TLS):
    """
    C{ftplib.FTP_TLS} resuming its control connection's TLS session on
    each data connection (as curl, lftp and FileZilla do).

    @ivar reused: whether each data connection resumed it, in order.
    """

    def ntransfercmd(self, cmd, rest=None):
        """
        Open the data connection, under TLS resuming the control
        connection's session.

        @param cmd: the transfer command.
        @param rest: the C{REST} offset, or C{None}.
        @return: the connection and the size the reply gave.
        """
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            conn = self.context.wrap_socket(
                conn, server_hostname=self.host, session=self.sock.session)
            self.reused = [*getattr(self, "reused", []), conn.session_reused]
        return conn, size


class TicketlessReuseTests(unittest.TestCase):
    """
    C{ftplib.FTP_TLS} with C{ssl.OP_NO_TICKET} on a server that requires
    data connections to resume the control connection's session.
    """

    timeout = 240

    def test_uploadsAndDownloads(self):
        """
        Under TLS 1.2 and 1.3, with the client refusing session tickets,
        uploads of nothing and of 100 kB under edge names, a listing and
        downloads from the start and from an offset each resume the
        session, and every byte arrives.
        """
        root = os.path.abspath(self.mktemp())
        certs = os.path.abspath(self.mktemp())
        os.makedirs(root)
        os.makedirs(certs)
        cert, key, _ = makeCertificate(certs)
        server = ServerProcess(self, [
            "--root", root, "--auth", "memory:alice:secret",
            "--tls-cert", cert, "--tls-key", key,
            "--tls-require-session-reuse", "--tls-allow-1.3"])
        server.waitForLog("ftpkit listening on")
        data = os.urandom(100000)
        for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            context = clientContext()
            context.options |= ssl.OP_NO_TICKET
            context.minimum_version = context.maximum_version = version
            client = ReusingClient(context=context, timeout=30)
            self.addCleanup(client.close)
            client.connect("127.0.0.1", server.port)
            client.login("alice", "secret")
            client.prot_p()
            names = {"-dash " + UNICODE: data, "zero": b""}
            for name, content in names.items():
                client.storbinary("STOR " + name, io.BytesIO(content))
            listed = sorted(name for name, _ in client.mlsd(facts=["type"]))
            got = {}
            for name in names:
                chunks = []
                client.retrbinary("RETR " + name, chunks.append)
                got[name] = b"".join(chunks)
            tail = []
            client.retrbinary("RETR -dash " + UNICODE, tail.append, rest=99000)
            self.assertEqual(client.sock.version(),
                             {ssl.TLSVersion.TLSv1_2: "TLSv1.2",
                              ssl.TLSVersion.TLSv1_3: "TLSv1.3"}[version])
            client.quit()
            self.assertEqual(listed, sorted([".", *names]))
            self.assertEqual(got, names)
            self.assertEqual(b"".join(tail), data[99000:])
            self.assertEqual(client.reused, [True] * 6, version)
