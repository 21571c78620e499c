"""
A worker of C{--workers} started again while a users or password file
cannot be used (an operator mid-edit) serves the users read last, as one
process keeps them when a reload fails, instead of failing at start
until the file is fixed (L{ftpkit.deploy.keptfiles}).
"""

import json
import os
import signal

from tests.ftpclient import ftplibLogin
from tests.integration.test_users import ALICE_HASH
from tests.integration.test_workers_parity import WorkersTestCase, eventWorkers
from tests.scratch import scratchDirectory

NOT_RELOADED = "users file not reloaded, keeping the old users: {why}"
"""The C{log_format} of a users or password file that cannot be used."""


def recordsOf(log, logFormat):
    """
    @param log: a server's JSON log.
    @param logFormat: a C{log_format}.
    @return: the records with that format, in order.
    """
    return [record for record in map(json.loads, log.splitlines())
            if record.get("log_format") == logFormat]


def readyPids(log):
    """
    @param log: a server's JSON log.
    @return: the process id of each worker that said it is ready.
    """
    return [record["pid"] for record in recordsOf(log, "worker {pid} ready")]


class LastGoodUsersTests(WorkersTestCase):
    """
    A worker killed while the users file is bad comes back with the
    users read last.
    """

    def killOneWithBadFile(self, path, bad, user, password):
        """
        Start with C{path} good, write C{bad} to it, kill a worker, and
        check that the worker started in its place logs C{user} in, as
        the other one does, with one error line each.

        @param path: the file, given to C{--auth}.
        @param bad: what it then holds, which cannot be used.
        @param user: a user of its good content.
        @param password: that user's password.
        """
        server = self.server
        [victim, survivor] = readyPids(server.log())
        with open(path, "w") as f:
            f.write(bad)
        os.kill(victim, signal.SIGKILL)
        server.waitForLog(' ready"', 3)
        [newcomer] = [pid for pid in readyPids(server.log())
                      if pid not in (victim, survivor)]
        # A session held open in one worker sends the next to the other.
        held = [ftplibLogin(self, server.port, user, password)
                for _ in range(2)]
        self.assertEqual(self.download(held[0]), b"served\n")
        logins = server.waitFor(
            lambda: (lambda pids: pids if len(pids) == 2 else None)(
                eventWorkers(server.log(), "login", user)),
            f"two logins of {user}")
        self.assertEqual(sorted(logins), sorted([survivor, newcomer]))
        log = server.log()
        self.assertNotIn("exited before it was ready", log)
        errors = [record["ftpkit_worker"]
                  for record in recordsOf(log, NOT_RELOADED)]
        self.assertEqual(sorted(errors), sorted([survivor, newcomer]))

    def test_usersFile(self):
        """
        C{--auth users:PATH}.
        """
        path = os.path.join(scratchDirectory(self), "users.toml")
        with open(path, "w") as f:
            f.write(f'[users.alice]\npassword = "{ALICE_HASH}"\n'
                    'permissions = ["list", "read"]\n')
        self.start("--log-format", "json", users=f"users:{path}")
        self.killOneWithBadFile(path, "[users.alice\n", "alice", "secret")

    def test_passwordFile(self):
        """
        C{--auth file:PATH}.
        """
        path = os.path.join(scratchDirectory(self), "passwd")
        with open(path, "w") as f:
            f.write("bob:hunter2\n")
        self.start("--log-format", "json", users=f"file:{path}")
        self.killOneWithBadFile(path, "bob hunter2\n", "bob", "hunter2")
