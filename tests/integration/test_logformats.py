"""
What a real server writes to its log: C{--log-format json}, and the
fail2ban filter in C{contrib/fail2ban} run by C{fail2ban-regex} against
a real log.
"""

import ftplib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys

from twisted.logger import ILogObserver, LogLevel
from twisted.python import usage
from twisted.trial import unittest

from ftpkit.compat.logfiles import MovableLogFile
from ftpkit.deploy import twistdpaths
from ftpkit.deploy.tap import Options
from ftpkit.ops import logformat, syslogsend
from ftpkit.ops.eventlog import REFUSAL_LINES
from ftpkit.ops.logformat import logFormat
from ftpkit.ops.textformat import ClassicTextFormatter
from tests.scratch import scratchDirectory, syslogReceiver
from tests.serverprocess import ServerProcess, startServer
from tests.signalstate import keepSignalState
from tests.syslogreceivers import received, receiver
from tests.twistdrun import SOURCE

FILTER = os.path.join(SOURCE, "contrib", "fail2ban", "ftpkit.conf")


def failLogin(server, user):
    """
    Try to log in as C{user} with a wrong password.
    """
    ftp = ftplib.FTP()
    ftp.connect("127.0.0.1", server.port, timeout=10)
    try:
        ftp.login(user, "wrong")
    except ftplib.error_perm:
        pass
    finally:
        ftp.close()


class OptionTests(unittest.TestCase):
    """
    C{--log-format} takes C{text} or C{json}.
    """

    def test_values(self):
        self.assertEqual(logFormat("json"), "json")
        self.assertRaises(ValueError, logFormat, "xml")

    def test_usageError(self):
        options = Options()
        error = self.assertRaises(usage.UsageError, options.parseOptions,
                                  ["--log-format", "xml"])
        self.assertEqual(str(error),
                         "--log-format: must be text or json, not 'xml'")

    def test_config(self):
        options = Options()
        options.parseOptions(["--log-format", "json"])
        self.assertEqual(options["config"].logFormat, "json")

    def test_xferlogUsageError(self):
        """
        A C{--xferlog} that cannot be appended to is a one-line usage
        error; a good one is in the config, absolute.
        """
        options = Options()
        error = self.assertRaises(usage.UsageError, options.parseOptions,
                                  ["--xferlog", "/nonexistent/dir/xferlog"])
        self.assertEqual(
            str(error), "--xferlog: cannot append to "
            "'/nonexistent/dir/xferlog': No such file or directory")
        options = Options()
        options.parseOptions(["--xferlog", self.mktemp()])
        self.assertTrue(os.path.isabs(options["config"].xferlog))


def refuseMany(ftp, count):
    """
    Have C{count} commands refused (C{550} to C{CWD} of a missing
    directory) in the session of C{ftp}.
    """
    for _ in range(count):
        try:
            ftp.cwd("/missing")
        except ftplib.error_perm:
            pass


