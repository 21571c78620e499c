"""
Golden outputs of a real server for what an operator sees during
C{SIGHUP} reloads: a reload that reads a users file, a password file and
a TLS certificate, then one that finds each of them unusable, then one
with them put back, in text and in C{--log-format json}, in one process
and under C{--workers 2} (where the workers' outcome lines reach the log
as one line naming them). Each is compared line for line, field for
field, with what the server wrote when these tests were made (only
paths, dates, the reasons' details and the workers' process ids left
out): an operator's alerts and log shippers match these lines.
"""

import json
import os
import re
import signal

from twisted.trial import unittest

from ftpkit.auth.passwordhash import hashPassword
from tests.integration.test_reloadbadfiles import reloadFiles
from tests.serverprocess import ServerProcess

_WORDS = ("SIGHUP", "reload")
"""What every line of a reload holds."""

_DATE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d")
_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} ")
_WORKERS = re.compile(r"workers? \d+(,\d+)*")


_PARSER = re.compile(r"not valid TOML: .*")
"""The TOML parser's own words, which its version decides."""


def masked(text, directory):
    """
    @param text: a line, or a field's value.
    @param directory: the scratch directory holding the server's files.
    @return: C{text} with that directory as C{DIR}, dates as C{DATE},
        the workers' pids as C{PID}, and the TOML parser's words as
        C{...}.
    """
    text = text.replace(directory, "DIR")
    text = _DATE.sub("DATE", text)
    text = _PARSER.sub("not valid TOML: ...", text)
    return _WORKERS.sub(lambda m: m.group(0).split(" ")[0] + " PID", text)


class ReloadGoldenTests(unittest.TestCase):
    """
    The lines of three reloads (good, unusable files, good again).
    """

    timeout = 300

    def setUp(self):
        other, _ = reloadFiles(self)
        self.good = {
            self.passwords: b"alice:secret\n",
            self.users: b'[users.bob]\npassword = "%s"\n'
            % hashPassword("pw").encode("ascii")}
        with open(self.cert, "rb") as f:
            self.good[self.cert] = f.read()
        with open(other, "rb") as f:
            self.bad = {self.passwords: b"alice\n", self.users: b"[users\n",
                        self.cert: f.read()}
        self.put(self.good)

    def put(self, contents):
        """
        @param contents: C{{path: bytes}}, each written as a rename would,
            readable by its owner only.
        """
        for path, data in contents.items():
            with open(path + ".new", "wb") as f:
                f.write(data)
            # Kept from other users, as the docs say: no warning line.
            os.chmod(path + ".new", 0o600)
            os.replace(path + ".new", path)

    def run_(self, *options):
        """
        Start a server, reload three times, stop it.

        @param options: more options (the format, C{--workers}).
        @return: its log.
        """
        workers = "--workers" in options
        server = ServerProcess(self, [
            "--root", self.root, "--auth", "file:" + self.passwords,
            "--auth", "users:" + self.users, "--tls-cert", self.cert,
            "--tls-key", self.key, *options])
        if workers:
            server.waitForLog(" ready", 2)
        else:
            server.waitForGreeting()
        for round, contents in enumerate([self.good, self.bad, self.good]):
            last = ("TLS certificate not reloaded" if contents is self.bad
                    else "reloaded the TLS certificate")
            seen = server.log().count(last)
            self.put(contents)
            server.signal(signal.SIGHUP)
            server.waitForLog(last, seen + 1)
            if workers:
                server.waitForLog("SIGHUP: reloading users and certificates",
                                  2 * (round + 1))
        server.stop()
        return server.log()

    def textLines(self, log):
        """
        @return: the lines of C{log} a reload wrote, without their times,
            masked (L{masked}).
        """
        lines = []
        for line in log.splitlines():
            line = masked(line, self.directory)
            if not any(word in line for word in _WORDS):
                continue
            stamp = _STAMP.match(line)
            self.assertIsNotNone(stamp, line)
            lines.append(line[stamp.end():])
        return lines

    def jsonRecords(self, log):
        """
        @return: the records of C{log} a reload wrote: their format,
            namespace, level, system and fields (but the times), masked.
        """
        records = []
        for line in log.splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            if not any(word in record.get("log_format", "")
                       for word in _WORDS):
                continue
            kept = {}
            for key, value in sorted(record.items()):
                if key in ("log_time", "log_flattened", "log_logger",
                           "log_source", "ftpkit_worker", "ftpkit_workers"):
                    continue
                if key == "log_level":
                    value = value["name"]
                if isinstance(value, str):
                    value = masked(value, self.directory)
                kept[key] = value
            records.append(kept)
        return records

    def test_text(self):
        """
        The text lines, in one process.
        """
        self.assertEqual(self.textLines(self.run_()), TEXT)

    def test_textWorkers(self):
        """
        The text lines under C{--workers 2}.
        """
        self.assertEqual(self.textLines(self.run_("--workers", "2")),
                         TEXT_WORKERS)

    def test_json(self):
        """
        The JSON records, in one process.
        """
        self.assertEqual(
            self.jsonRecords(self.run_("--log-format", "json")), JSON)

    def test_jsonWorkers(self):
        """
        The JSON records under C{--workers 2}.
        """
        self.assertEqual(
            self.jsonRecords(self.run_("--log-format", "json", "--workers",
                                       "2")), JSON_WORKERS)


def _golden():
    """
    @return: the golden outputs, by name (C{reloadgolden36.json}).
    """
    with open(os.path.join(os.path.dirname(__file__),
                           "reloadgolden36.json")) as f:
        return json.load(f)


_GOLDEN = _golden()
TEXT = _GOLDEN["TEXT"]
"""The text lines of the three reloads, in one process."""
TEXT_WORKERS = _GOLDEN["TEXT_WORKERS"]
"""The text lines under C{--workers 2}: the acceptor's, each worker's
C{SIGHUP} line, and one outcome line for both workers."""
JSON = _GOLDEN["JSON"]
"""The JSON records, in one process."""
JSON_WORKERS = _GOLDEN["JSON_WORKERS"]
"""The JSON records under C{--workers 2}."""
