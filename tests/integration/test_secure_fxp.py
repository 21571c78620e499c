"""
Secure FXP (C{SSCN}, C{CPSV}): lftp copying between two ftpkit servers
over FTPS with C{ftp:ssl-protect-fxp} (C{CPSV} on the passive end, or
C{SSCN ON} on the active end), and the commands driven by ftplib: their
replies, C{FEAT}, and a copy between two servers steered by hand, the
data connection under TLS with this server as its client.
"""

import ftplib
import os
import shutil
import socket
import ssl

from twisted.internet import threads
from twisted.trial import unittest

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.protocol.commands import formatHostPort
from tests.clienttrees import treeDigest, writeTree
from tests.ftpclient import ftplibLogin
from tests.integration.test_classic_transfers import ClassicClientsMixin
from tests.scratch import scratchDirectory
from tests.sockreads import readToEnd
from tests.tlssupport import Certificates, clientContext, makeContextFactory

LFTP = shutil.which("lftp")

TREE = {"a/b/deep.bin": os.urandom(300000), "a/small.txt": b"small\n",
        "sp ace/\u00fcn\u00ef.txt": b"unicode\n"}
"""No empty file: lftp waits for an FXP copy of one until its timeout
(a client bug, with pyftpdlib as with ftpkit)."""


class TwoServersMixin(Certificates, LoopbackServerMixin):
    """
    Two servers with FTPS, each on a directory of its own.
    """

    def setUp(self):
        self.makeCertificates()
        self.root = scratchDirectory(self)
        self.target = scratchDirectory(self)
        self.server = self.serve(self.root)
        self.targetServer = self.serve(self.target)

    def serve(self, root, **settings):
        settings.setdefault("loginFailureDelay", 0)
        settings.setdefault("tlsContextFactory",
                            makeContextFactory(self.both))
        return self.startServer(FilesystemRealm(root),
                                ServerConfig(**settings))

    def login(self, server):
        """
        @return: an ftplib client logged in over FTPS, C{PROT P}, binary.
        """
        return ftplibLogin(self, server.port,
                           client=ftplib.FTP_TLS(context=clientContext()),
                           protect=True, binary=True)


class LftpMirrorMixin:
    """
    lftp's C{mirror} of L{TREE} from one server of a L{TwoServersMixin}
    to the other, by FXP over FTPS, the data between them under TLS.

    @cvar urlHost: the servers' address as lftp's URLs spell it.
    """

    urlHost = "127.0.0.1"

    async def mirror(self, settings):
        """
        Mirror L{TREE} from one server to the other by FXP with lftp, and
        check it arrived whole, with no plain copy, reversal or timeout.

        @param settings: lftp C{set} commands added.
        @return: lftp's debug log.
        """
        self.local = scratchDirectory(self)
        writeTree(os.path.join(self.root, "tree"), TREE)
        source = "ftp://alice:secret@%s:%d" % (self.urlHost, self.server.port)
        target = "ftp://alice:secret@%s:%d" % (self.urlHost,
                                               self.targetServer.port)
        debug = os.path.join(self.local, "debug.txt")
        script = ("set cmd:fail-exit yes; set ftp:ssl-force yes; "
                  "set ftp:ssl-protect-data yes; set ftp:ssl-protect-fxp yes; "
                  "set ssl:verify-certificate no; "
                  "set net:max-retries 1; set net:timeout 20; "
                  "set ftp:use-fxp yes; %s debug 5 -o %s; "
                  "mirror %s/tree %s/copy; quit"
                  % (settings, debug, source, target))
        done = await self.runClient([LFTP, "-e", script], "")
        with open(debug) as f:
            log = f.read()
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr + log)
        self.assertEqual(treeDigest(os.path.join(self.target, "copy")),
                         treeDigest(os.path.join(self.root, "tree")))
        for failure in ["plain copy", "trying to reverse", "Timeout"]:
            self.assertNotIn(failure, log)
        self.assertIn("---> PROT P", log)
        return log