class TwistdObserverTests(unittest.TestCase):
    """
    Parsing the options under C{twistd} names ftpkit's observer for the
    format as C{twistd}'s C{--logger}, unless C{--logger} or (for text)
    C{--syslog} chose otherwise.
    """

    def setUp(self):
        # What --syslog sends to: a socket of this test, wherever the
        # machine has no syslog daemon (twistdpaths.syslogError).
        self.patch(twistdpaths, "SYSLOG_SOCKET", syslogReceiver(self))

    def parse(self, *arguments, **twistd):
        parent = {"logger": None, "logfile": None, "nodaemon": True,
                  "syslog": False}
        parent.update(twistd)
        options = Options()
        options.parent = parent
        # Parsed as twistd's, the options hold the start's signals (and
        # take SIGINT and SIGTERM): not for the tests after.
        keepSignalState(self)
        options.parseOptions(list(arguments))
        return parent

    def test_text(self):
        """
        C{text} (the default): ftpkit's text observer, on standard output
        with C{--nodaemon}.
        """
        parent = self.parse()
        self.assertEqual(parent["logger"],
                         "ftpkit.ops.logformat.textTwistdObserver")
        output = io.StringIO()
        self.patch(sys, "stdout", output)
        observer = logformat.textTwistdObserver()
        self.assertIsInstance(observer.formatEvent, ClassicTextFormatter)
        observer({"log_format": "hello {who}", "who": "there",
                  "log_namespace": "x", "log_level": None, "log_time": 0.0})
        self.assertTrue(output.getvalue().endswith(" [x#-] hello there\n"),
                        output.getvalue())

    def test_json(self):
        """
        C{json}: the JSON observer.
        """
        parent = self.parse("--log-format", "json")
        self.assertEqual(parent["logger"],
                         "ftpkit.ops.logformat.jsonTwistdObserver")

    def test_logFile(self):
        """
        With C{--logfile}, the text goes to that file, rotated on
        C{SIGUSR1}.
        """
        self.addCleanup(signal.signal, signal.SIGUSR1,
                        signal.getsignal(signal.SIGUSR1))
        signal.signal(signal.SIGUSR1, signal.SIG_DFL)
        path = os.path.abspath(self.mktemp())
        self.parse(logfile=path, nodaemon=False)
        opened = []
        fromFullPath = MovableLogFile.fromFullPath

        def keep(*args, **kwargs):
            opened.append(fromFullPath(*args, **kwargs))
            self.addCleanup(opened[-1].close)
            return opened[-1]

        self.patch(MovableLogFile, "fromFullPath", keep)
        observer = logformat.textTwistdObserver()
        self.assertEqual([each.path for each in opened], [path])
        observer({"log_format": "hello {who}", "who": "there",
                  "log_namespace": "x", "log_level": None, "log_time": 0.0})
        with open(path) as f:
            self.assertTrue(f.read().endswith(" [x#-] hello there\n"))
        self.assertNotEqual(signal.getsignal(signal.SIGUSR1), signal.SIG_DFL)

    def openedSize(self, *arguments):
        """
        @param arguments: ftpkit's options, given with C{twistd
            --logfile}.
        @return: the C{rotateLength} of the log file the observer opens.
        """
        self.addCleanup(signal.signal, signal.SIGUSR1,
                        signal.getsignal(signal.SIGUSR1))
        self.parse(*arguments, logfile=os.path.abspath(self.mktemp()),
                   nodaemon=False)
        opened = logformat.twistdLogFile(logformat._twistdOptions)
        self.addCleanup(opened.close)
        return opened.rotateLength

    def test_rotateSize(self):
        """
        C{--log-rotate-size} sets the size at which C{--logfile} rotates
        (C{0}: never; twistd's million bytes by default).
        """
        self.assertEqual(self.openedSize(), 1000000)
        self.assertEqual(self.openedSize("--log-rotate-size", "64K"), 65536)
        self.assertIsNone(self.openedSize("--log-rotate-size", "0"))

    def test_rotateSizeWithoutFile(self):
        """
        C{--log-rotate-size} where ftpkit writes no log file (standard
        output, syslog, another C{--logger}) is a usage error: one line,
        exit status 1.
        """
        for twistd, why in [
                ({}, "the log is standard output"),
                ({"logfile": "-"}, "the log is standard output"),
                ({"syslog": True}, "the log goes to syslog"),
                ({"logger": "my.observer", "logfile": "/tmp/x.log"},
                 "twistd's --logger writes the log")]:
            errors = io.StringIO()
            self.patch(Options, "errorOutput", errors)
            error = self.assertRaises(
                SystemExit, self.parse, "--log-rotate-size", "0", **twistd)
            self.assertEqual(error.code, 1)
            line, = errors.getvalue().splitlines()
            self.assertIn(f"--log-rotate-size: {why}", line)
            self.assertIn("there is no log file to rotate", line)

    def test_underTwist(self):
        """
        Under C{python -m twisted} (C{twist}, whose options have its
        C{logFile} and none of C{twistd}'s), which logs as its own
        C{--log-format} says and never rotates its file, C{--log-rotate-size}
        and C{--log-format} (C{json} or C{text}) are usage errors saying
        so, and what to give instead: all were taken, and did nothing
        (C{text} until session 46: twist wrote JSON all the same where its
        output was no terminal).
        """
        for arguments, start in [
                (["--log-rotate-size", "1M"],
                 "--log-rotate-size: python -m twisted writes its own log"),
                (["--log-format", "json"],
                 "--log-format: python -m twisted writes its log in its own "
                 "format: give json to its --log-format, before ftpkit "
                 "(python -m twisted --log-format json ftpkit ...)"),
                (["--log-format", "text"],
                 "--log-format: python -m twisted writes its log in its own "
                 "format: give text to its --log-format, before ftpkit "
                 "(python -m twisted --log-format text ftpkit ...)")]:
            ran = subprocess.run(
                [sys.executable, "-m", "twisted", "ftpkit", *arguments,
                 "--listen", "tcp:0:interface=127.0.0.1"],
                cwd=SOURCE, capture_output=True, text=True, timeout=120)
            self.assertEqual(ran.returncode, 1, ran.stdout + ran.stderr)
            line, = (ran.stdout + ran.stderr).splitlines()
            self.assertIn(f"python -m twisted ftpkit: {start}", line)
        # twist's own options, as ftpkit's see them: its log file, none of
        # twistd's; without --log-format, ftpkit's options parse.
        options = Options()
        options.parent = {"logFile": sys.stdout, "logFormat": None}
        # As parse: the options block SIGHUP until the service starts (it
        # was left blocked, and test_tapservice's HangupAtStartTests
        # failed after this test).
        keepSignalState(self)
        options.parseOptions([])
        self.assertEqual(options["config"].logFormat, "text")

    def test_daemonStandardOutput(self):
        """
        C{--logfile -} without C{--nodaemon} ends C{twistd} with its own
        message.
        """
        self.parse(logfile="-", nodaemon=False)
        error = self.assertRaises(SystemExit, logformat.textTwistdObserver)
        self.assertEqual(str(error), "Daemons cannot log to stdout, exiting!")

    def test_syslog(self):
        """
        C{--syslog}: ftpkit's text syslog observer (C{twistd}'s, sending
        without waiting for the daemon), under C{twistd}'s C{--prefix}.
        """
        sock, path = receiver(self)
        self.patch(syslogsend, "SYSLOG_SOCKET", path)
        parent = self.parse(syslog=True, prefix="ftpd")
        self.assertEqual(parent["logger"],
                         "ftpkit.ops.logformat.textSyslogObserver")
        observer = logformat.textSyslogObserver()
        observer({"log_format": "hello {who}", "who": "there",
                  "log_namespace": "x", "log_level": LogLevel.warn,
                  "log_time": 0.0, "log_system": "sys"})
        [message] = received(sock)
        self.assertTrue(message.startswith(b"<14>"))
        self.assertTrue(message.endswith(b" ftpd: [sys] hello there"))
        self.assertTrue(ILogObserver.providedBy(observer))

    def test_syslogJSON(self):
        """
        C{--syslog} with C{json}: ftpkit's JSON syslog observer, under
        C{twistd}'s C{--prefix} (the records went to C{twistd.log}, and
        syslog got nothing).
        """
        sock, path = receiver(self)
        self.patch(syslogsend, "SYSLOG_SOCKET", path)
        parent = self.parse("--log-format", "json", syslog=True,
                            prefix="ftpd")
        self.assertEqual(parent["logger"],
                         "ftpkit.ops.logformat.jsonSyslogObserver")
        observer = logformat.jsonSyslogObserver()
        observer({"log_format": "hello {who}", "who": "there",
                  "log_namespace": "x", "log_level": LogLevel.warn,
                  "log_time": 0.0})
        [message] = received(sock)
        self.assertTrue(message.startswith(b"<12>"))
        record = json.loads(message.split(b" ftpd: ", 1)[1])
        self.assertEqual((record["who"], record["log_namespace"]),
                         ("there", "x"))
        self.assertTrue(ILogObserver.providedBy(observer))

    def test_logger(self):
        """
        A C{--logger} given stays.
        """
        for format in logformat.FORMATS:
            parent = self.parse("--log-format", format, logger="my.observer")
            self.assertEqual(parent["logger"], "my.observer")


