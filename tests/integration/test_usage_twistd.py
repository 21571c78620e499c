"""
C{twistd}'s own options (C{--uid}, C{--gid}, C{--logfile}, C{--pidfile},
C{--rundir}, C{--chroot}) that cannot be used, and C{twistd} options given
after C{ftpkit}: each one line of usage error before the server starts,
not a traceback after.

Found and left (session 31's sweep of the operating surfaces):
C{twistd --uid nosuchuser ftpkit} and C{--gid nosuchgroup} (a I{name}
C{twistd} cannot find) are still C{twistd}'s C{KeyError} traceback:
C{twistd} looks names up as it reads its own options, before it loads any
plugin, and no ftpkit code runs before that (documented in
C{docs/deployment.rst}). Given after C{ftpkit}, such a name is named in
ftpkit's line (session 48).
"""

import io
import os
import socket
import subprocess
import sys

from twisted.trial import unittest

from ftpkit.deploy import twistdpaths
from ftpkit.deploy.pidfiles import commandLine
from ftpkit.deploy.tap import Options
from ftpkit.deploy.twistdids import (
    _NAMES,
    misplacedOption,
    twistdIdError,
    unknownIdName,
)
from ftpkit.deploy.twistdpaths import (
    syslogError,
    twistdPathError,
    twistdWarning,
)
from tests.scratch import scratchDirectory, shortDirectory, syslogReceiver
from tests.signalstate import keepSignalState
from tests.twistdrun import (
    SOURCE,
    TWISTD,
    runPython,
    runTwistd,
    twistdRun,
    withoutFileCapabilities,
)


