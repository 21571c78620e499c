"""
The commands besides the server (C{python -m ftpkit.passwd},
C{python -m ftpkit.pgadmin}, C{python -m ftpkit.who}, and a worker's
C{python -m ftpkit.deploy.worker} run by hand) misused: standard
input closed or no terminal, Ctrl-C at the prompt, a password that is not
UTF-8, a users file that is a FIFO, a URL answering other JSON. Each is
one error line and a status, never a traceback, and the users file is
left as it was. So is a usage error of theirs (a number that is not ASCII
digits, options that silently cancelled each other, a port that is no
port), and the server's C{--help} whatever C{COLUMNS} holds. The
server's own rows are in L{tests.badoptions}.
"""

import io
import json
import os
import signal
import subprocess
import sys
import time

import psycopg
from twisted.trial import unittest

from ftpkit.auth import passwd, pgadmin
from ftpkit.deploy.worker import NOT_BY_HAND
from ftpkit.ops import who
from tests.scratch import scratchDirectory
from tests.serverprocess import defaultSignalsFirst
from tests.twistdrun import SOURCE

EXISTING = b"# kept as it is\n"
"""A users file's content that a failed command must not change."""


def runPasswd(*args, stdin=b"", environment=()):
    """
    Run C{python -m ftpkit.passwd ARGS} in a process with no terminal.

    @param stdin: its standard input, C{bytes}, or C{None} for none at
        all (closed).
    @param environment: more environment variables, C{(name, value)}.
    @return: C{(status, stdout, stderr)}, the last two as text.
    """
    closed = {"preexec_fn": lambda: os.close(0)} if stdin is None else {}
    done = subprocess.run(
        [sys.executable, "-m", "ftpkit.passwd", *args], input=stdin,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120,
        env=dict(os.environ, PYTHONPATH=SOURCE, **dict(environment)),
        start_new_session=True, check=False, **closed)
    return (done.returncode, done.stdout.decode("utf-8", "replace"),
            done.stderr.decode("utf-8", "replace"))


