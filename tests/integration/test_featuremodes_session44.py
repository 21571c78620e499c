"""
The ends of a download that session 44 changed, in each mode a deployment
runs (L{tests.featuremodes.modes}: C{twistd -n ftpkit} in one process on
127.0.0.1, C{python -m ftpkit --workers 2} on ::1), on every kind of data
connection (C{PASV}, C{EPSV}, C{PORT}, C{EPRT}), explicit and implicit
FTPS, the data connection under TLS 1.2 and 1.3:

  - a download from a storage whose send is over only after the client
    read the last byte and closed the data connection in order (its
    close_notify first; in clear, its FIN): C{226};
  - the same with C{ABOR} right after the client's close_notify: C{226},
    then C{225} or C{226};
  - C{ABOR} once a download's every byte was read, then the client's
    C{unwrap()}: the server's close_notify arrives (C{226}, C{225} or
    C{226}).

The late storage is the disk shell, its downloads of names ending in
C{.late} sent by Twisted's C{FileSender} as a plugin's would be
(L{tests.lateends.StoppedEndFile}, put in place by a C{sitecustomize}).
"""

import os
import ssl

from tests.featuremodes import ModeServerMixin, modes
from tests.integration.test_featuremodes_session41 import (
    Session41Tests,
    readExactly,
)
from tests.sitescripts import sitePath
from tests.tlssupport import clientContext

SIZE = 200 * 1024 + 7
"""The bytes of each file downloaded."""

LATE_SENDS = """\
import os
from twisted.internet import defer
from ftpkit.shells import filesystem
from tests.lateends import StoppedEndFile

_opened = filesystem.FilesystemShell.openForReading


def _openForReading(self, path, offset=0):
    if not path or not path[-1].endswith(".late"):
        return _opened(self, path, offset)
    with open(os.path.join(os.environ["FTPKIT_TEST_ROOT"], *path),
              "rb") as f:
        return defer.succeed(StoppedEndFile(f.read()[offset:]))


filesystem.FilesystemShell.openForReading = _openForReading
"""

VERSIONS = [("TLS 1.2", ssl.TLSVersion.TLSv1_2), ("TLS 1.3", None)]
"""The data connections' highest TLS versions, named."""


def sendCloseNotify(sock):
    """
    Send a TLS data socket's close_notify without waiting for the
    server's.

    @param sock: an C{ssl.SSLSocket}.
    """
    sock.setblocking(False)
    try:
        sock.unwrap()
    except ssl.SSLWantReadError:
        pass


class Session44Tests(ModeServerMixin):
    """
    Session 44's ends of downloads on each kind of session and data
    connection.
    """

    dataKinds = Session41Tests.dataKinds
    clearClient = Session41Tests.clearClient
    protect = Session41Tests.protect
    plainData = Session41Tests.openData

    def setUp(self):
        self.root = os.path.realpath(self.mktemp())
        os.makedirs(self.root)
        for name in ("f.late", "f.bin"):
            with open(os.path.join(self.root, name), "wb") as f:
                f.write(os.urandom(SIZE))
        self.startServer(env={
            "PYTHONPATH": sitePath(self, LATE_SENDS),
            "FTPKIT_TEST_ROOT": self.root})

    def transfers(self):
        """
        @return: C{(what, client, kind, version)} for every session kind
            (explicit and implicit FTPS under C{PROT P}; clear, whose
            version is C{False}), data connection kind and TLS version.
        """
        found = []
        for implicit in (False, True):
            client = self.client(implicit)
            self.protect(client)
            self.assertEqual(client.command(b"TYPE I")[:3], b"200")
            for kind in self.dataKinds():
                for name, version in VERSIONS:
                    found.append(("%s %s %s" % (
                        "implicit" if implicit else "explicit", kind, name),
                        client, kind, version))
        clear = self.clearClient()
        self.assertEqual(clear.command(b"TYPE I")[:3], b"200")
        for kind in self.dataKinds():
            found.append(("clear " + kind, clear, kind, False))
        return found

    def openData(self, client, kind, command, version):
        """
        L{Session41Tests.openData}, its TLS capped at C{version}.

        @param version: the highest TLS version (C{None}: TLS 1.3), or
            C{False} in clear.
        @return: the data socket.
        """
        sock = self.plainData(client, kind, command, False)
        if version is False:
            return sock
        return clientContext(version).wrap_socket(sock)

    def test_closedAtLastByte(self):
        """
        The client reads every byte of C{f.late}, sends its close_notify
        and closes (in clear, closes): C{226}.
        """
        for what, client, kind, version in self.transfers():
            sock = self.openData(client, kind, b"RETR f.late", version)
            got = readExactly(sock, SIZE)
            if version is not False:
                sendCloseNotify(sock)
            sock.close()
            self.assertEqual((len(got), client.reply()[0][:3]),
                             (SIZE, b"226"), what)
        self.assertNoTraceback()

    def test_aborAfterCloseNotify(self):
        """
        The client reads every byte of C{f.late}, sends its close_notify
        and C{ABOR} at once: C{226}, then C{225} or C{226}.
        """
        for what, client, kind, version in self.transfers():
            if version is False:
                continue
            sock = self.openData(client, kind, b"RETR f.late", version)
            got = readExactly(sock, SIZE)
            sendCloseNotify(sock)
            client.send(b"ABOR\r\n")
            codes = [client.reply()[0][:3], client.reply()[0][:3]]
            sock.close()
            self.assertEqual((len(got), codes[0]), (SIZE, b"226"), what)
            self.assertIn(codes[1], [b"225", b"226"], what)
        self.assertNoTraceback()

    def test_closeNotifyAfterAbor(self):
        """
        The client reads every byte of C{f.bin} (the disk's own send),
        sends C{ABOR}, then ends its TLS stream and waits for the
        server's close_notify: it comes.
        """
        for what, client, kind, version in self.transfers():
            if version is False:
                continue
            sock = self.openData(client, kind, b"RETR f.bin", version)
            got = readExactly(sock, SIZE)
            client.send(b"ABOR\r\n")
            codes = [client.reply()[0][:3], client.reply()[0][:3]]
            sock.unwrap()
            sock.close()
            self.assertEqual((len(got), codes[0]), (SIZE, b"226"), what)
            self.assertIn(codes[1], [b"225", b"226"], what)
        self.assertNoTraceback()


modes(Session44Tests, "Session44Tests", globals())