class JSONLogTests(unittest.TestCase):
    """
    C{--log-format json}: every line of the log is one JSON object, with
    the documented fields.
    """

    timeout = 60

    def test_jsonLines(self):
        """
        One process.
        """
        self.check()

    def test_workers(self):
        """
        Under C{--workers} the workers' events reach the acceptor's log
        with their fields.
        """
        self.check("--workers", "2")

    def check(self, *options):
        server, _ = startServer(self, "--log-format", "json",
                                "--shutdown-grace", "2.5", *options)
        ftp = server.login("alice", "secret")
        ftp.storbinary("STOR a.bin", io.BytesIO(b"x" * 100))
        refuseMany(ftp, REFUSAL_LINES + 3)
        ftp.quit()
        server.waitForLog('"ftpkit_event": "logout"')
        # Idle at SIGTERM: the drain's line names it, and the grace.
        idle = server.login("alice", "secret")
        self.addCleanup(idle.close)
        server.stop()
        records = [json.loads(line) for line in server.log().splitlines()
                   if line.strip()]
        byKind = {}
        for record in records:
            # The first of each: the idle session's come after.
            byKind.setdefault(record.get("ftpkit_event"), record)
        self.assertEqual(byKind["login"]["user"], "alice")
        self.assertEqual(byKind["login"]["peer"], "127.0.0.1")
        self.assertEqual(byKind["login"]["log_namespace"], "ftpkit")
        transfer = byKind["transfer"]
        self.assertEqual(
            (transfer["command"], transfer["path"], transfer["code"],
             transfer["bytes"]), ("STOR", "/a.bin", 226, 100))
        self.assertIsInstance(transfer["seconds"], float)
        self.assertEqual(byKind["logout"]["bytes_in"], 100)
        self.assertEqual(byKind["logout"]["session"],
                         byKind["login"]["session"])
        notLogged = byKind["refusals-not-logged"]
        self.assertEqual(
            (notLogged["count"], notLogged["user"], notLogged["peer"],
             notLogged["session"]),
            (3, "alice", "127.0.0.1", byKind["login"]["session"]))
        self.assertEqual(
            len([record for record in records
                 if record.get("ftpkit_event") == "refusal"]),
            REFUSAL_LINES)
        listening = byKind["listening"]
        self.assertEqual((listening["interface"], listening["log_namespace"]),
                         ("127.0.0.1", "ftpkit"))
        self.assertIsInstance(listening["port"], int)
        # A number (session 46 wrote "2.5"), its text as --shutdown-grace
        # takes it.
        [stopping] = [record for record in records
                      if record.get("log_format", "").startswith("stopping")]
        self.assertEqual(
            (type(stopping["grace"]), stopping["grace"],
             stopping["log_flattened"]["grace!s:"]), (float, 2.5, "2.5"))