class TwistdIdTests(unittest.TestCase):
    """
    C{twistd}'s C{--uid} and C{--gid}, which it uses only once the server
    listens, are checked with ftpkit's options.
    """

    timeout = 120

    def test_ids(self):
        """
        A user id without a password entry is named; a group id out of the
        kernel's range too; a group id without a group entry is accepted,
        as the kernel and C{twistd} accept it; under C{--chroot} the user
        is not looked up (C{twistd} looks it up in the new root).
        """
        def entry(uid):
            if uid != 1000:
                raise KeyError(uid)

        for options, expected in [
                ({"uid": 1000, "gid": 54321}, None),
                ({"uid": None, "gid": 0}, None),
                ({"uid": 54321, "gid": None},
                 "--uid: no user has the id 54321 (twistd needs its entry "
                 "in the password database for its name and groups)"),
                ({"uid": 54321, "gid": None, "chroot": "/srv"}, None),
                ({"uid": 1000, "gid": 2 ** 32},
                 "--gid: 4294967296 is no group id (0 to 4294967294)"),
                ({"uid": None, "gid": -1},
                 "--gid: -1 is no group id (0 to 4294967294)")]:
            self.assertEqual(twistdIdError(options, entry), expected)
        self.assertIsNone(twistdIdError(None, entry))

    def test_unknownUidProcess(self):
        """
        C{twistd --uid 54321 ftpkit}, with no such user, ends in one usage
        line before the server starts, not a C{KeyError} traceback after.
        """
        try:
            import pwd
            pwd.getpwuid(54321)
        except KeyError:
            pass
        else:
            raise unittest.SkipTest("this machine has a user 54321")
        status, lines = runTwistd(
            self, "--uid", "54321", "ftpkit", "--listen",
            "tcp:0:interface=127.0.0.1", "--root", scratchDirectory(self))
        self.assertEqual((status, lines), (1, [
            "twistd ftpkit: --uid: no user has the id 54321 (twistd needs "
            "its entry in the password database for its name and groups) "
            "(see --help)"]))

    def test_unknownNameBeforeFtpkit(self):
        """
        C{twistd --uid nosuchuser ftpkit} (and C{--gid nosuchgroup}) is
        still C{twistd}'s own traceback, exit status 1, as
        C{docs/deployment.rst} shows it: C{twistd} reads the name before
        it loads any plugin, and no ftpkit code runs before that. Should
        C{twistd} come to say it in a line, this fails, and the docs are
        to say so.
        """
        for option, lookup, name in [("--uid", "getpwnam", "nosuchuser"),
                                     ("--gid", "getgrnam", "nosuchgroup")]:
            status, lines = runTwistd(
                self, option, name, "ftpkit", "--listen",
                "tcp:0:interface=127.0.0.1", "--root", scratchDirectory(self))
            self.assertEqual(
                (status, lines[0], lines[-1]),
                (1, "Traceback (most recent call last):",
                 f"KeyError: \"{lookup}(): name not found: '{name}'\""))

    def test_moduleNames(self):
        """
        C{python -m ftpkit}, which takes no option of C{twistd}'s, says
        so in one line, exit status 1, naming the C{--uid}, C{-u} or
        C{--gid} that names no one first: the traceback of
        L{test_unknownNameBeforeFtpkit} is C{twistd}'s alone.
        """
        for option, what in [("--uid", "user"), ("--gid", "group"),
                             ("-u", "user")]:
            status, output = runPython(
                ["-m", "ftpkit", option, "nosuchuser", "--listen",
                 "tcp:0:interface=127.0.0.1"],
                scratchDirectory(self), SOURCE)
            self.assertEqual((status, output.splitlines()), (1, [
                f"ftpkit: {option}: no {what} is named 'nosuchuser', and "
                f"{option} is an option of twistd, which python -m ftpkit "
                f"does not take: run twistd -n {option} ... ftpkit ... "
                f"(see --help)"]))

    def test_twistdOptionAfterFtpkit(self):
        """
        C{twistd ftpkit --uid ftp} says C{--uid} goes before C{ftpkit}
        (and C{python -m ftpkit}, which takes no C{twistd} option, says
        to run C{twistd}); an option neither takes is left to the
        parser's words.
        """
        twistd = {"uid": "uid", "u": "uid", "nodaemon": "nodaemon"}

        class Parent:
            synonyms = twistd

        parser = Options()
        parser.argv = []
        self.assertEqual(
            misplacedOption("option --uid not recognized", Parent, "twistd",
                            parser),
            "--uid: an option of twistd itself: give it before ftpkit "
            "(twistd --uid ... ftpkit ...)")
        self.assertEqual(
            misplacedOption("option -u not recognized", Parent, "ftpkit",
                            parser),
            "-u: an option of twistd, which python -m ftpkit does not "
            "take: run twistd -n -u ... ftpkit ...")
        self.assertIsNone(misplacedOption("option --bogus not recognized",
                                          Parent, "twistd", parser))
        self.assertIsNone(misplacedOption("--uid: x", Parent, "twistd",
                                          parser))
        self.assertIsNone(misplacedOption("option --uid not recognized",
                                          None, "twistd", parser))
        status, lines = runTwistd(self, "ftpkit", "--uid", "root")
        self.assertEqual((status, lines), (1, [
            "twistd ftpkit: --uid: an option of twistd itself: give it "
            "before ftpkit (twistd --uid ... ftpkit ...) (see --help)"]))

    def test_unknownNameAfterFtpkit(self):
        """
        C{twistd ftpkit --uid nosuchuser} names the user no one is, with
        where C{--uid} goes: moved before C{ftpkit} as the line said, the
        name was C{twistd}'s own C{KeyError} traceback. A number, a name
        that is found, an option that takes no name (C{--nodaemon}, or
        C{--logfile}, whose value is no user's), and arguments the parser
        cannot read are left to the line without it.
        """
        twistd = {"uid": "uid", "u": "uid", "gid": "gid", "g": "gid",
                  "nodaemon": "nodaemon", "n": "nodaemon",
                  "logfile": "logfile", "l": "logfile"}

        class Parent:
            synonyms = twistd

        def fromString(value):
            if value != "ftp":
                raise KeyError(value)

        names = {"uid": ("user", fromString), "gid": ("group", fromString)}
        parser = Options()
        for argv, option, expected in [
                (["--uid", "ftq"], "--uid", "no user is named 'ftq'"),
                (["--banner", "-u", "--uid=ftq"], "--uid",
                 "no user is named 'ftq'"),
                (["-gftq"], "-g", "no group is named 'ftq'"),
                (["-g", "ftq"], "-g", "no group is named 'ftq'"),
                (["--uid", "ftp", "-u", "ftq"], "--uid",
                 "no user is named 'ftq'"),
                (["--gid=ftq", "-g", "ftp"], "--gid",
                 "no group is named 'ftq'"),
                (["--uid", "ftp"], "--uid", None),
                (["--nodaemon"], "--nodaemon", None),
                (["--logfile", "ftq"], "--logfile", None),
                (["-lftq"], "-l", None),
                (["--uid", "ftq", "--bogus"], "--uid", None),
                (["--uid"], "--uid", None)]:
            parser.argv = argv
            self.assertEqual(
                unknownIdName(option, Parent, parser, names), expected,
                argv)
        for value in ["54321", "4294967296"]:
            parser.argv = ["--uid", value, "--gid", value]
            for option in ["--uid", "--gid"]:
                self.assertIsNone(unknownIdName(option, Parent, parser))
        parser.argv = ["--gid", "ftpkit-no-such-group"]
        self.assertEqual(
            misplacedOption("option --gid not recognized", Parent, "ftpkit",
                            parser),
            "--gid: no group is named 'ftpkit-no-such-group', and --gid is "
            "an option of twistd, which python -m ftpkit does not take: run "
            "twistd -n --gid ... ftpkit ...")
        status, lines = runTwistd(self, "ftpkit", "--gid", "nosuchgroup")
        self.assertEqual((status, lines), (1, [
            "twistd ftpkit: --gid: no group is named 'nosuchgroup', and "
            "--gid is an option of twistd itself: give it before ftpkit "
            "(twistd --gid ... ftpkit ...) (see --help)"]))


    def test_namesReadAsTwistdReads(self):
        """
        A C{--uid} or C{--gid} value after C{ftpkit} is read with the
        function C{twistd} reads it with before C{ftpkit}
        (L{twisted.python.util.uidFromString}, C{gidFromString}), so that
        what the line calls no one is exactly what would be C{twistd}'s
        C{KeyError}.
        """
        from twisted.scripts.twistd import ServerOptions

        twistds = {option[0]: option[4] for option
                   in ServerOptions.optParameters if option[0] in _NAMES}
        self.assertEqual(
            twistds, {name: fromString for name, (_, fromString)
                      in _NAMES.items()})


