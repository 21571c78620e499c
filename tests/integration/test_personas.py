"""
FileZilla and WinSCP, replayed: the command sequences their FTP engines
send, over plain FTP, explicit FTPS (C{AUTH TLS}, C{PROT P}, data
connections resuming the control connection's TLS session) and implicit
FTPS, in passive (C{PASV}, C{EPSV}) and active mode, with every reply
read the way the client reads it.

Neither client runs on Linux, so each is written out here from its
engine: FileZilla 3 (C{src/engine/ftp/}: logon, rawtransfer,
filetransfer, transfersocket) and FileZilla 2's engine that WinSCP
bundles (C{source/filezilla/FtpControlSocket.cpp}, with WinSCP's own
C{source/core/FtpFileSystem.cpp} above it). Replies are read with
C{tests.personaparsers}, which mirror their parsers: what a client
cannot parse, it cannot use, whatever the code.
"""

import hashlib
import os
import socket
import ssl
import time
import zlib

from twisted.trial import unittest

from ftpkit.control.tls import makeContextFactory
from tests.personaparsers import (
    engine2Features,
    filezillaEpsv,
    filezillaFeatures,
    filezillaMdtm,
    filezillaOptsMlst,
    filezillaPasv,
    filezillaPwd,
    filezillaSize,
    listEntries,
    mlsdEntries,
    winscpFeatures,
    winscpHash,
    winscpPwd,
)
from tests.tlssupport import (
    FTPSTestsMixin,
    clientContext,
    hasIPv6,
    readAll,
)


def connect(address):
    """
    @return: a socket connected to C{address}.
    """
    return socket.create_connection(address, timeout=20)


class Wire:
    """
    A client's control connection, line by line.

    @ivar context: the client's TLS context.
    @ivar sock: the control socket (TLS once secured).
    """

    def __init__(self, port, security=None, context=None, host="127.0.0.1"):
        """
        Connect, read the greeting, and with C{security="explicit"} send
        C{AUTH TLS} and secure the connection (C{"implicit"}: TLS first).
        """
        self.context = context or clientContext()
        self.host = host
        raw = socket.create_connection((host, port), timeout=20)
        self.sock = (self.context.wrap_socket(raw)
                     if security == "implicit" else raw)
        self.file = self.sock.makefile("rb")
        self.ok(None, 220)
        if security == "explicit":
            self.ok("AUTH TLS", 234)
            self.file.close()
            self.sock = self.context.wrap_socket(raw)
            self.file = self.sock.makefile("rb")

    def reply(self):
        """
        @return: C{(code, lines)} of the next reply, lines as text.
        """
        lines = []
        while True:
            line = self.file.readline().decode("utf-8").rstrip("\r\n")
            if not line and not lines:
                raise EOFError("control connection closed")
            lines.append(line)
            if len(lines) == 1 and line[3:4] != "-":
                return int(line[:3]), lines
            if len(lines) > 1 and line[:3] == lines[0][:3] \
                    and line[3:4] == " ":
                return int(line[:3]), lines

    def send(self, line):
        """
        Send one command line (UTF-8).
        """
        self.sock.sendall(line.encode("utf-8") + b"\r\n")

    def cmd(self, line):
        """
        @return: C{(code, lines)} of the reply to C{line}.
        """
        self.send(line)
        return self.reply()

    def ok(self, line, code):
        """
        Send C{line} (unless C{None}) and check the reply's code.

        @return: the reply's last line.
        """
        if line is not None:
            self.send(line)
        got, lines = self.reply()
        if got != code:
            raise AssertionError("%r: expected %d, got %r" % (line, code,
                                                              lines))
        return lines[-1]

    def login(self, protect=False):
        """
        The login both engines make: C{USER}, C{PASS}, C{SYST}, C{FEAT},
        C{OPTS UTF8 ON} (C{UTF8} is listed), then with TLS C{PBSZ 0} and
        C{PROT P}.

        @return: the C{FEAT} reply's lines.
        """
        self.ok("USER alice", 331)
        self.ok("PASS secret", 230)
        assert self.ok("SYST", 215).startswith("215 UNIX")
        code, features = self.cmd("FEAT")
        assert code == 211, features
        self.ok("OPTS UTF8 ON", 200)
        if protect:
            self.ok("PBSZ 0", 200)
            self.ok("PROT P", 200)
        return features

    def passive(self, verb="PASV"):
        """
        @return: the address a C{PASV} or C{EPSV} reply names, read as
            FileZilla reads it.
        """
        line = self.ok(verb, 227 if verb == "PASV" else 229)
        if verb == "PASV":
            return filezillaPasv(line)
        return self.host, filezillaEpsv(line)

    def secure(self, raw):
        """
        @return: C{raw} after a client handshake resuming this control
            connection's session, as FileZilla requires.
        """
        data = self.context.wrap_socket(raw, session=self.sock.session)
        assert data.session_reused, "data connection did not resume"
        return data

    def close(self):
        """
        Close the control connection.
        """
        self.file.close()
        self.sock.close()