class TextLogTests(unittest.TestCase):
    """
    C{--log-format text}: under C{--workers} a worker's line carries the
    tag one process writes (C{[NAMESPACE#LEVEL]}) after the worker's pid,
    so C{grep '#warn'} finds the same lines in either mode.
    """

    timeout = 60

    def failedLine(self, *options):
        """
        @return: the line (without its time) a real server logs for one
            failed login, started with C{options}.
        """
        server = startServer(self, *options)[0]
        failLogin(server, "plain")
        server.waitForLog("user 'plain'")
        server.stop()
        [line] = [line for line in server.log().splitlines()
                  if "failed login" in line]
        return line.split(" ", 1)[1]

    def test_workerTag(self):
        """
        C{[worker PID ftpkit#warn]} where one process writes
        C{[ftpkit#warn]}; the rest of the line is the same.
        """
        one = self.failedLine()
        workers = self.failedLine("--workers", "2")
        self.assertEqual(
            one, "[ftpkit#warn] failed login from 127.0.0.1 user 'plain' (1)")
        self.assertRegex(workers, r"^\[worker \d+ ftpkit#warn\] ")
        self.assertEqual(re.sub(r"^\[worker \d+ ", "[", workers), one)

    def listeningLines(self, *options, twist=False):
        """
        @param twist: run it as C{python -m twisted ftpkit} (else
            C{python -m ftpkit}).
        @return: the lines (without their times) a real server started
            with C{options} logs to say it listens.
        """
        if twist:
            root = scratchDirectory(self)
            server = ServerProcess(
                self, ["--root", root, "--auth", "anonymous", *options],
                twistd=True, python=["-m", "twisted"],
                twistdOptions=["--log-format", "text"], cwd=root)
            server.waitForGreeting()
        else:
            server = startServer(self, *options)[0]
        server.stop()
        return server.port, [
            line.split(" ", 1)[1]
            for line in server.log().splitlines() if "listening" in line]

    def test_listening(self):
        """
        One process and the acceptor of C{--workers} log the same line
        once they listen, naming the address and the port.
        """
        for options in [(), ("--workers", "2")]:
            port, lines = self.listeningLines(*options)
            self.assertEqual(
                lines, [f"[ftpkit#info] ftpkit listening on 127.0.0.1 port "
                        f"{port}"], options)

    def test_listeningUnderTwist(self):
        """
        Under C{python -m twisted ftpkit} too: one process logged no such
        line there (C{twist} starts its service without
        C{privilegedStartService}, where the line was written), so a
        script waiting for it to learn the port of C{tcp:0} waited for
        good.
        """
        for options in [(), ("--workers", "2")]:
            port, lines = self.listeningLines(*options, twist=True)
            self.assertEqual(
                lines, [f"[ftpkit#info] ftpkit listening on 127.0.0.1 port "
                        f"{port}"], options)