class TwistdPathTests(unittest.TestCase):
    """
    The paths of C{twistd}'s own options that cannot be used stop
    C{twistd ftpkit} with one line.
    """

    timeout = 120

    def test_missingLogDirectory(self):
        """
        C{twistd -n --logfile DIR/x.log ftpkit} with no C{DIR} is a usage
        error, not a traceback.
        """
        missing = os.path.join(scratchDirectory(self), "gone")
        done = twistdRun(
            "-n", "--pidfile=", "--logfile", os.path.join(missing, "x.log"),
            "ftpkit", "--listen", "tcp:0:interface=127.0.0.1", "--root",
            scratchDirectory(self))
        self.assertEqual(
            (done.returncode, done.stderr.splitlines()[-1:]),
            (1, [f"twistd ftpkit: --logfile: no directory {missing!r} for "
                 "the log file (see --help)"]))
        self.assertNotIn("Traceback", done.stderr + done.stdout)

    def test_paths(self):
        """
        A missing directory for the pid file, a directory given as the log
        file, and a missing C{--rundir} or C{--chroot} are each named; a
        relative pid file is where C{twistd} puts it, in the directory it
        starts in (not C{--rundir}), and under C{--chroot} only the new
        root and the log file are checked: C{twistd} opens its log file
        before it changes its root (a traceback, unchecked under
        C{--chroot} before).
        """
        here = scratchDirectory(self)
        missing = os.path.join(here, "gone")
        fine = {"logfile": None, "pidfile": "twistd.pid", "rundir": here,
                "chroot": None}
        self.assertIsNone(twistdPathError(fine))
        self.assertIsNone(twistdPathError(None))
        for changed, expected in [
                ({"pidfile": os.path.join(missing, "x.pid")},
                 f"--pidfile: no directory {missing!r} for the pid file"),
                ({"logfile": here},
                 f"--logfile: {here!r} is a directory, not a log file"),
                ({"rundir": missing},
                 f"--rundir: {missing!r} is not an existing directory"),
                ({"pidfile": "gone/x.pid"},
                 "--pidfile: no directory 'gone' for the pid file"),
                ({"chroot": missing},
                 f"--chroot: {missing!r} is not an existing directory"),
                ({"chroot": here, "logfile": here},
                 f"--logfile: {here!r} is a directory, not a log file"),
                ({"chroot": here, "logfile": os.path.join(missing, "x.log")},
                 f"--logfile: no directory {missing!r} for the log file"),
                ({"chroot": here, "pidfile": "/gone/x.pid"}, None)]:
            self.assertEqual(twistdPathError({**fine, **changed}), expected)


    def test_fifo(self):
        """
        A FIFO as the log file, read by a log shipper, and one as the pid
        file are usage errors: the first was a traceback (C{twistd}'s log
        file seeks to its end), the second a start that waited for ever
        (C{twistd} reads a pid file there), for a writer.
        """
        here = scratchDirectory(self)
        fifo = os.path.join(here, "fifo")
        os.mkfifo(fifo)
        reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        self.addCleanup(os.close, reader)
        done = twistdRun(
            "-n", "--pidfile=", "--logfile", fifo, "ftpkit", "--listen",
            "tcp:0:interface=127.0.0.1", "--root", here)
        self.assertEqual(
            (done.returncode, done.stderr),
            (1, f"twistd ftpkit: --logfile: {fifo!r} is a FIFO, not a log "
                "file (see --help)\n"))
        self.assertEqual(
            twistdPathError({"pidfile": fifo, "rundir": here}),
            f"--pidfile: {fifo!r} is a FIFO, not a pid file")


