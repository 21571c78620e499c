"""
A worker of C{--workers} started again while a users or password file,
or the TLS certificate and key, cannot be used (an operator mid-edit)
serves what they held when last good, as one process keeps it when a
reload fails, instead of failing at start
until the file is fixed (L{ftpkit.deploy.keptfiles}); so it serves while
a transfer log, an C{--on-upload} program or a served directory is gone
(L{ftpkit.deploy.workerroots}), as one process does once started.
"""

import ftplib
import io
import json
import os
import signal

from ftpkit.deploy.workerroots import GONE_SINCE_START
from tests.ftpclient import ftplibLogin
from tests.integration.test_workers_parity import WorkersTestCase, eventWorkers
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess
from tests.tlssupport import clientContext, derOf, makeCertificate
from tests.usersfiles import ALICE_HASH

NOT_RELOADED = "users file not reloaded, keeping the old users: {why}"
"""The C{log_format} of a users or password file that cannot be used."""

CERTIFICATE_NOT_RELOADED = ("TLS certificate not reloaded, keeping the old "
                            "one: {why}")
"""The C{log_format} of a certificate and key that cannot be used."""


def recordsOf(log, logFormat):
    """
    @param log: a server's JSON log.
    @param logFormat: a C{log_format}.
    @return: the records with that format, in order.
    """
    return [record for record in map(json.loads, log.splitlines())
            if record.get("log_format") == logFormat]


def loggers(records):
    """
    @param records: log records of reload outcomes, which the acceptor
        logs once for the workers that logged the same
        (L{ftpkit.ops.workerechoes}).
    @return: the pid of each worker that logged each, in order.
    """
    return [pid for record in records
            for pid in record.get("ftpkit_workers",
                                  [record["ftpkit_worker"]])]


def readyPids(log):
    """
    @param log: a server's JSON log.
    @return: the process id of each worker that said it is ready.
    """
    return [record["pid"] for record in recordsOf(log, "worker {pid} ready")]


