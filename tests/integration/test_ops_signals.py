"""
Signals an operator sends a running or starting server: C{SIGTERM} with
C{--on-upload} commands still to run, a C{SIGHUP} reload's outcome under
C{--workers} (one line, not one a worker), and C{SIGUSR1}, C{SIGUSR2} and
C{SIGQUIT} while C{twistd ftpkit} loads its options.

Notes of the sweeps of the operating surfaces (sessions 30 and 31) that
no test here keeps:

Tried and held in session 30 (C{twistd -n ftpkit}, in one process and
with C{--workers 2}, in clear and with C{--tls-cert} and C{PROT P}):
C{SIGHUP} twice while a 50 MB download, a 20 MB upload and a loop of
0-byte downloads, 0-byte uploads and listings of an empty directory ran
(every transfer finished whole; one C{SIGHUP: reloading} line a process a
signal, the acceptor's C{SIGHUP: reloading 2 workers} once; C{/metrics}
counted 41 C{RETR}, 41 C{STOR} and 40 C{LIST} in both modes); C{SIGUSR1}
and C{SIGUSR2} during the same transfers (nothing cut, no line);
C{SIGTERM} and C{SIGINT} during them (the transfers finished, the idle
session got 421, new connections were refused as the listener closed, one
C{stopping:} line a process, the process exited); wrong values for every
option of C{twistd ftpkit --help} (negative, zero, huge, malformed, empty,
missing and unreadable files, options that need or contradict others):
each a one-line usage error, no traceback; encrypted, mismatched, junk
and FIFO keys for C{--tls-key} and C{ssl:} listeners. Also held:
C{SIGHUP} after a users file gave alice C{read-only} and bob a new
password (every new login on either worker saw both, the session logged
in before kept its rights); a renewed certificate under
C{--tls-require-session-reuse}, TLS 1.2 and 1.3 (the session logged in
before still resumed its TLS session on each data connection); three
C{SIGUSR1} rotations under C{--workers 2} during 450 downloads (450
lines over the four files, none twice); C{SIGHUP}, C{SIGTERM},
C{SIGUSR1} and C{SIGINT} during a drain (one line each, the transfers
finished); C{/metrics} after a reload with failed logins, a refused
upload, a cut download and listings: the same series and values in
both modes.

Found and left in session 30: C{--max-passive-per-ip} over half of
C{--passive-ports} was cut to that half without a word (fixed in the same
session: a warning at start, tests/unit/test_tapservice.py
test_passiveCapWarning).

Found and left in session 31:
  - C{SIGINT} (Ctrl-C) while C{twistd -n ftpkit} imports ftpkit's options
    (a second under load, before they parse and install the quiet
    handler of L{ftpkit.deploy.startinterrupt}) is still Python's
    C{KeyboardInterrupt} traceback: the plugin, which runs first, cannot
    see whether C{twistd} was given C{-n}, and a daemon's start keeps
    the default (C{python -m ftpkit} is quiet from its first line);
  - a worker's own C{SIGHUP: reloading users and certificates} line
    stays one a worker (under the acceptor's C{reloading 2 workers}):
    it says that worker got the word, and the signal tests read it.

Tried and held in session 31: every row of L{tests.badoptions} parsed
again with C{--workers 2} (each the same usage error); C{SIGHUP},
C{SIGUSR1}, C{SIGUSR2}, C{SIGTERM} and C{SIGINT}, each twice 10 ms apart,
0.05 to 2 seconds after C{twistd -n ftpkit} was started, in one process
and with C{--workers 2} (past Python's and C{twistd}'s own start-up,
under 0.8 seconds, no process ended but by C{SIGTERM} and C{SIGINT}, no
traceback but C{SIGINT}'s above); C{--xferlog /dev/full} (one error line,
the transfers served); timeouts and C{--shutdown-grace} of 99999999999999
seconds (served).

Tried and held in session 35 (C{twistd -n ftpkit} and C{twistd ftpkit}
daemonized with C{--pidfile} and C{--logfile}, each alone and with
C{--workers 2}, text and JSON): one C{login}, C{login-failed},
C{logout}, C{transfer}, C{change}, C{refusal} and C{connection-refused}
line per thing done, three C{--xferlog} lines for three transfers;
C{/metrics} with the docs' series and labels, its logins, transfers,
bytes and refusals as the clients did them, C{ftpkit_sessions} back at
0; C{SIGHUP} with a users file and certificate changed during a paced
download (and an C{ssl:} listener's), then with a broken users file;
C{SIGTERM} and C{SIGINT} drains, a second one, and C{SIGHUP}, during
them, with the grace kept and run out; C{haproxy:} clients' addresses
in the log, the transfer log and C{/sessions}; the paced rates; some 60
bad option combinations (one line each). Found and fixed: the moved
C{--logfile} (L{tests.unit.test_logfiles}).

Tried and held in session 36: the docs' systemd unit (C{systemd-analyze
verify}: no warning; run by hand, C{twistd -n} with C{--workers 2}):
C{SIGHUP} twice during four paced 20 MB downloads (each whole, one
C{reloading} line a process a signal), a worker killed with C{SIGKILL}
and replaced (no counter of C{/metrics} went down, C{ftpkit_sessions} 0,
a download served by the new worker, the next C{SIGHUP} reaching it),
C{SIGTERM} (status 143, the pid file removed); C{logrotate} 3.21 with
the docs' stanzas (C{create}, with and without C{postrotate}) twice
during downloads under C{--workers 2} and C{--log-rotate-size 0}: five
C{RETR} lines and five C{--xferlog} lines over the three files of each,
none lost or twice; a C{--pidfile} of a running server (one line,
exit 1) and of a reused pid, daemonized; some 40 bad option
combinations over every option group, in-process and through C{twistd}
(one line each, exit status 1, as the contract says). Found and fixed:
C{twistd}'s rotation by size renaming C{logrotate}'s files, and its
stale size count after C{copytruncate} (C{--log-rotate-size},
L{tests.unit.test_logfiles}); a moved log file noticed only at
C{SIGUSR1}; a reused pid in C{--pidfile} stopping the start
(L{tests.unit.test_pidfiles}); the pid file left by a C{SIGTERM} just
after the C{listening on} line (L{tests.integration.test_startinterrupt});
a failed reload invisible in C{/metrics}
(L{tests.unit.test_reloadmetrics}); no golden file for the reload lines
(L{tests.integration.test_reloadgolden36}, which held). Found and left:
C{--umask 777} (or any mask taking the owner's read bit) is taken, and
the server's own account (unless root) then cannot read back what was
uploaded; C{python -m ftpkit.passwd} and C{pgadmin} (argparse) exit 2 on
a usage error, the server 1, and C{python -m ftpkit.who --bogus} prints
its usage alone, not what was wrong.
"""