class PasswdTests(unittest.TestCase):
    """
    C{python -m ftpkit.passwd}.
    """

    timeout = 240

    def setUp(self):
        self.directory = scratchDirectory(self)
        self.path = os.path.join(self.directory, "users.toml")
        with open(self.path, "wb") as f:
            f.write(EXISTING)

    def assertKept(self):
        """
        The users file is as it was, and nothing was left beside it.
        """
        with open(self.path, "rb") as f:
            self.assertEqual(f.read(), EXISTING)
        self.assertEqual(os.listdir(self.directory), ["users.toml"])

    def test_closedInput(self):
        """
        Standard input closed (C{<&-}), prompting or with
        C{--password-stdin}: one line saying so (not after the prompt),
        status 1. It was an C{AttributeError} traceback (Python has no
        C{sys.stdin} then).
        """
        for extra in [[], ["--password-stdin"]]:
            status, out, err = runPasswd(self.path, "alice", *extra,
                                         stdin=None)
            self.assertEqual(
                (status, out, err.splitlines()[-1:]),
                (1, "", ["python -m ftpkit.passwd: error: no password: "
                         "standard input is closed"]), err)
            self.assertNotIn("Traceback", err)
            self.assertNotIn("New password: python", err)
            self.assertKept()

    def test_notUTF8(self):
        """
        A password that is not UTF-8 (Latin-1 typed into a UTF-8
        locale): one line, status 1. It was a C{UnicodeEncodeError}
        traceback (the hash could not be made), or a
        C{UnicodeDecodeError} one where standard input decodes strictly.
        """
        for errors in ["surrogateescape", "strict"]:
            status, out, err = runPasswd(
                self.path, "alice", "--password-stdin", stdin=b"caf\xe9\n",
                environment=[("PYTHONIOENCODING", f"utf-8:{errors}")])
            self.assertEqual(
                (status, out, err),
                (1, "", "python -m ftpkit.passwd: error: the password is "
                 "not UTF-8 text\n"), errors)
            self.assertKept()

    def test_fifo(self):
        """
        A users file that is a FIFO is an error at once: the command
        waited for a writer for ever.
        """
        os.unlink(self.path)
        os.mkfifo(self.path)
        status, out, err = runPasswd(self.path, "alice", "--password-stdin",
                                     stdin=b"pw\n")
        self.assertEqual(
            (status, out, err),
            (1, "", f"python -m ftpkit.passwd: error: cannot read "
             f"{self.path}: a FIFO, not a regular file\n"))

    def test_interruptedAtPrompt(self):
        """
        Ctrl-C at the password prompt: one line, status 130, the file as
        it was. It was a C{KeyboardInterrupt} traceback.
        """
        errors = io.StringIO()

        def interrupted(text):
            raise KeyboardInterrupt()

        status = passwd.main([self.path, "alice"], stdout=io.StringIO(),
                             stderr=errors, prompt=interrupted)
        self.assertEqual((status, errors.getvalue()),
                         (130, "\npython -m ftpkit.passwd: interrupted\n"))
        self.assertKept()

    def test_interruptedProcess(self):
        """
        So for the command run with no terminal, waiting at its prompt
        for a line that never comes when C{SIGINT} arrives.
        """
        errorPath = os.path.join(scratchDirectory(self), "stderr")
        readEnd, writeEnd = os.pipe()
        self.addCleanup(os.close, writeEnd)
        with open(errorPath, "wb") as errorFile:
            process = subprocess.Popen(
                [sys.executable, "-m", "ftpkit.passwd", self.path, "alice"],
                stdin=readEnd, stdout=subprocess.DEVNULL, stderr=errorFile,
                env=dict(os.environ, PYTHONPATH=SOURCE),
                start_new_session=True, preexec_fn=defaultSignalsFirst())
        os.close(readEnd)
        self.addCleanup(process.kill)
        deadline = time.monotonic() + 60
        while b"New password: " not in readBytes(errorPath):
            self.assertLess(time.monotonic(), deadline, "no prompt")
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        self.assertEqual(process.wait(60), 130)
        err = readBytes(errorPath).decode("utf-8")
        self.assertTrue(err.endswith(
            "New password: \npython -m ftpkit.passwd: interrupted\n"), err)
        self.assertNotIn("Traceback", err)
        self.assertKept()


def readBytes(path):
    """
    @return: the content of file C{path}.
    """
    with open(path, "rb") as f:
        return f.read()


class PgadminTests(unittest.TestCase):
    """
    C{python -m ftpkit.pgadmin}.
    """

    def test_interrupted(self):
        """
        Ctrl-C (while it connects, or at the prompt): one line, status
        130. It was a C{KeyboardInterrupt} traceback.
        """
        def interrupted(dsn):
            raise KeyboardInterrupt()

        self.patch(psycopg, "connect", interrupted)
        errors = io.StringIO()
        status = pgadmin.main(["--dsn", "host=nowhere", "add", "alice"],
                              stdout=io.StringIO(), stderr=errors)
        self.assertEqual((status, errors.getvalue()),
                         (130, "\npgadmin: interrupted\n"))

    def test_badAddBeforeConnecting(self):
        """
        C{add} with a name or a field the server cannot use says so
        without connecting: with no database reachable it said the
        connection failed instead.
        """
        def connect(dsn):
            self.fail(f"connected to {dsn!r}")

        self.patch(psycopg, "connect", connect)
        for args, said in [
                (["../x"], "'../x' is not a usable user name"),
                (["bob", "--home", ""], "pgadmin: ")]:
            errors = io.StringIO()
            status = pgadmin.main(["--dsn", "host=nowhere", "add", *args],
                                  stdout=io.StringIO(), stderr=errors)
            self.assertEqual(status, 1, args)
            self.assertIn(said, errors.getvalue())
            self.assertEqual(errors.getvalue().count("\n"), 1, args)