class LftpSecureFxpTests(TwoServersMixin, LftpMirrorMixin,
                         ClassicClientsMixin, unittest.TestCase):
    """
    lftp's C{mirror} between two servers over FTPS, the data between them
    under TLS.
    """

    if LFTP is None:
        skip = "lftp is not installed"

    timeout = 120

    async def test_cpsv(self):
        """
        By default lftp sends C{CPSV} (which C{FEAT} lists) to the passive
        end, which makes the TLS handshake as the client.
        """
        log = await self.mirror("")
        self.assertIn("---> CPSV", log)
        self.assertIn("---> PORT ", log)

    async def test_sscn(self):
        """
        With C{ftp:fxp-passive-sscn} off, lftp sends C{SSCN ON} to the
        active end instead, which connects and makes the handshake as
        the client.
        """
        log = await self.mirror("set ftp:fxp-passive-sscn no;")
        self.assertIn("---> SSCN ON", log)
        self.assertIn("SSCN:CLIENT METHOD", log)
        self.assertNotIn("---> CPSV", log)


def tlsServerSide(certificate):
    """
    @param certificate: a PEM file holding a certificate and its key.
    @return: an C{ssl.SSLContext} for the TLS server side.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate)
    return context


class SecureFxpCommandTests(TwoServersMixin, unittest.TestCase):
    """
    C{SSCN} and C{CPSV} as ftplib sends them.
    """

    timeout = 60

    def test_replies(self):
        """
        C{SSCN} tells the mode, C{ON} and C{OFF} set it (ProFTPD's
        replies), anything else is C{501}; C{FEAT} lists both verbs.
        """
        def run():
            ftp = self.login(self.server)
            replies = [ftp.sendcmd(command) for command in
                       ["SSCN", "SSCN ON", "SSCN", "SSCN off", "SSCN"]]
            try:
                ftp.sendcmd("SSCN MAYBE")
            except ftplib.error_perm as e:
                replies.append(str(e))
            replies.append(ftp.sendcmd("FEAT"))
            ftp.quit()
            return replies
        def check(replies):
            self.assertEqual(replies[:6], [
                "200 SSCN:SERVER METHOD", "200 SSCN:CLIENT METHOD",
                "200 SSCN:CLIENT METHOD", "200 SSCN:SERVER METHOD",
                "200 SSCN:SERVER METHOD", "501 SSCN takes ON or OFF"])
            self.assertIn(" SSCN\n", replies[6] + "\n")
            self.assertIn(" CPSV\n", replies[6])
        return threads.deferToThread(run).addCallback(check)

    def test_afterCCCAndAuth(self):
        """
        C{SSCN ON} holds after C{CCC} (data connections are still under
        TLS); a new C{AUTH TLS} clears it, as it clears C{PROT}.
        """
        server = self.serve(self.root, tlsAllowCCC=True)

        def run():
            ftp = self.login(server)
            replies = [ftp.sendcmd("SSCN ON")]
            ftp.ccc()
            replies.append(ftp.sendcmd("SSCN"))
            # ftplib's auth() takes the socket ccc() unwrapped for one
            # still under TLS: AUTH TLS by hand.
            ftp.voidcmd("AUTH TLS")
            raw = socket.socket(fileno=ftp.sock.detach())
            ftp.sock = ftp.context.wrap_socket(raw)
            ftp.file = ftp.sock.makefile("r", encoding=ftp.encoding)
            ftp.login("alice", "secret")
            replies.append(ftp.sendcmd("SSCN"))
            ftp.quit()
            return replies

        def check(replies):
            self.assertEqual(replies, ["200 SSCN:CLIENT METHOD",
                                       "200 SSCN:CLIENT METHOD",
                                       "200 SSCN:SERVER METHOD"])
        return threads.deferToThread(run).addCallback(check)

    def test_refused(self):
        """
        Without C{AUTH TLS} they get C{503}; without TLS configured,
        C{502}, and C{FEAT} lists neither; with session reuse required,
        C{SSCN ON} and C{CPSV} get C{534} (the other server cannot resume
        the client's session), and C{FEAT} lists neither either (it
        listed both, which a client takes for an offer: lftp sends
        C{CPSV} to a server that lists it), but lists C{PROT}.
        """
        clear = self.serve(self.root, tlsContextFactory=None)
        reuse = self.serve(self.root, tlsRequireSessionReuse=True)

        def refusals(ftp, commands):
            codes = []
            for command in commands:
                try:
                    codes.append(ftp.sendcmd(command)[:3])
                except ftplib.error_perm as e:
                    codes.append(str(e)[:3])
            return codes

        def run():
            plain = ftplibLogin(self, self.server.port)
            inClear = refusals(plain, ["SSCN ON", "CPSV"])
            none = ftplibLogin(self, clear.port)
            unconfigured = refusals(none, ["SSCN", "CPSV"])
            feat = none.sendcmd("FEAT")
            reuser = self.login(reuse)
            reusing = refusals(reuser, ["SSCN", "SSCN ON", "CPSV", "SSCN OFF"])
            reuseFeat = reuser.sendcmd("FEAT")
            return inClear, unconfigured, feat, reusing, reuseFeat

        def check(result):
            inClear, unconfigured, feat, reusing, reuseFeat = result
            self.assertEqual(inClear, ["503", "503"])
            self.assertEqual(unconfigured, ["502", "502"])
            self.assertNotIn("SSCN", feat)
            self.assertNotIn("CPSV", feat)
            self.assertEqual(reusing, ["200", "534", "534", "200"])
            self.assertNotIn("SSCN", reuseFeat)
            self.assertNotIn("CPSV", reuseFeat)
            self.assertIn(" PROT\n", reuseFeat)
        return threads.deferToThread(run).addCallback(check)

    def test_clientRole(self):
        """
        After C{SSCN ON} the server makes the download's handshake as the
        TLS client (ftplib's side answers as the server); a listing is
        still made as the TLS server.
        """
        with open(os.path.join(self.root, "file.bin"), "wb") as f:
            f.write(TREE["a/b/deep.bin"])

        def run():
            ftp = self.login(self.server)
            ftp.sendcmd("SSCN ON")
            names = ftp.nlst()
            ftp.voidcmd("TYPE I")
            host, port = ftp.makepasv()
            ftp.putcmd("RETR file.bin")
            with socket.create_connection((host, port)) as raw:
                with tlsServerSide(self.both).wrap_socket(
                        raw, server_side=True) as data:
                    self.assertEqual(ftp.getresp()[:3], "150")
                    received = readToEnd(data)
            final = ftp.voidresp()
            ftp.quit()
            return names, received, final

        def check(result):
            names, received, final = result
            self.assertEqual(names, ["file.bin"])
            self.assertEqual(received, TREE["a/b/deep.bin"])
            self.assertEqual(final[:3], "226")
        return threads.deferToThread(run).addCallback(check)

    def copyByHand(self, passiveSource, activeFirst=True):
        """
        A copy steered by hand, as an FXP client does: C{CPSV} on one
        end, C{PORT} to it on the other, C{STOR} and C{RETR}; the file
        arrives whole. C{PASV} after C{CPSV} takes its role back.

        @param passiveSource: whether the source is the passive end.
        @param activeFirst: send the active end's command and wait for
            its C{150}, so that the data connection arrives before the
            passive end's command (under C{PROT P} it is taken at once:
            in the TLS client role, kept for the command); else the
            passive end's command first.
        """
        data = TREE["a/b/deep.bin"]
        with open(os.path.join(self.root, "file.bin"), "wb") as f:
            f.write(data)

        def run():
            source = self.login(self.server)
            target = self.login(self.targetServer)
            for ftp in (source, target):
                # Listed first, as lftp's mirror does: the passive
                # listener CPSV takes may be one a listing used.
                ftp.nlst()
                ftp.voidcmd("TYPE I")
            commands = {source: "RETR file.bin", target: "STOR copy.bin"}
            passive, active = ((source, target) if passiveSource
                               else (target, source))
            reply = passive.sendcmd("CPSV")
            host, port = ftplib.parse227(reply)
            active.sendcmd("PORT " + formatHostPort(host, port))
            if activeFirst:
                active.putcmd(commands[active])
                replies = [active.getresp()[:3]]
                passive.putcmd(commands[passive])
                replies.append(passive.getresp()[:3])
            else:
                passive.putcmd(commands[passive])
                active.putcmd(commands[active])
                replies = [passive.getresp()[:3], active.getresp()[:3]]
            replies += [source.getresp()[:3], target.getresp()[:3]]
            target.sendcmd("CPSV")
            listed = target.nlst()
            source.quit()
            target.quit()
            return replies, listed

        def check(result):
            replies, listed = result
            self.assertEqual(replies, ["150", "150", "226", "226"])
            self.assertEqual(listed, ["copy.bin"])
            with open(os.path.join(self.target, "copy.bin"), "rb") as f:
                self.assertEqual(f.read(), data)
        return threads.deferToThread(run).addCallback(check)

    def test_passiveTarget(self):
        """
        The target passive (C{CPSV}: it receives as the TLS client), its
        data connection made before its C{STOR}.
        """
        return self.copyByHand(False)

    def test_passiveSource(self):
        """
        The source passive (C{CPSV}: it sends as the TLS client), its
        data connection made before its C{RETR}.
        """
        return self.copyByHand(True)

    def test_passiveSourceCommandFirst(self):
        """
        The source passive, its C{RETR} sent first.
        """
        return self.copyByHand(True, activeFirst=False)

    def copyBeforeStor(self, data):
        """
        The target passive (C{PASV}; the source, after C{SSCN ON}, the TLS
        client): a file the source sent whole, and the end of its TLS
        stream, before the target's C{STOR} is stored. (After C{CPSV} the
        target makes its handshake at its command, so nothing can arrive
        before.)

        @param data: the file's bytes.
        """
        def run():
            source = self.login(self.server)
            target = self.login(self.targetServer)
            source.voidcmd("TYPE I")
            target.voidcmd("TYPE I")
            source.sendcmd("SSCN ON")
            host, port = ftplib.parse227(target.sendcmd("PASV"))
            source.sendcmd("PORT " + formatHostPort(host, port))
            source.putcmd("RETR small.txt")
            sent = [source.getresp()[:3], source.getresp()[:3]]
            target.putcmd("STOR copy.txt")
            received = [target.getresp()[:3], target.getresp()[:3]]
            source.quit()
            target.quit()
            return sent, received

        def check(result):
            sent, received = result
            self.assertEqual(sent, ["150", "226"])
            self.assertEqual(received, ["150", "226"])
            with open(os.path.join(self.target, "copy.txt"), "rb") as f:
                self.assertEqual(f.read(), data)

        with open(os.path.join(self.root, "small.txt"), "wb") as f:
            f.write(data)
        return threads.deferToThread(run).addCallback(check)

    def test_smallFileBeforeStor(self):
        """
        A small file sent whole before the target's C{STOR} is stored: it
        was dropped with C{425} (lftp then reversed the roles and sent it
        again).
        """
        return self.copyBeforeStor(b"8 bytes!")

    def test_emptyFileBeforeStor(self):
        """
        An empty file's TLS stream, ended before the target's C{STOR},
        makes an empty file.
        """
        return self.copyBeforeStor(b"")

    def test_passiveTargetCommandFirst(self):
        """
        The target passive, its C{STOR} sent first.
        """
        return self.copyByHand(False, activeFirst=False)
