"""
FileZilla 3's engine replayed against ftpkit (see L{tests.personas}):
its logon, transfers in every mode and security, and its replies to
refusals and limits.
"""

import os
import socket

from twisted.trial import unittest

from ftpkit.control.tls import makeContextFactory
from tests.ipv6 import hasIPv6
from tests.personaparsers import (
    engine2Features,
    filezillaFeatures,
    filezillaMdtm,
    filezillaOptsMlst,
    filezillaPwd,
    filezillaSize,
    listEntries,
    mlsdEntries,
)
from tests.personas import PersonaTestsMixin, Wire, connect
from tests.tlssupport import (
    clientContext,
)


class FileZillaTests(PersonaTestsMixin, unittest.TestCase):
    """
    FileZilla 3's engine.
    """

    def test_featuresAsParsed(self):
        """
        Plain FTP login. FEAT, read as FileZilla 3 and FileZilla 2 read it,
        offers what their transfers key on (MLSD through MLST, UTF8, MFMT,
        MDTM, SIZE, REST STREAM, EPSV, TVFS), and nothing they would use
        that ftpkit lacks (MODE Z), and CLNT, which ftpkit takes. The
        owner facts FileZilla reads are listed but not on by default, so
        it sends OPTS MLST with every fact it knows, which is accepted, in
        lower case, and selects them all (it sent none while ftpkit had no
        owner facts).
        """
        self.serve()

        def client(wire):
            lines = wire.login()
            features = filezillaFeatures(lines)
            asked = filezillaOptsMlst(features["MLST"])
            opts = wire.ok("OPTS MLST " + asked, 200)
            return features, engine2Features(lines), (asked, opts), \
                filezillaPwd(wire.ok("PWD", 257))

        def check(result):
            features, engine2, optsMlst, pwd = result
            self.assertEqual(
                sorted(features), ["CLNT", "EPSV", "MDTM", "MFMT", "MLST",
                                   "REST STREAM", "SIZE", "TVFS", "UTF8"])
            self.assertIn("modify*", features["MLST"])
            self.assertEqual(engine2, {"UTF8", "MLSD", "MDTM", "MFMT",
                                       "CLNT"})
            facts = ("type;size;modify;perm;unix.mode;unix.owner;"
                     "unix.ownername;unix.group;unix.groupname;")
            self.assertEqual(
                (optsMlst, pwd),
                ((facts, "200 MLST OPTS " + facts.replace("unix.", "UNIX.")),
                 "/"))
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
            return self.activeDownload(wire, "old.txt")

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
            return sorted(mlsdEntries(listing))[:2], self.activeDownload(
                wire, "old.txt", "::1")[0]

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

    def test_cancelledProtectedUpload(self):
        """
        FileZilla cancels an upload under C{PROT P} by closing the data
        connection without a close_notify (its TLS layer is reset, not
        shut down): one reply, C{426}, then the next command's; the
        target is untouched, and C{SIZE} answers what arrived, which a
        resume (C{REST} then C{STOR}) continues.
        """
        self.serve(tlsRequireSessionReuse=True)

        def client(wire):
            wire.login(protect=True)
            wire.ok("TYPE I", 200)
            data = wire.secure(connect(wire.passive()))
            wire.send("STOR old.txt")
            wire.ok(None, 150)
            data.sendall(b"n" * 100000)
            data.close()
            cut = wire.reply()[0]
            before = self.readFile("old.txt")
            size = wire.ok("SIZE old.txt", 213)
            wire.ok("REST 100000", 350)
            _, final = self.transfer(wire, "STOR old.txt", b"m" * 10,
                                     protect=True)
            return cut, before, size, final[:3]

        def check(result):
            cut, before, size, final = result
            self.assertEqual((cut, before, size, final),
                             (426, b"old", "213 100000", "226"))
            self.assertEqual(self.readFile("old.txt"),
                             b"n" * 100000 + b"m" * 10)
        return self.converse(client, "explicit").addCallback(check)

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
        gets 550, which FileZilla takes as a size not known (it counted
        what the download sends, which is not the local file's size a
        resume skips). Names with spaces in CWD, RNFR/RNTO, DELE and
        RMD.
        """
        self.serve()

        def client(wire):
            wire.login()
            wire.ok("MKD /my dir", 257)
            wire.ok("CWD /my dir", 250)
            wire.ok("TYPE A", 200)
            _, stored = self.transfer(wire, "STOR my notes.txt",
                                      b"one\r\ntwo\r\n")
            size = wire.cmd("SIZE my notes.txt")[0]
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
            ("226", b"one\ntwo\n", 550, b"one\r\ntwo\r\n"))

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