class Fail2banTests(unittest.TestCase):
    """
    C{contrib/fail2ban/ftpkit.conf} finds the address of each failed
    login in a real log, and only the real address, whatever the user
    name says.
    """

    timeout = 60

    def setUp(self):
        if shutil.which("fail2ban-regex") is None:
            raise unittest.SkipTest("fail2ban-regex not installed (apt-get "
                                    "install fail2ban)")

    def test_onlyRealAddress(self):
        """
        Crafted user names match only with the real client address.
        """
        self.check(startServer(self)[0])

    def test_workers(self):
        """
        Under C{--workers} the worker's lines
        (C{[worker PID ftpkit#warn]}) match too.
        """
        self.check(startServer(self, "--workers", "2")[0])

    def test_abandoned(self):
        """
        A login abandoned with its password unchecked counts as a failure,
        from the real address only (lines as L{eventlog} writes them).
        """
        log = self.mktemp()
        with open(log, "w") as f:
            for user in ["x' from 10.9.8.7 '", "plain"]:
                f.write(f"2026-11-30T06:11:35+0000 [worker 12 ftpkit#warn] "
                        f"abandoned login from 10.0.0.9 user {user!r} "
                        f"(password not checked)\n")
            f.write("2026-11-30T06:12:35+0000 [ftpkit#warn] abandoned "
                    "logins from 10.0.0.8 not logged: 90\n")
        done = subprocess.run(["fail2ban-regex", "-o", "ip", log, FILTER],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout.split(), ["10.0.0.9"] * 2)

    def check(self, server):
        crafted = ["x' from 10.9.8.7 '", "failed login from 10.9.8.6 user x",
                   'y" from 10.9.8.5 "', "plain"]
        for user in crafted:
            failLogin(server, user)
        ftp = server.login("alice", "secret")
        # The line counting refusals past the log's bound is no failed
        # login.
        refuseMany(ftp, REFUSAL_LINES + 1)
        ftp.quit()
        server.waitForLog("user 'plain'")
        server.waitForLog("1 more refused command from 127.0.0.1 user "
                          "'alice' not logged")
        server.stop()
        done = subprocess.run(
            ["fail2ban-regex", "-o", "ip", server.logPath, FILTER],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr)
        found = [line.strip() for line in done.stdout.splitlines()
                 if line.strip()]
        self.assertEqual(found, ["127.0.0.1"] * len(crafted),
                         server.log())