import ftplib
import io
import json
import os
import re
import signal
import subprocess
import sys

from twisted.trial import unittest

from ftpkit.deploy.stopsignals import QUITTING
from ftpkit.ops.workerechoes import (
    CERTIFICATE_NOT_RELOADED,
    CERTIFICATE_RELOADED,
    USERS_NOT_RELOADED,
    USERS_RELOADED_ONE,
)
from tests.integration.test_workers_parity import WorkersTestCase
from tests.scratch import scratchDirectory
from tests.serverprocess import ServerProcess
from tests.sitescripts import AT_WORKER_OR_IMPORT, sitePath
from tests.tlssupport import makeCertificate
from tests.twistdrun import SOURCE
from tests.usersfiles import ALICE_HASH

HOOK = """#!/bin/sh
echo "start $FTPKIT_PATH" >> "$0.out"
{sleep}
echo "done $FTPKIT_PATH" >> "$0.out"
"""
"""An C{--on-upload} command noting when it starts and ends."""


class UploadCommandsAtStopTests(unittest.TestCase):
    """
    C{SIGTERM} lets the C{--on-upload} commands of the uploads that
    completed run, within C{--shutdown-grace}, as it lets transfers
    finish: the process ended at once, leaving those running without
    anyone to log how they ended, and those waiting their turn (at most
    four run at once) were never run, without a line, so that an upload
    the command was to scan or ingest was silently left out of it at
    every restart.
    """

    timeout = 120

    def serve(self, sleep, grace):
        """
        Start C{python -m ftpkit} with an C{--on-upload} command that
        runs C{sleep}, upload six files, and stop it with C{SIGTERM}.

        @param sleep: the command's line that takes its time.
        @param grace: C{--shutdown-grace}.
        @return: C{(status, log, lines the commands wrote)}.
        """
        directory = scratchDirectory(self)
        root = os.path.join(directory, "root")
        os.mkdir(root)
        hook = os.path.join(directory, "hook.sh")
        with open(hook, "w") as f:
            f.write(HOOK.format(sleep=sleep))
        os.chmod(hook, 0o755)
        server = subprocess.Popen(
            [sys.executable, "-m", "ftpkit", "--root", root,
             "--listen", "tcp:0:interface=127.0.0.1",
             "--auth", "memory:alice:secret", "--on-upload", hook,
             "--shutdown-grace", str(grace)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, env=dict(os.environ, PYTHONPATH=SOURCE))
        self.addCleanup(server.stdout.close)
        self.addCleanup(lambda: server.poll() is None and server.kill())
        log = []
        for line in server.stdout:
            log.append(line.decode())
            found = re.search(r"listening on \S+ port (\d+)", log[-1])
            if found:
                break
        client = ftplib.FTP()
        client.connect("127.0.0.1", int(found.group(1)), timeout=30)
        client.login("alice", "secret")
        for number in range(6):
            client.storbinary(f"STOR {number}.bin", io.BytesIO(b"x"))
        client.quit()
        server.send_signal(signal.SIGTERM)
        log.extend(line.decode() for line in server.stdout)
        server.wait()
        try:
            with open(hook + ".out") as f:
                ran = f.read().split("\n")
        except FileNotFoundError:
            ran = []
        return server.returncode, "".join(log), sorted(filter(None, ran))

    def test_commandsFinish(self):
        """
        The commands running and those waiting their turn all run, and
        the server ends once they have.
        """
        status, log, ran = self.serve("sleep 1", 30)
        self.assertEqual(status, -signal.SIGTERM, log)
        self.assertEqual(ran, sorted(
            [f"start /{n}.bin" for n in range(6)]
            + [f"done /{n}.bin" for n in range(6)]), log)

    def test_graceOver(self):
        """
        Those still running when the grace is over are killed, each
        logged, and those that did not run are named in one line.
        """
        # exec: the shell killed leaves no sleep behind.
        status, log, ran = self.serve("exec sleep 60", 1)
        self.assertEqual(status, -signal.SIGTERM, log)
        self.assertEqual(ran, [f"start /{n}.bin" for n in range(4)], log)
        self.assertEqual(log.count("killed at shutdown"), 4, log)
        self.assertIn("--on-upload command not run for 2 upload(s) at "
                      "shutdown: '/4.bin' by 'alice' from 127.0.0.1, "
                      "'/5.bin' by 'alice' from 127.0.0.1", log)


class ReloadOutcomeTests(WorkersTestCase):
    """
    Under C{--workers 2}, a C{SIGHUP} reload's outcome is one line for
    both workers, as it is one line in one process.
    """

    def test_failedAndDone(self):
        """
        A users file and a certificate made unusable: one error line each,
        naming both workers; made good again: one C{reloaded} line each.
        """
        directory = scratchDirectory(self)
        users = os.path.join(directory, "users.toml")
        with open(users, "w") as f:
            f.write(f'[users.alice]\npassword = "{ALICE_HASH}"\n')
        cert, key, _ = makeCertificate(directory)
        self.start("--tls-cert", cert, "--tls-key", key,
                   "--log-format", "json", users=f"users:{users}")
        good = {path: open(path).read() for path in (users, cert)}
        for path in (users, cert):
            with open(path, "w") as f:
                f.write("[junk\n")
        self.server.signal(signal.SIGHUP)
        self.assertOncePerReload([USERS_NOT_RELOADED,
                                  CERTIFICATE_NOT_RELOADED], 1)
        for path, content in good.items():
            with open(path, "w") as f:
                f.write(content)
        self.server.signal(signal.SIGHUP)
        self.assertOncePerReload([USERS_RELOADED_ONE, CERTIFICATE_RELOADED],
                                 1)
        # No worker logged a line of its own later: the acceptor logs
        # what it holds when the workers exit (WorkerEchoes.flush), so
        # the whole log of the stopped server has every line it held.
        self.server.stop()
        log = list(map(json.loads, self.server.log().splitlines()))
        self.assertEqual(
            [len([record for record in log
                  if record.get("log_format") == each])
             for each in (USERS_NOT_RELOADED, CERTIFICATE_NOT_RELOADED,
                          USERS_RELOADED_ONE, CERTIFICATE_RELOADED)],
            [1, 1, 1, 1])

    def assertOncePerReload(self, formats, count):
        """
        Wait for C{count} lines of each of C{formats}, then check that
        each names both workers (that no other comes later is checked
        once the server stopped).

        @param formats: C{log_format}s.
        @param count: how many lines of each the log must hold.
        """
        def records():
            log = list(map(json.loads, self.server.log().splitlines()))
            found = [[record for record in log
                      if record.get("log_format") == each]
                     for each in formats]
            return found if all(len(each) >= count for each in found) \
                else None

        found = self.server.waitFor(records, f"{count} x {formats}")
        workers = sorted(
            record["pid"] for record in map(json.loads,
                                            self.server.log().splitlines())
            if record.get("log_format") == "worker {pid} ready")
        for each in found:
            self.assertEqual([sorted(record["ftpkit_workers"])
                              for record in each], [workers] * count)


SIGNALS_AT_OPTIONS = """\
import os, signal, sys

MODULE = "ftpkit.deploy.tap"


def act():
    for number in (signal.SIGUSR1, signal.SIGUSR2, signal.SIGQUIT):
        os.kill(os.getpid(), number)
""" + AT_WORKER_OR_IMPORT
"""
A C{sitecustomize} sending its process C{SIGUSR1}, C{SIGUSR2} and
C{SIGQUIT} as it begins to load ftpkit's options (after C{twistd} chose
the C{ftpkit} subcommand), and a worker at its first moment.
"""


class SignalsWhileLoadingTests(unittest.TestCase):
    """
    The signals a server holds while it starts are held from the moment
    C{twistd} picks the C{ftpkit} subcommand, before ftpkit's options
    load (a second under load).
    """

    timeout = 120

    def test_userSignalsAndQuit(self):
        """
        C{SIGUSR1}, C{SIGUSR2} and C{SIGQUIT} while C{twistd ftpkit}
        loads its options end nothing (their default actions ended the
        server, silently, or with a core dump): it listens, then
        C{SIGQUIT}, held meanwhile, stops it with its line, status 0.
        """
        root = scratchDirectory(self)
        server = ServerProcess(
            self, ["--root", root, "--auth", "anonymous"], twistd=True,
            env={"PYTHONPATH": sitePath(self, SIGNALS_AT_OPTIONS)})
        status = server.process.wait(timeout=60)
        log = server.log()
        self.assertEqual(status, 0, log)
        self.assertIn("ftpkit listening on 127.0.0.1", log)
        self.assertIn(QUITTING, log)
        self.assertNotIn("Traceback", server.log())