class WhoTests(unittest.TestCase):
    """
    C{python -m ftpkit.who} given a URL answering JSON that is no list of
    sessions (another service's, another page's).
    """

    def test_otherJSON(self):
        """
        One line naming the URL and what is wrong, status 1. It was an
        C{AttributeError}, C{KeyError} or C{TypeError} traceback from
        the table.
        """
        directory = scratchDirectory(self)
        for document, why in [
                ({"status": "ok"}, "a JSON dict"),
                ("sessions", "a JSON str"),
                ([1, 2], "an entry is a JSON int"),
                ([{"user": ["a"]}], "user is not text"),
                ([{"user": "a", "transfer": {"command": "RETR"}}],
                 "a transfer lacks its command, path, bytes or rate")]:
            self._answers(directory, json.dumps(document).encode(), why)

    def test_notJSON(self):
        """
        An answer that is not JSON at all (the endpoint's C{/metrics},
        a web page, bytes that are not UTF-8) is the same line, saying
        so. It was the JSON parser's own words, C{Expecting value: line
        1 column 1 (char 0)}, without the hint monitoring.rst promises.
        """
        directory = scratchDirectory(self)
        for body in [b"# HELP ftpkit_sessions control connections\n",
                     b"<html><body>Forbidden</body></html>", b"\xff\xfe",
                     b""]:
            self._answers(directory, body, "not JSON")

    def _answers(self, directory, body, why):
        """
        C{python -m ftpkit.who}, with and without C{--json}, given a URL
        answering C{body}, prints one line saying it is no list of
        sessions, C{why}, and ends with status 1.

        @param directory: a scratch directory for the answer's file.
        @param body: the answer's bytes.
        @param why: what the line says the answer is.
        """
        path = os.path.join(directory, "sessions.json")
        with open(path, "wb") as f:
            f.write(body)
        url = "file://" + path
        for extra in [[], ["--json"]]:
            out, err = io.StringIO(), io.StringIO()
            self.assertEqual(who.main([*extra, url], out, err), 1)
            self.assertEqual(
                (out.getvalue(), err.getvalue()),
                ("", f"ftpkit.who: cannot read {url}: not a list of "
                 f"ftpkit sessions ({why}): is it the /sessions page of "
                 "a --metrics endpoint?\n"))


class WorkerByHandTests(unittest.TestCase):
    """
    C{python -m ftpkit.deploy.worker}, which the acceptor of C{--workers}
    runs, run by hand.
    """

    def test_byHand(self):
        """
        One line saying what to run instead, status 2: it was a
        C{TypeError} traceback (the kept files it was not given).
        """
        done = subprocess.run(
            [sys.executable, "-m", "ftpkit.deploy.worker", "--root",
             scratchDirectory(self)], capture_output=True, timeout=120,
            stdin=subprocess.DEVNULL, env=dict(os.environ,
                                               PYTHONPATH=SOURCE))
        self.assertEqual((done.returncode, done.stdout, done.stderr),
                         (2, b"", NOT_BY_HAND.encode("ascii") + b"\n"))


USAGE_EXISTING = b"[users.bob]\nquota = 5\n"
"""A users file's content that a command refused for its usage must not
change."""


def runTool(module, *args, **environment):
    """
    Run C{python -m MODULE ARGS} with one line of input.

    @param module: the command's module, e.g. C{"ftpkit.passwd"}.
    @param environment: more environment variables.
    @return: C{(status, stdout, stderr)}, the last two as text.
    """
    done = subprocess.run(
        [sys.executable, "-m", module, *args], input=b"pw\n",
        capture_output=True, timeout=120, check=False,
        env=dict(os.environ, PYTHONPATH=SOURCE, **environment))
    return (done.returncode, done.stdout.decode("utf-8", "replace"),
            done.stderr.decode("utf-8", "replace"))