class LastGoodTests(WorkersTestCase):
    """
    A worker killed while the users file, or the certificate, is bad
    comes back with what was read last.
    """

    def killOne(self):
        """
        Kill a worker, and wait for the one started in its place.

        @return: C{(survivor, newcomer)}, their process ids.
        """
        server = self.server
        [victim, survivor] = readyPids(server.log())
        os.kill(victim, signal.SIGKILL)
        server.waitForLog(' ready"', 3)
        [newcomer] = [pid for pid in readyPids(server.log())
                      if pid not in (victim, survivor)]
        return survivor, newcomer

    def waitForLoggers(self, logFormat, count):
        """
        Wait for the workers' lines of a reload outcome, which the
        acceptor may hold a moment (L{ftpkit.ops.workerechoes}).

        @param logFormat: the lines' C{log_format}.
        @param count: how many workers are to have logged it.
        @return: the pid of each worker that logged it (L{loggers}).
        """
        return self.server.waitFor(
            lambda: (lambda pids: pids if len(pids) >= count else None)(
                loggers(recordsOf(self.server.log(), logFormat))),
            f"{count} workers logging {logFormat!r}")

    def loginInBoth(self, user, password, client=ftplib.FTP):
        """
        Log C{user} in twice, the first session held open so that the
        second lands in the other worker.

        @param client: the ftplib class to log in with.
        @return: C{(clients, pids)}: the clients, and the workers whose
            C{login} lines name C{user}, once there are two.
        """
        server = self.server
        held = [ftplibLogin(self, server.port, user, password,
                            client=client())
                for _ in range(2)]
        self.assertEqual(self.download(held[0]), b"served\n")
        logins = server.waitFor(
            lambda: (lambda pids: pids if len(pids) == 2 else None)(
                eventWorkers(server.log(), "login", user)),
            f"two logins of {user}")
        return held, logins

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
        with open(path, "w") as f:
            f.write(bad)
        survivor, newcomer = self.killOne()
        _, logins = self.loginInBoth(user, password)
        self.assertEqual(sorted(logins), sorted([survivor, newcomer]))
        self.assertNotIn("exited before it was ready", self.server.log())
        errors = self.waitForLoggers(NOT_RELOADED, 2)
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

    def test_passwordFileRemoved(self):
        """
        C{--auth file:PATH}, the file removed.
        """
        path = os.path.join(scratchDirectory(self), "passwd")
        with open(path, "w") as f:
            f.write("bob:hunter2\n")
        self.start("--log-format", "json", users=f"file:{path}")
        os.unlink(path)
        survivor, newcomer = self.killOne()
        _, logins = self.loginInBoth("bob", "hunter2")
        self.assertEqual(sorted(logins), sorted([survivor, newcomer]))
        log = self.server.log()
        self.assertNotIn("exited before it was ready", log)
        self.assertIn(newcomer, loggers(recordsOf(log, NOT_RELOADED)))

    def test_certificate(self):
        """
        C{--tls-cert} and C{--tls-key}, the certificate renewed but not
        yet its key: the worker started meanwhile presents the old
        certificate, as the other worker does.
        """
        certs = scratchDirectory(self)
        os.mkdir(os.path.join(certs, "new"))
        cert, key, _ = makeCertificate(certs)
        newCert, _, _ = makeCertificate(os.path.join(certs, "new"))
        old = derOf(cert)
        self.start("--tls-cert", cert, "--tls-key", key,
                   "--log-format", "json")
        os.replace(newCert, cert)
        survivor, newcomer = self.killOne()
        held, logins = self.loginInBoth(
            "alice", "secret",
            client=lambda: ftplib.FTP_TLS(context=clientContext()))
        self.assertEqual(sorted(logins), sorted([survivor, newcomer]))
        for ftp in held:
            self.assertEqual(ftp.sock.getpeercert(binary_form=True), old)
        self.assertNotIn("exited before it was ready", self.server.log())
        self.assertEqual(self.waitForLoggers(CERTIFICATE_NOT_RELOADED, 1),
                         [newcomer])

    def test_transferLogGone(self):
        """
        C{--xferlog} in a directory removed since the start: the worker
        started again serves, and its transfers' failed lines are one
        error, as one process's are once started.
        """
        directory = scratchDirectory(self)
        xferlog = os.path.join(directory, "logs", "xferlog")
        os.mkdir(os.path.dirname(xferlog))
        self.start("--log-format", "json", "--xferlog", xferlog)
        os.unlink(xferlog)
        os.rmdir(os.path.dirname(xferlog))
        survivor, newcomer = self.killOne()
        held, logins = self.loginInBoth("alice", "secret")
        self.assertEqual(sorted(logins), sorted([survivor, newcomer]))
        for ftp in held:
            self.assertEqual(self.download(ftp), b"served\n")
        errors = self.server.waitFor(
            lambda: (lambda pids: pids if len(pids) == 2 else None)([
                record["ftpkit_worker"]
                for record in map(json.loads, self.server.log().splitlines())
                if record.get("log_format", "").startswith(
                    "cannot write the transfer log")]),
            "an error of each worker")
        self.assertEqual(sorted(errors), sorted([survivor, newcomer]))
        self.assertNotIn("exited before it was ready", self.server.log())

    def test_uploadCommandGone(self):
        """
        C{--on-upload} whose program was removed since the start: the
        worker started again serves.
        """
        program = os.path.join(scratchDirectory(self), "hook")
        with open(program, "w") as f:
            f.write("#!/bin/sh\n")
        os.chmod(program, 0o755)
        self.start("--log-format", "json", "--on-upload", program)
        os.unlink(program)
        survivor, newcomer = self.killOne()
        held, logins = self.loginInBoth("alice", "secret")
        self.assertEqual(sorted(logins), sorted([survivor, newcomer]))
        for n, ftp in enumerate(held):
            self.assertEqual(
                ftp.storbinary(f"STOR up{n}", io.BytesIO(b"x"))[:3], "226")
            self.assertEqual(self.download(ftp), b"served\n")
        self.assertNotIn("exited before it was ready", self.server.log())

    def goneRecords(self, pid):
        """
        Wait for the line of a worker that cannot serve a directory.

        @param pid: the worker.
        @return: every such line's record, once one is C{pid}'s.
        """
        return self.server.waitFor(
            lambda: (lambda records: records if pid in [
                record["ftpkit_worker"] for record in records] else None)(
                recordsOf(self.server.log(), GONE_SINCE_START)),
            f"worker {pid} saying a served directory is gone")

    def test_rootGone(self):
        """
        C{--root} removed since the start: the worker started again
        serves, as the other does (it failed at start in a loop), each
        login getting C{421} as one process's does once started, and says
        why in one line; once the directory is back, both serve it.
        """
        self.start("--log-format", "json")
        away = self.root + ".away"
        os.rename(self.root, away)
        survivor, newcomer = self.killOne()
        refused = self.assertRaises(ftplib.error_temp, ftplibLogin, self,
                                    self.server.port)
        self.assertEqual(str(refused)[:4], "421 ")
        [record] = self.goneRecords(newcomer)
        self.assertEqual(record["root"], self.root)
        os.rename(away, self.root)
        _, logins = self.loginInBoth("alice", "secret")
        self.assertEqual(sorted(logins), sorted([survivor, newcomer]))
        self.assertNotIn("exited before it was ready", self.server.log())

    def test_defaultRootGone(self):
        """
        No C{--root}, and the directory the server was started in (its
        root) removed since: the worker started again serves the root
        the acceptor resolved at its start, as the other does, saying it
        is gone; once it is back, both serve it. It failed at start in a
        loop, a C{FileNotFoundError} traceback each time: it read the
        default, its own current directory, itself.
        """
        os.unlink(os.path.join(self.root, "f.txt"))
        self.server = ServerProcess(self, [
            "--auth", "memory:alice:secret", "--workers", "2",
            "--log-format", "json"], cwd=self.root)
        self.server.waitForLog(' ready"', 2)
        os.rmdir(self.root)
        survivor, newcomer = self.killOne()
        [record] = self.goneRecords(newcomer)
        self.assertEqual(record["root"], self.root)
        os.mkdir(self.root)
        with open(os.path.join(self.root, "f.txt"), "wb") as f:
            f.write(b"served\n")
        _, logins = self.loginInBoth("alice", "secret")
        self.assertEqual(sorted(logins), sorted([survivor, newcomer]))
        log = self.server.log()
        self.assertNotIn("exited before it was ready", log)
        self.assertNotIn("Traceback", log)

    def test_vhostRootGone(self):
        """
        A C{--vhost-root} removed since the start: the worker started
        again serves the other hosts, and says why in one line.
        """
        site = os.path.join(scratchDirectory(self), "site")
        os.mkdir(site)
        self.start("--log-format", "json", "--vhost",
                   "site.example=filesystem", "--vhost-root",
                   f"site.example={site}")
        os.rmdir(site)
        survivor, newcomer = self.killOne()
        [record] = self.goneRecords(newcomer)
        self.assertEqual(record["root"], site)
        _, logins = self.loginInBoth("alice", "secret")
        self.assertEqual(sorted(logins), sorted([survivor, newcomer]))
        self.assertNotIn("exited before it was ready", self.server.log())

    def test_relativePathsDirectoryGone(self):
        """
        Every option naming a path relative to the directory the server
        was started in (C{--root}, C{--auth users:} and C{file:},
        C{--xferlog}, C{--on-upload}, C{--tls-cert} and C{--tls-key}),
        that directory removed since: the worker started again takes them
        from where the acceptor did, logs users in, writes the transfer
        log and runs the command, as the other does, and a C{SIGHUP}
        reload reads the files by the same absolute paths. It failed at
        start in a loop (C{FileNotFoundError} from C{os.path.abspath},
        logged as 'cannot write to standard output').
        """
        base = scratchDirectory(self)
        run, etc = os.path.join(base, "run"), os.path.join(base, "etc")
        os.mkdir(run)
        os.mkdir(etc)
        users = os.path.join(etc, "users.toml")
        with open(users, "w") as f:
            f.write(f'[users.alice]\npassword = "{ALICE_HASH}"\n'
                    'permissions = ["list", "read", "write"]\n')
        with open(os.path.join(etc, "passwd"), "w") as f:
            f.write("bob:pw\n")
        hook = os.path.join(etc, "hook.sh")
        with open(hook, "w") as f:
            f.write(f'#!/bin/sh\necho "$FTPKIT_PATH" >> {etc}/hook.out\n')
        os.chmod(hook, 0o755)
        makeCertificate(etc)
        self.server = ServerProcess(self, [
            "--root", os.path.relpath(self.root, run),
            "--auth", "users:../etc/users.toml", "--auth", "file:../etc/passwd",
            "--xferlog", "../etc/xfer.log", "--on-upload", "../etc/hook.sh",
            "--tls-cert", "../etc/server.crt", "--tls-key", "../etc/server.key",
            "--workers", "2", "--log-format", "json"], cwd=run)
        self.server.waitForLog(' ready"', 2)
        os.rmdir(run)
        survivor, newcomer = self.killOne()
        held, logins = self.loginInBoth("alice", "secret")
        self.assertEqual(sorted(logins), sorted([survivor, newcomer]))
        for n, ftp in enumerate(held):
            self.assertEqual(
                ftp.storbinary(f"STOR up{n}", io.BytesIO(b"x"))[:3], "226")
        ran = os.path.join(etc, "hook.out")
        self.server.waitFor(
            lambda: os.path.exists(ran) and len(open(ran).readlines()) == 2,
            "the upload command run twice")
        with open(os.path.join(etc, "xfer.log")) as f:
            stored = [line.split()[8] for line in f if " i " in line]
        self.assertEqual(sorted(stored), ["/up0", "/up1"])
        self.server.signal(signal.SIGHUP)
        # One line a file, naming both workers (ftpkit.ops.workerechoes).
        reloads = self.server.waitFor(
            lambda: (lambda records: records if len(
                loggers(records)) == 4 else None)(
                recordsOf(self.server.log(), "reloaded {count} user from "
                          "{path}")),
            "each worker reloading both files")
        self.assertEqual(
            sorted((pid, record["path"]) for record in reloads
                   for pid in loggers([record])),
            sorted((pid, path) for pid in (survivor, newcomer)
                   for path in (users, os.path.join(etc, "passwd"))))
        log = self.server.log()
        self.assertNotIn("exited before it was ready", log)
        self.assertNotIn("Traceback", log)