class PersonaTestsMixin(FTPSTestsMixin):
    """
    A served tree (C{big.bin}, a file with a space, a dotfile, a
    directory) and a way to run one client in a thread.
    """

    def setUp(self):
        FTPSTestsMixin.setUp(self)
        os.mkdir(os.path.join(self.root, "docs"))
        for name, data in [("docs/a b.txt", b"spaced\n"),
                           ("docs/.hidden", b"h"), ("old.txt", b"old")]:
            with open(os.path.join(self.root, name), "wb") as f:
                f.write(data)
        os.utime(os.path.join(self.root, "old.txt"), (1e9, 1e9))

    def converse(self, client, security=None, context=None,
                 host="127.0.0.1"):
        """
        Run C{client(wire)} in a thread on a fresh control connection.

        @return: a Deferred with its result.
        """
        def run():
            wire = Wire(self.server.port, security, context, host)
            try:
                return client(wire)
            finally:
                wire.close()
        return self.inThread(run)

    def transfer(self, wire, command, upload=None, protect=False,
                 verb="PASV", commandFirst=False):
        """
        One transfer, FileZilla 3's way (data connection and its handshake
        before the command) or, with C{commandFirst}, FileZilla 2's (the
        command, then the connection).

        @param upload: bytes to send, or C{None} to read.
        @return: C{(received, finalLine)}.
        """
        address = wire.passive(verb)
        if commandFirst:
            wire.send(command)
        data = connect(address)
        if not commandFirst and not protect:
            wire.send(command)
        if protect:
            data = wire.secure(data)
            if not commandFirst:
                wire.send(command)
        wire.ok(None, 150)
        return self.finish(wire, data, upload)

    def finish(self, wire, data, upload):
        """
        Move the bytes, end the data connection as the engines do (a
        close_notify after an upload), and read the final reply.
        """
        received = b""
        if upload is None:
            received = readAll(data)
        else:
            data.sendall(upload)
            if isinstance(data, ssl.SSLSocket):
                data = data.unwrap()
        data.close()
        code, lines = wire.reply()
        return received, lines[-1]