class UnwritablePathTests(unittest.TestCase):
    """
    A C{--logfile} or C{--pidfile} the server may not write: each was a
    traceback (C{PermissionError} from C{twistd} opening it), and a FIFO
    as the log file one too.
    """

    timeout = 120

    def runTwistd(self, *twistdOptions):
        """
        @param twistdOptions: C{twistd}'s options.
        @return: the exit status, standard error and output of C{twistd
            -n ... ftpkit}, as root without the capabilities that bypass
            file permissions.
        """
        prefix = withoutFileCapabilities()
        done = twistdRun(
            "-n", *twistdOptions, "ftpkit", "--listen",
            "tcp:0:interface=127.0.0.1", "--root", scratchDirectory(self),
            prefix=prefix)
        return done.returncode, done.stderr, done.stdout

    def test_unwritable(self):
        """
        A log file or pid file in a directory the server may not write, a
        log file it may not write, and a FIFO nothing reads as the log
        file: one usage error line each, exit status 1.
        """
        here = scratchDirectory(self)
        closed = os.path.join(here, "closed")
        os.mkdir(closed, 0o555)
        readOnly = os.path.join(here, "read-only.log")
        with open(readOnly, "w"):
            pass
        os.chmod(readOnly, 0o444)
        fifo = os.path.join(here, "fifo")
        os.mkfifo(fifo)
        for options, line in [
                ([f"--logfile={closed}/ftpkit.log", "--pidfile="],
                 f"--logfile: cannot make the log file in {closed!r}: "
                 "Permission denied"),
                ([f"--pidfile={closed}/ftpkit.pid"],
                 f"--pidfile: cannot make the pid file in {closed!r}: "
                 "Permission denied"),
                ([f"--logfile={readOnly}", "--pidfile="],
                 f"--logfile: cannot write the log file {readOnly!r}: "
                 "Permission denied"),
                ([f"--logfile={fifo}", "--pidfile="],
                 f"--logfile: {fifo!r} is a FIFO, not a log file")]:
            self.assertEqual(self.runTwistd(*options), (
                1, f"twistd ftpkit: {line} (see --help)\n", ""))
        self.assertEqual(os.listdir(closed), [])

    def test_writable(self):
        """
        A log file that exists and may be written, and a pid file beside
        it, pass: no probe file is left beside them.
        """
        here = scratchDirectory(self)
        log = os.path.join(here, "ftpkit.log")
        with open(log, "w"):
            pass
        options = {"logfile": log, "pidfile": os.path.join(here, "x.pid"),
                   "rundir": here, "chroot": None}
        self.assertIsNone(twistdPathError(options))
        self.assertEqual(os.listdir(here), ["ftpkit.log"])