class ToolUsageTests(unittest.TestCase):
    """
    The users commands' usage errors.
    """

    timeout = 300

    def setUp(self):
        self.path = os.path.join(scratchDirectory(self), "users.toml")
        with open(self.path, "wb") as f:
            f.write(USAGE_EXISTING)

    def assertUsage(self, module, args, expected):
        """
        C{python -m MODULE ARGS} exits with status 2 and a message ending
        in one line holding C{expected}, writes nothing to standard output
        and leaves the users file as it was.
        """
        status, out, err = runTool(module, *args)
        self.assertEqual((status, out), (2, ""), err)
        self.assertIn(expected, err.splitlines()[-1])
        self.assertNotIn("Traceback", err)
        with open(self.path, "rb") as f:
            self.assertEqual(f.read(), USAGE_EXISTING)

    def test_notASCIINumbers(self):
        """
        C{--quota-files} and C{--quota} of both commands: Python's C{int}
        took C{+5}, C{1_000}, spaces and other scripts' digits
        (ARABIC-INDIC DIGIT FIVE was written as 5).
        """
        for value in ["\u0665", "+5", "1_000", " 5"]:
            for module, first in [("ftpkit.passwd", [self.path, "x"]),
                                  ("ftpkit.pgadmin", ["add", "x"])]:
                self.assertUsage(
                    module, [*first, "--password-stdin", "--quota-files",
                             value],
                    f"--quota-files: must be a positive integer, not "
                    f"{value!r}")
                self.assertUsage(
                    module, [*first, "--password-stdin", "--quota", value],
                    "--quota: must be a number of bytes")

    def test_deleteTakesNoFields(self):
        """
        C{passwd --delete USER} with an option changing a field: the
        option was ignored without a word.
        """
        self.assertUsage(
            "ftpkit.passwd", [self.path, "--delete", "bob", "--quota", "5M"],
            "--delete: takes no --quota (it deletes the user; nothing else "
            "is changed)")

    def test_pgadminRemovalWithValue(self):
        """
        C{pgadmin set --quota SIZE --no-quota} (and the file quota's
        pair): the removal won without a word.
        """
        for pair in [["--quota", "5M", "--no-quota"],
                     ["--no-quota-files", "--quota-files", "5"]]:
            self.assertUsage("ftpkit.pgadmin", ["set", "x", *pair],
                             "not allowed with argument")


class HelpTests(unittest.TestCase):
    """
    C{--help} of the server, whatever C{COLUMNS} holds.
    """

    timeout = 120

    def test_columns(self):
        """
        An empty, other or narrow C{COLUMNS}: the help, status 0. It was
        a C{ValueError} traceback, status 1.
        """
        for columns in ["", "wide", "30"]:
            status, out, err = runTool("ftpkit", "--help", COLUMNS=columns)
            self.assertEqual((status, err), (0, ""), columns)
            self.assertIn("--listing-cache", out)


class WhoPortTests(unittest.TestCase):
    """
    C{python -m ftpkit.who URL} with a URL whose port is no port.
    """

    timeout = 120

    def test_badPort(self):
        """
        A port past 65535, or one that is not ASCII digits: one line
        naming the URL and what is wrong, status 1, nothing connected to.
        Python's HTTP client connected to 99999 modulo 65536 (34463,
        maybe another service) and to C{+9102} as 9102, and said only
        C{'latin-1' codec can't encode characters} of ARABIC-INDIC
        digits.
        """
        for port, why in [("99999", "Port out of range 0-65535"),
                          ("+9102", "Port could not be cast"),
                          ("\u0669\u0661\u0660\u0662",
                           "Port could not be cast")]:
            url = f"http://127.0.0.1:{port}/sessions"
            out, err = io.StringIO(), io.StringIO()
            self.assertEqual(who.main([url], out, err), 1)
            self.assertEqual(out.getvalue(), "")
            self.assertTrue(err.getvalue().startswith(
                f"ftpkit.who: cannot read {url}: {why}"), err.getvalue())
        status, out, err = runTool("ftpkit.who", "http://127.0.0.1:99999/")
        self.assertEqual((status, out), (1, ""))
        self.assertEqual(err.count("\n"), 1, err)
