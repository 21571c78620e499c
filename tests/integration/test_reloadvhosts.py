"""
C{SIGHUP} and the users file of a C{--vhost}'s realm (C{users:PATH}),
in one process and under C{--workers 2}: a file that cannot be used is
one error line (one line naming both workers), the host's users read
before stay in force and the server serves on; the file put back with
another user is read, and that user logs in on that host.
"""

import ftplib
import os
import re
import signal

from twisted.trial import unittest

from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess
from tests.usersfiles import ALICE_HASH, writeText

HOST = "b.example"
"""The name of the virtual host."""

NOT_RELOADED = ("users file not reloaded, keeping the old users: {path}: "
                "not valid TOML")
"""The start of the error line of a host's file that is no TOML."""


def hostLogin(port, user, password):
    """
    @param port: the server's port on 127.0.0.1.
    @param user: a user of the virtual host.
    @param password: their password.
    @return: whether C{user} logged in after C{HOST b.example}.
    """
    client = ftplib.FTP()
    client.connect("127.0.0.1", port, timeout=30)
    try:
        client.sendcmd("HOST " + HOST)
        client.login(user, password)
    except ftplib.error_perm:
        return False
    finally:
        client.close()
    return True


class VirtualHostReloadTests(unittest.TestCase):
    """
    A virtual host's users file replaced by one that cannot be used, then
    by a good one, each followed by C{SIGHUP}.
    """

    timeout = 300

    def reloads(self, extra, processes):
        """
        Start a server whose default realm is one users file and whose
        virtual host's is another, break the host's file, C{SIGHUP}, then
        put it back with a second user, C{SIGHUP}.

        @param extra: more options.
        @param processes: how many processes reload.
        """
        root = scratchDirectory(self)
        files = scratchDirectory(self)
        default = os.path.join(files, "default.toml")
        hosted = os.path.join(files, "hosted.toml")
        writeText(default, f'[users.bob]\npassword = "{ALICE_HASH}"\n')
        writeText(hosted, f'[users.alice]\npassword = "{ALICE_HASH}"\n')
        os.chmod(default, 0o600)
        os.chmod(hosted, 0o600)
        server = ServerProcess(self, [
            "--root", root, "--auth", "users:" + default,
            "--realm", "users:" + default,
            "--vhost", f"{HOST}=users:{hosted}", *extra])
        if extra:
            server.waitForLog(" ready\n", processes)
        else:
            server.waitForGreeting()
        self.assertTrue(hostLogin(server.port, "alice", "secret"))

        writeText(hosted, "[users.alice\n")
        server.signal(signal.SIGHUP)
        line = NOT_RELOADED.format(path=hosted)
        server.waitForLog(line)
        for _ in range(processes + 1):
            self.assertTrue(hostLogin(server.port, "alice", "secret"))
            server.login("bob", "secret").quit()
        if processes > 1:
            self.assertRegex(server.log(), r"\[workers \d+,\d+ [^]]*\] "
                             + re.escape(line))
        self.assertEqual(server.log().count(line), 1)

        writeText(hosted, f'[users.alice]\npassword = "{ALICE_HASH}"\n'
                  f'[users.carol]\npassword = "{ALICE_HASH}"\n')
        server.signal(signal.SIGHUP)
        server.waitForLog(f"reloaded 2 users from {hosted}")
        for _ in range(processes + 1):
            self.assertTrue(hostLogin(server.port, "carol", "secret"))
        self.assertTrue(server.running())
        self.assertNotIn("Traceback", server.log())

    def test_oneProcess(self):
        """
        In one process.
        """
        self.reloads([], 1)

    def test_workers(self):
        """
        Under C{--workers 2}, in each worker.
        """
        self.reloads(["--workers", "2"], 2)