class SyslogTests(unittest.TestCase):
    """
    C{twistd --syslog} where nothing receives syslog's messages: the
    server ran with no log anywhere (the C library drops them silently).
    """

    timeout = 120

    def listening(self):
        """
        @return: the path of a Unix stream socket listening, of this
            test, in a directory of a short path.
        """
        path = syslogReceiver(self) + "-stream"
        receiver = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.addCleanup(receiver.close)
        receiver.bind(path)
        receiver.listen()
        return path

    def test_receivers(self):
        """
        A datagram socket (journald's, rsyslog's) or a stream one
        (syslog-ng may listen so) is a receiver; no socket, or one left
        by a daemon that is gone, is one line naming C{--syslog}.
        """
        self.assertIsNone(syslogError(syslogReceiver(self)))
        self.assertIsNone(syslogError(self.listening()))
        missing = os.path.join(shortDirectory(self), "log")
        self.assertEqual(
            syslogError(missing),
            f"--syslog: nothing receives syslog messages at {missing} (No "
            "such file or directory): each is lost until a syslog daemon "
            "listens there (or give --logfile)")
        stale = os.path.join(shortDirectory(self), "stale")
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as gone:
            gone.bind(stale)
        self.assertIn("(Connection refused)", syslogError(stale))
        long = os.path.join(scratchDirectory(self), "x" * 108)
        self.assertIn("(AF_UNIX path too long)", syslogError(long))

    def test_options(self):
        """
        L{twistdWarning} checks it when C{--syslog} is given, and only
        then; it is no path error (L{twistdPathError}), which would keep
        the server from starting.
        """
        here = scratchDirectory(self)
        fine = {"logfile": None, "pidfile": None, "rundir": here,
                "chroot": None, "syslog": True}
        self.patch(twistdpaths, "SYSLOG_SOCKET",
                   os.path.join(here, "nothing"))
        self.assertTrue(twistdWarning(fine).startswith("--syslog: "))
        self.assertIsNone(twistdPathError(fine))
        self.assertIsNone(twistdWarning({**fine, "syslog": False}))
        self.assertIsNone(twistdWarning(None))
        self.patch(twistdpaths, "SYSLOG_SOCKET", syslogReceiver(self))
        self.assertIsNone(twistdWarning(fine))

    def test_startsAnyway(self):
        """
        C{--syslog} with nothing receiving its messages yet is one line of
        warning on standard error, and the options are parsed: the C
        library connects again at each message, so the log resumes once a
        syslog daemon listens (one restarting, a container's sidecar
        started after the server), as vsftpd and ProFTPD start anyway.
        """
        here = scratchDirectory(self)
        self.patch(twistdpaths, "SYSLOG_SOCKET",
                   os.path.join(here, "nothing"))
        errors = io.StringIO()
        options = Options()
        options.errorOutput = errors
        options.parent = {"logger": None, "logfile": None, "pidfile": None,
                          "rundir": here, "chroot": None, "nodaemon": True,
                          "syslog": True}
        keepSignalState(self)
        options.parseOptions(["--root", here])
        line, = errors.getvalue().splitlines()
        self.assertTrue(line.startswith("warning: --syslog: nothing "
                                        "receives syslog messages at "), line)
        self.assertIsNotNone(options["config"])


class TwistdPidFileTests(unittest.TestCase):
    """
    A C{--pidfile} left by a server that is gone, whose pid another
    program has now (L{ftpkit.deploy.pidfiles}).
    """

    timeout = 120

    def test_reusedPid(self):
        """
        C{twistd -n --pidfile P ftpkit}, where C{P} names a process that
        is no server, removes C{P}, says so in the log and serves, its
        own pid in C{P}: C{twistd} refused to start (C{Another twistd
        server is running, PID N}), and a server killed before a reboot
        did not start again once its pid was another program's.
        """
        here = scratchDirectory(self)
        pidfile = os.path.join(here, "ftpkit.pid")
        sleeper = subprocess.Popen(["sleep", "120"])
        self.addCleanup(sleeper.wait)
        self.addCleanup(sleeper.kill)
        while commandLine(sleeper.pid)[:1] != ["sleep"]:
            os.sched_yield()
        with open(pidfile, "w") as f:
            f.write(f"{sleeper.pid}\n")
        server = subprocess.Popen(
            [sys.executable, "-c", TWISTD, "-n", "--pidfile", pidfile,
             "ftpkit", "--listen", "tcp:0:interface=127.0.0.1", "--root",
             here], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, cwd=here, env=dict(os.environ, PYTHONPATH=SOURCE))
        self.addCleanup(server.stdout.close)
        self.addCleanup(server.wait)
        self.addCleanup(server.kill)
        lines = []
        for line in server.stdout:
            lines.append(line)
            if "listening on" in line:
                break
        self.assertIn("listening on", "".join(lines), "".join(lines))
        with open(pidfile) as f:
            self.assertEqual(f.read().strip(), str(server.pid))
        stale = [line for line in lines if "stale pid file" in line]
        self.assertEqual(len(stale), 1, lines)
        self.assertIn(
            f"[ftpkit#warn] removed the stale pid file {pidfile}: process "
            f"{sleeper.pid} is 'sleep 120', not a server", stale[0])
        server.terminate()
        server.wait()
        rest = server.stdout.read()
        self.assertFalse(os.path.exists(pidfile), rest)