class FileZillaTests(PersonaTestsMixin, unittest.TestCase):
    """
    FileZilla 3's engine.
    """

    def test_featuresAsParsed(self):
        """
        Plain FTP login. FEAT, read as FileZilla 3 and FileZilla 2 read it,
        offers what their transfers key on (MLSD through MLST, UTF8, MFMT,
        MDTM, SIZE, REST STREAM, EPSV, TVFS), and nothing they would use
        that ftpkit lacks (CLNT, MODE Z): they send neither. Every MLST
        fact FileZilla knows is on by default, so it sends no OPTS MLST;
        its list of facts, lower-case, is still accepted.
        """
        self.serve()

        def client(wire):
            lines = wire.login()
            features = filezillaFeatures(lines)
            wire.ok("OPTS MLST type;size;modify;perm;unix.mode;", 200)
            return features, engine2Features(lines), filezillaOptsMlst(
                features["MLST"]), filezillaPwd(wire.ok("PWD", 257))

        def check(result):
            features, engine2, optsMlst, pwd = result
            self.assertEqual(
                sorted(features), ["EPSV", "MDTM", "MFMT", "MLST",
                                   "REST STREAM", "SIZE", "TVFS", "UTF8"])
            self.assertIn("modify*", features["MLST"])
            self.assertEqual(engine2, {"UTF8", "MLSD", "MDTM", "MFMT"})
            self.assertEqual((optsMlst, pwd), (None, "/"))
        return self.converse(client).addCallback(check)

    def explicitSession(self, verb, **settings):
        """
        FileZilla over explicit FTPS: AUTH TLS, login, PBSZ 0, PROT P,
        PWD; CWD docs (and PWD) then MLSD; TYPE I, an upload then MFMT
        with the local time, SIZE and MDTM; a resumed download (REST n)
        and the next one, which FileZilla starts with REST 0. FileZilla
        offers ALPN C{ftp} and C{x-filezilla-ftp}; the server picks none.
        """
        self.serve(tlsRequireSessionReuse=True, **settings)
        context = clientContext()
        context.set_alpn_protocols(["ftp", "x-filezilla-ftp"])

        def client(wire):
            alpn = wire.sock.selected_alpn_protocol()
            wire.login(protect=True)
            wire.ok("CWD /docs", 250)
            cwd = filezillaPwd(wire.ok("PWD", 257))
            wire.ok("TYPE A", 200)
            listing, final = self.transfer(wire, "MLSD", protect=True,
                                           verb=verb)
            wire.ok("TYPE I", 200)
            _, stored = self.transfer(wire, "STOR new.bin", b"n" * 70000,
                                      protect=True, verb=verb)
            mfmt = wire.ok("MFMT 20200102030405 new.bin", 213)
            size = filezillaSize(wire.ok("SIZE new.bin", 213))
            mdtm = filezillaMdtm(wire.ok("MDTM new.bin", 213))
            wire.ok("CWD /", 250)
            wire.ok("REST 1000000", 350)
            tail, _ = self.transfer(wire, "RETR big.bin", protect=True,
                                    verb=verb)
            wire.ok("REST 0", 350)
            whole, _ = self.transfer(wire, "RETR big.bin", protect=True,
                                     verb=verb)
            return (alpn, cwd, mlsdEntries(listing), final, stored, mfmt,
                    size, mdtm, tail, whole)

        def check(result):
            alpn, cwd, entries, final, stored, mfmt, size, mdtm, tail, \
                whole = result
            # x-filezilla-ftp would make FileZilla skip PBSZ and PROT.
            self.assertEqual((alpn, cwd), (None, "/docs"))
            self.assertEqual(entries["a b.txt"]["size"], "7")
            self.assertIn(".hidden", entries)
            self.assertEqual((final[:3], stored[:3]), ("226", "226"))
            self.assertIn("20200102030405", mfmt)
            self.assertEqual((size, mdtm), (70000, "20200102030405"))
            self.assertEqual((tail, whole), (self.payload[1000000:],
                                             self.payload))
        return self.converse(client, "explicit", context).addCallback(check)

    def test_explicitPassive(self):
        """
        Explicit FTPS over PASV (IPv4), TLS 1.2 (the default ceiling), the
        server requiring session reuse.
        """
        return self.explicitSession("PASV")

    def test_explicitExtendedPassiveTLS13(self):
        """
        Explicit FTPS over EPSV with TLS 1.3 allowed (as FileZilla's
        GnuTLS then negotiates): every data connection resumes the control
        connection's session from its ticket.
        """
        return self.explicitSession("EPSV", tlsContextFactory=(
            makeContextFactory(self.both, maximumVersion=None)))

    def test_parallelConnections(self):
        """
        FileZilla browses on one connection and transfers on others (two
        at once by default), each logged in over TLS of its own: every
        data connection resumes its own control connection's session,
        with TLS 1.3 allowed and reuse required, while the others stay
        open.
        """
        self.serve(tlsRequireSessionReuse=True, tlsContextFactory=(
            makeContextFactory(self.both, maximumVersion=None)))

        def client(browser):
            browser.login(protect=True)
            workers = [Wire(self.server.port, "explicit") for _ in "ab"]
            try:
                results = []
                for worker in workers:
                    worker.login(protect=True)
                    worker.ok("TYPE I", 200)
                for worker in workers + workers:
                    results.append(self.transfer(
                        worker, "RETR old.txt", protect=True,
                        verb="EPSV")[0])
                    listing, _ = self.transfer(browser, "MLSD",
                                               protect=True)
                    results.append(len(mlsdEntries(listing)))
                return results
            finally:
                for worker in workers:
                    worker.close()

        return self.converse(client, "explicit").addCallback(
            self.assertEqual, [b"old", 4] * 4)

    def test_implicit(self):
        """
        Implicit FTPS: TLS first (FileZilla offers ALPN C{ftp}), then the
        same login (PBSZ 0 and PROT P without AUTH), a listing and a
        download over EPSV.
        """
        self.serveImplicit()
        context = clientContext()
        context.set_alpn_protocols(["ftp"])

        def client(wire):
            wire.login(protect=True)
            listing, _ = self.transfer(wire, "MLSD", protect=True,
                                       verb="EPSV")
            wire.ok("TYPE I", 200)
            data, final = self.transfer(wire, "RETR big.bin", protect=True,
                                        verb="EPSV")
            return mlsdEntries(listing), data == self.payload, final

        def check(result):
            entries, complete, final = result
            self.assertEqual(entries["big.bin"]["type"], "file")
            self.assertEqual((complete, final[:3]), (True, "226"))
        return self.converse(client, "implicit", context).addCallback(check)

    def test_activeProtected(self):
        """
        Active mode under PROT P: FileZilla listens, sends PORT, and is
        the TLS client on the connection the server makes, resuming the
        control connection's session.
        """
        self.serve()

        def client(wire):
            wire.login(protect=True)
            wire.ok("TYPE I", 200)
            listener = socket.create_server(("127.0.0.1", 0))
            port = listener.getsockname()[1]
            wire.ok("PORT 127,0,0,1,%d,%d" % (port // 256, port % 256), 200)
            wire.send("RETR old.txt")
            raw, _ = listener.accept()
            listener.close()
            data = wire.secure(raw)
            wire.ok(None, 150)
            return self.finish(wire, data, None)

        return self.converse(client, "explicit").addCallback(
            lambda result: self.assertEqual(
                (result[0], result[1][:3]), (b"old", "226")))

    def test_ipv6(self):
        """
        Over IPv6 FileZilla sends EPSV whatever FEAT says, and EPRT
        C{|2|addr|port|} in active mode; both under PROT P.
        """
        if not hasIPv6():
            raise unittest.SkipTest("no IPv6 loopback")
        self.serve(interface="::1")

        def client(wire):
            wire.login(protect=True)
            listing, _ = self.transfer(wire, "MLSD", protect=True,
                                       verb="EPSV")
            listener = socket.create_server(("::1", 0),
                                            family=socket.AF_INET6)
            wire.ok("EPRT |2|::1|%d|" % listener.getsockname()[1], 200)
            wire.send("RETR old.txt")
            raw, _ = listener.accept()
            listener.close()
            data = wire.secure(raw)
            wire.ok(None, 150)
            return sorted(mlsdEntries(listing))[:2], self.finish(
                wire, data, None)[0]

        return self.converse(client, "explicit", host="::1").addCallback(
            self.assertEqual, ([".", "big.bin"], b"old"))

    def test_cancelledDownload(self):
        """
        FileZilla cancels a download by closing the data connection, sends
        no ABOR and skips the transfer's one reply: exactly one reply
        comes (426, or 226 if the file had all left), then the next
        command's.
        """
        self.serve()

        def client(wire):
            wire.login()
            wire.ok("TYPE I", 200)
            data = connect(wire.passive("EPSV"))
            wire.send("RETR big.bin")
            wire.ok(None, 150)
            data.recv(1000)
            data.close()
            # 226 when the whole file was in the socket buffers already.
            return wire.reply()[0] in (226, 426), wire.cmd("NOOP")[0]

        return self.converse(client).addCallback(
            self.assertEqual, (True, 200))

    def test_mkdirParentsAndRecursiveDelete(self):
        """
        FileZilla's mkdir -p: CWD into the path (550), back up to a
        directory that exists, then MKD and CWD each segment (257 names
        the directory, quoted). Its recursive delete: MLSD, DELE each
        file, RMD each directory, deepest first; RNFR/RNTO before.
        """
        self.serve()

        def client(wire):
            wire.login()
            for path in ("/n1/n2", "/n1"):
                wire.ok("CWD " + path, 550)
            wire.ok("CWD /", 250)
            made = []
            for name in ("n1", "n2"):
                made.append(filezillaPwd(wire.ok("MKD " + name, 257)))
                wire.ok("CWD " + name, 250)
            wire.ok("MKD /n1/n2", 550)
            _, final = self.transfer(wire, "STOR f.txt", b"x")
            wire.ok("RNFR f.txt", 350)
            wire.ok("RNTO g.txt", 250)
            listing, _ = self.transfer(wire, "MLSD /n1/n2")
            for name, facts in mlsdEntries(listing).items():
                if facts["type"] == "file":
                    wire.ok("DELE /n1/n2/" + name, 250)
            wire.ok("CWD /", 250)
            wire.ok("RMD /n1/n2", 250)
            wire.ok("RMD /n1", 250)
            return made, sorted(mlsdEntries(listing))

        def check(result):
            self.assertEqual(result, (["/n1", "/n1/n2"],
                                      [".", "..", "g.txt"]))
            self.assertFalse(os.path.exists(os.path.join(self.root, "n1")))
        return self.converse(client).addCallback(check)

    def test_utf8Names(self):
        """
        Non-ASCII names in UTF-8 (after OPTS UTF8 ON): MKD, CWD and PWD,
        an upload, and the name in MLSD and LIST as sent.
        """
        self.serve()
        directory, name = "r\u00e9pertoire", "\u540d\u524d \u00fc.txt"

        def client(wire):
            wire.login()
            wire.ok("MKD " + directory, 257)
            wire.ok("CWD " + directory, 250)
            pwd = filezillaPwd(wire.ok("PWD", 257))
            self.transfer(wire, "STOR " + name, b"utf")
            mlsd, _ = self.transfer(wire, "MLSD")
            listing, _ = self.transfer(wire, "LIST")
            return pwd, mlsdEntries(mlsd), listEntries(listing)

        def check(result):
            pwd, mlsd, listing = result
            self.assertEqual(pwd, "/" + directory)
            self.assertEqual(mlsd[name]["size"], "3")
            self.assertEqual(listing[name][1], 3)
            with open(os.path.join(self.root, directory, name), "rb") as f:
                self.assertEqual(f.read(), b"utf")
        return self.converse(client).addCallback(check)

    def test_textFiles(self):
        """
        FileZilla moves text files (C{*.txt} and the like) in TYPE A by
        default, WinSCP in its Automatic mode: an upload with CRLF line
        ends is stored with LF, comes back with CRLF, and SIZE in TYPE A
        counts what that download sends. Names with spaces in CWD,
        RNFR/RNTO, DELE and RMD.
        """
        self.serve()

        def client(wire):
            wire.login()
            wire.ok("MKD /my dir", 257)
            wire.ok("CWD /my dir", 250)
            wire.ok("TYPE A", 200)
            _, stored = self.transfer(wire, "STOR my notes.txt",
                                      b"one\r\ntwo\r\n")
            size = filezillaSize(wire.ok("SIZE my notes.txt", 213))
            text, _ = self.transfer(wire, "RETR my notes.txt")
            with open(os.path.join(self.root, "my dir", "my notes.txt"),
                      "rb") as f:
                onDisk = f.read()
            wire.ok("RNFR my notes.txt", 350)
            wire.ok("RNTO your notes.txt", 250)
            wire.ok("DELE your notes.txt", 250)
            wire.ok("CWD ..", 250)
            wire.ok("RMD my dir", 250)
            return stored[:3], onDisk, size, text

        return self.converse(client).addCallback(
            self.assertEqual,
            ("226", b"one\ntwo\n", 10, b"one\r\ntwo\r\n"))

    def test_refusals(self):
        """
        The codes the engines act on: 550 to RETR of a missing file (a
        permanent failure, not retried) once the data connection is open,
        550 to STOR into a missing directory, 550 to CWD of a file; the
        session goes on, and the next transfer works.
        """
        self.serve()

        def client(wire):
            wire.login()
            codes = []
            for command in ("RETR missing.bin", "STOR nodir/x.bin"):
                data = connect(wire.passive())
                codes.append(wire.cmd(command)[0])
                data.close()
            codes.append(wire.cmd("CWD old.txt")[0])
            received, final = self.transfer(wire, "RETR old.txt")
            return codes, received, final[:3]

        return self.converse(client).addCallback(
            self.assertEqual, ([550, 550, 550], b"old", "226"))


    def test_emptyFilesProtected(self):
        """
        An empty upload under PROT P: FileZilla's handshake, then at once
        its close_notify; 226 and an empty file. The empty download: the
        server's close_notify right after the handshake, and 226.
        """
        self.serve()

        def client(wire):
            wire.login(protect=True)
            wire.ok("TYPE I", 200)
            _, stored = self.transfer(wire, "STOR empty.bin", b"",
                                      protect=True, verb="EPSV")
            received, sent = self.transfer(wire, "RETR empty.bin",
                                           protect=True, verb="EPSV")
            return stored[:3], received, sent[:3]

        def check(result):
            self.assertEqual(result, ("226", b"", "226"))
            self.assertEqual(self.readFile("empty.bin"), b"")
        return self.converse(client, "explicit").addCallback(check)

    def test_limitReplies(self):
        """
        The 4xx and 5xx FileZilla meets at the limits, each one reply: 421
        as the greeting past --max-connections-per-ip (it disconnects and
        retries later), 425 to a transfer whose data connection never
        came, 552 past the upload size limit; the session goes on.
        """
        self.serve(maxConnectionsPerIP=1, dataTimeout=0.5,
                   maxUploadSize=1000)

        def client(wire):
            wire.login()
            refused = socket.create_connection(
                ("127.0.0.1", self.server.port), timeout=20)
            greeting = refused.makefile("rb").readline()
            refused.close()
            wire.ok("PASV", 227)
            late = wire.cmd("RETR old.txt")[0]
            _, final = self.transfer(wire, "STOR big.part", b"z" * 5000)
            return greeting[:4], late, final[:3], wire.cmd("NOOP")[0]

        return self.converse(client).addCallback(
            self.assertEqual, (b"421 ", 425, "552", 200))


class WinSCPTests(PersonaTestsMixin, unittest.TestCase):
    """
    WinSCP: FileZilla 2's engine sending the command before it connects
    the data connection, and WinSCP's own commands above it.
    """

    def test_session(self):
        """
        AUTH TLS, login, PBSZ 0, PROT P; PWD (one line, 257, quotes
        doubled); LIST -a and LIST -la (WinSCP without MLSD): ls -l lines,
        dotfiles included, a year for an old file and a time for a new
        one, names with spaces whole; then the keep-alive commands PWD,
        REST 0, TYPE A, TYPE I, and an upload over a longer file after
        them (REST 0 does not keep the old tail).
        """
        self.serve(tlsRequireSessionReuse=True)
        os.mkdir(os.path.join(self.root, 'q"d'))

        def client(wire):
            features = wire.login(protect=True)
            wire.ok('CWD q"d', 250)
            code, pwd = wire.cmd("PWD")
            wire.ok("CDUP", 250)
            wire.ok("TYPE A", 200)
            listings = [self.transfer(wire, command + " /docs",
                                      protect=True, commandFirst=True)[0]
                        for command in ("LIST -a", "LIST -la")]
            top, _ = self.transfer(wire, "LIST -a", protect=True,
                                   commandFirst=True)
            for keepAlive in ("PWD", "REST 0", "TYPE A", "TYPE I"):
                wire.cmd(keepAlive)
            _, final = self.transfer(wire, "STOR old.txt", b"n",
                                     protect=True, commandFirst=True)
            return (winscpFeatures(features), code, pwd,
                    [listEntries(listing) for listing in listings],
                    listEntries(top), final)

        def check(result):
            (commands, algorithms), code, pwd, listings, top, final = result
            self.assertTrue({"MDTM", "MFMT", "SIZE", "XSHA1", "XCRC"}
                            <= commands)
            self.assertIn("sha-1", algorithms)
            self.assertEqual((code, len(pwd), winscpPwd(pwd[0])),
                             (257, 1, '/q"d'))
            for entries in listings:
                self.assertEqual(sorted(entries), [".hidden", "a b.txt"])
                self.assertEqual(entries["a b.txt"][:2], ("-rw-r--r--", 7))
            self.assertEqual(top["old.txt"][2], "2001")
            self.assertIn(":", top["big.bin"][2])
            self.assertEqual(final[:3], "226")
            self.assertEqual(self.readFile("old.txt"), b"n")
        return self.converse(client, "explicit").addCallback(check)

    def test_resumedUploadAndChecksums(self):
        """
        WinSCP's free space (AVBL path; the reply's text a number), its
        resumed upload: TYPE I, OPTS REST STOR (anything but 4xx
        lets it resume), PASV, REST n, STOR of the rest (and APPE, its way
        where REST gets 50x); then MFMT to keep
        the local time, SITE CHMOD 644 (name unquoted), and checksums:
        OPTS HASH SHA-1 and HASH "path" (quoted when it holds a space, as
        WinSCP quotes it), XSHA1 and XCRC the same way.
        """
        self.serve()
        name = "/docs/up load.bin"

        def client(wire):
            wire.login()
            wire.ok("TYPE I", 200)
            self.transfer(wire, "STOR " + name, b"a" * 5000,
                          commandFirst=True)
            space = int(wire.ok("AVBL /docs", 213)[4:])
            restStor = wire.cmd("OPTS REST STOR")[0]
            address = wire.passive()
            wire.ok("REST 5000", 350)
            wire.send("STOR " + name)
            data = connect(address)
            wire.ok(None, 150)
            _, final = self.finish(wire, data, b"b" * 3000)
            self.transfer(wire, "APPE " + name, b"c" * 1000,
                          commandFirst=True)
            wire.ok("MFMT 20210304050607 " + name, 213)
            wire.ok("SITE CHMOD 644 " + name, 200)
            wire.ok("OPTS HASH SHA-1", 200)
            sha1 = winscpHash(wire.ok('HASH "%s"' % name, 213))
            xsha1 = wire.ok('XSHA1 "%s"' % name, 250).split(" ")[-1]
            xcrc = wire.ok('XCRC "%s"' % name, 250).split(" ")[-1]
            return space > 0, restStor, final, sha1, xsha1.lower(), \
                xcrc.lower()

        def check(result):
            content = b"a" * 5000 + b"b" * 3000 + b"c" * 1000
            space, restStor, final, sha1, xsha1, xcrc = result
            self.assertTrue(space)
            self.assertNotEqual(restStor // 100, 4)
            self.assertEqual(final[:3], "226")
            self.assertEqual(self.readFile("docs/up load.bin"), content)
            digest = hashlib.sha1(content).hexdigest()
            self.assertEqual((sha1, xsha1, xcrc),
                             (digest, digest,
                              "%08x" % zlib.crc32(content)))
            self.assertEqual(os.stat(os.path.join(
                self.root, "docs/up load.bin")).st_mtime, 1614834367)
        return self.converse(client).addCallback(check)

    def test_keepAlives(self):
        """
        The keep-alives sent while idle (WinSCP: PWD, REST 0, TYPE A,
        TYPE I; FileZilla: NOOP, TYPE, PWD) each restart the idle time;
        past it, 421 and the end of the connection, on which both
        engines reconnect.
        """
        self.serve(idleTimeout=2.0)

        def client(wire):
            wire.login()
            for keepAlive in ["PWD", "REST 0", "TYPE A", "TYPE I", "NOOP"]:
                time.sleep(0.6)
                wire.cmd(keepAlive)
            alive = wire.cmd("NOOP")[0]
            wire.sock.settimeout(30)
            return alive, wire.reply()[0], wire.file.readline()

        return self.converse(client).addCallback(
            self.assertEqual, (200, 421, b""))

    def test_lateAbort(self):
        """
        A client that cancels as the transfer completes with ABOR (the
        engines close the data connection instead, as in
        test_cancelledDownload; WinSCP's users may still type ABOR): it
        has read the data, then sends ABOR before it reads the 226. Two
        replies come, the transfer's 226 and ABOR's own 2xx, and the
        session goes on.
        """
        self.serve()

        def client(wire):
            wire.login()
            wire.ok("TYPE I", 200)
            address = wire.passive()
            wire.send("RETR old.txt")
            data = connect(address)
            wire.ok(None, 150)
            received = readAll(data)
            data.close()
            wire.send("ABOR")
            first, second = wire.reply()[0], wire.reply()[0]
            return received, first, second // 100, wire.cmd("NOOP")[0]

        return self.converse(client).addCallback(
            self.assertEqual, (b"old", 226, 2, 200))
