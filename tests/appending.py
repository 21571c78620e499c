"""
A file appended to (C{APPE}) by one session while a second session runs
commands, over real loopback sockets: what the in-place writers' tests
(L{tests.integration.test_attack_uploads.InPlaceWritersTests},
L{tests.integration.test_inplacereplaced}, and on the fsspec realm
L{tests.integration.test_attack_fsspecinplace}) share. The file is on the
disk unless a subclass serves another realm (L{AppendingTestsMixin.makeRealm}
and the methods that reach its files).
"""

import ftplib
import io
import os
import socket

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from tests.ftpclient import ftplibLogin

ORIGINAL = b"0123456789"
"""What C{f} holds before the C{APPE}."""

APPENDED = b"A" * 1000 + b"a" * 1000
"""What the C{APPE} sends: the first half before the second session's
commands, the second half after them."""


class AppendingTestsMixin(LoopbackServerMixin):
    """
    A served root holding C{f} (L{ORIGINAL}), and a way to run commands on
    a second session while an C{APPE} of C{f} runs.
    """

    timeout = 60

    def setUp(self):
        self.root = os.path.abspath(self.mktemp())
        os.makedirs(self.root)
        self.path = os.path.join(self.root, "f")
        self.write("f", ORIGINAL)
        self.server = self.startServer(
            self.makeRealm(), ServerConfig(loginFailureDelay=0),
            users={"alice": "secret"}, anonymous=False)

    def makeRealm(self):
        """
        @return: the realm served: the disk under C{self.root}.
        """
        return FilesystemRealm(self.root)

    def write(self, name, data):
        """
        @param name: a file's name in the root.
        @param data: the bytes it is to hold.
        """
        with open(os.path.join(self.root, name), "wb") as f:
            f.write(data)

    def exists(self, name):
        """
        @param name: a name in the root.
        @return: whether anything has it.
        """
        return os.path.lexists(os.path.join(self.root, name))

    def duringAppend(self, *commands):
        """
        Start an C{APPE} of C{f} that sends some bytes and waits, then run
        C{commands} on a second session (C{STOR} and C{APPE} send C{B}
        1,000 times), then end the first upload. Blocking: run it in a
        thread.

        @param commands: the second session's command lines.
        @return: the second session's replies and the first upload's final
            reply, each the text of an error where it was one.
        """
        return self.duringUpload(["APPE f"], *commands)

    def duringUpload(self, upload, *commands):
        """
        L{duringAppend} with another upload.

        @param upload: the first session's command lines, the last of
            which starts the upload (C{["REST 5", "STOR f"]}).
        @param commands: the second session's command lines, or
            callables to call there instead (a local user's change: their
            results are the replies).
        @return: what L{duringAppend} returns.
        """
        first = ftplibLogin(self, self.server.port, binary=True)
        port = int(first.sendcmd("EPSV").split("|")[3])
        data = socket.create_connection(("127.0.0.1", port))
        for line in upload:
            first.sendcmd(line)
        data.sendall(APPENDED[:1000])
        second = ftplibLogin(self, self.server.port, binary=True)
        replies = []
        for command in commands:
            try:
                if callable(command):
                    replies.append(command())
                elif command.split()[0] in ("STOR", "APPE"):
                    replies.append(second.storbinary(
                        command, io.BytesIO(b"B" * 1000)))
                else:
                    replies.append(second.sendcmd(command))
            except ftplib.Error as e:
                replies.append(str(e))
        data.sendall(APPENDED[1000:])
        data.close()
        try:
            final = first.voidresp()
        except ftplib.Error as e:
            final = str(e)
        return replies, final

    def read(self, name="f"):
        """
        @param name: a file's name in the root.
        @return: its bytes.
        """
        with open(os.path.join(self.root, name), "rb") as f:
            return f.read()
