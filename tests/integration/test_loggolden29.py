"""
Golden outputs of a real server for one fixed sequence of sessions: the
text log, C{--log-format json}, C{--xferlog} and the metrics, in one
process and under C{--workers 2} (where the workers' events reach the
log through the acceptor), each compared line for line, field for field,
with what the server wrote when these tests were made (only the times,
the durations, the session numbers and the workers' process ids left
out). A change to how the lines are made must leave every one of them as
it is.
"""

import ftplib
import io
import json
import os
import re
import urllib.request

from twisted.trial import unittest

from ftpkit.protocol.replies import REPLY_CODES
from tests.integration.test_logformats import failLogin
from tests.serverprocess import startServer

LONG = "/" + "x" * 300 + "/" + "y" * 300
"""A path longer than a log line keeps (L{ftpkit.ops.eventlog.FIELD_LENGTH})."""


def sessions(server):
    """
    Run the fixed sequence: a failed login; C{alice} uploading,
    downloading, refused, making, renaming and removing; an anonymous
    client named with C{CLNT}, refused a long path and a download without
    a data connection (no transfer since session 51: it never began, and
    only its reply is counted).

    @param server: a L{tests.serverprocess.ServerProcess} serving
        anonymous users and C{alice:secret}.
    """
    failLogin(server, "plain")
    server.waitForLog("plain")
    ftp = server.login("alice", "secret")
    ftp.storbinary("STOR a.bin", io.BytesIO(b"x" * 100))
    ftp.storbinary("STOR c.bin", io.BytesIO(b"y" * 7))
    ftp.retrbinary("RETR a.bin", lambda data: None)
    ftp.sendcmd("TYPE A")
    ftp.retrlines("RETR c.bin", lambda line: None)
    try:
        ftp.retrbinary("RETR missing.bin", lambda data: None)
    except ftplib.error_perm:
        pass
    ftp.mkd("d")
    ftp.rename("a.bin", "d/b.bin")
    ftp.delete("d/b.bin")
    ftp.rmd("d")
    ftp.quit()
    server.waitForLog("logout from")
    ftp = ftplib.FTP()
    ftp.connect("127.0.0.1", server.port, timeout=30)
    try:
        ftp.sendcmd("CLNT golden client 1.0")
        ftp.login("anonymous", "x@example.com")
        try:
            ftp.sendcmd("RETR " + LONG)
        except ftplib.error_perm:
            pass
        try:
            ftp.sendcmd("RETR c.bin")
        except ftplib.error_temp:
            pass
        ftp.quit()
    finally:
        ftp.close()
    server.waitForLog("logout from", 2)


_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} ")
_WORKER = re.compile(r"worker \d+ ")
_SECONDS = re.compile(r"\d+\.\d{3} s\b")


def textLines(log):
    """
    @param log: a server's text log.
    @return: its lines of ftpkit's events, each without its time, a
        worker's pid as C{PID}, durations as C{S}.
    """
    lines = []
    for line in log.splitlines():
        if "ftpkit#" not in line or "listening on" in line:
            continue
        stamp = _STAMP.match(line)
        assert stamp is not None, line
        line = _WORKER.sub("worker PID ", line[stamp.end():])
        lines.append(_SECONDS.sub("S s", line))
    return lines


TEXT = [
    "[ftpkit#warn] failed login from 127.0.0.1 user 'plain' (1)",
    "[ftpkit#info] login from 127.0.0.1 user 'alice'",
    "[ftpkit#info] STOR from 127.0.0.1 user 'alice' path '/a.bin': 226, "
    "100 bytes in S s",
    "[ftpkit#info] STOR from 127.0.0.1 user 'alice' path '/c.bin': 226, "
    "7 bytes in S s",
    "[ftpkit#info] RETR from 127.0.0.1 user 'alice' path '/a.bin': 226, "
    "100 bytes in S s",
    "[ftpkit#info] RETR from 127.0.0.1 user 'alice' path '/c.bin': 226, "
    "7 bytes in S s",
    "[ftpkit#info] refused RETR from 127.0.0.1 user 'alice' path "
    "'/missing.bin': 550",
    "[ftpkit#info] MKD from 127.0.0.1 user 'alice' path '/d'",
    "[ftpkit#info] RNTO from 127.0.0.1 user 'alice' path '/a.bin' to "
    "'/d/b.bin'",
    "[ftpkit#info] DELE from 127.0.0.1 user 'alice' path '/d/b.bin'",
    "[ftpkit#info] RMD from 127.0.0.1 user 'alice' path '/d'",
    "[ftpkit#info] logout from 127.0.0.1 user 'alice': S s, 107 bytes in, "
    "107 bytes out",
    "[ftpkit#info] login from 127.0.0.1 user 'anonymous' client "
    "'golden client 1.0'",
    "[ftpkit#info] refused RETR from 127.0.0.1 user 'anonymous' path '/"
    + "x" * 255 + "...[90 characters]..." + "y" * 256 + "': 550",
    "[ftpkit#info] logout from 127.0.0.1 user 'anonymous': S s, 0 bytes in, "
    "0 bytes out",
]
"""The text lines of L{sessions}, as L{textLines} gives them, in one
process (under C{--workers}, each system starts with C{worker PID})."""


_MASKED = frozenset(["log_time", "seconds", "session", "ftpkit_worker",
                     "seconds!s:.3f", "seconds!:.3f"])


def jsonRecords(log):
    """
    @param log: a server's C{--log-format json} log.
    @return: its records of ftpkit's events (but C{listening}), each with
        the values of L{_MASKED} keys replaced by their type's name (in
        C{log_flattened} too) and a worker's pid in C{log_system} by
        C{PID}.
    """
    records = []
    for line in log.splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        if "ftpkit_event" not in record or record["ftpkit_event"] == (
                "listening"):
            continue
        for each in (record, record.get("log_flattened", {})):
            for key in _MASKED & set(each):
                each[key] = type(each[key]).__name__
        if "log_system" in record:
            record["log_system"] = _WORKER.sub("worker PID ",
                                               record["log_system"])
        records.append(record)
    return records


def xferLines(path):
    """
    @param path: a C{--xferlog} file.
    @return: its lines, each without its time (the first 24 characters).
    """
    with open(path) as f:
        return [line[24:].rstrip("\n") for line in f]


XFER = [
    " 0 127.0.0.1 100 /a.bin b _ i r alice ftp 0 alice c",
    " 0 127.0.0.1 7 /c.bin b _ i r alice ftp 0 alice c",
    " 0 127.0.0.1 100 /a.bin b _ o r alice ftp 0 alice c",
    " 0 127.0.0.1 7 /c.bin a _ o r alice ftp 0 alice c",
]
"""The C{--xferlog} lines of L{sessions}, as L{xferLines} gives them."""

_METRICS = re.compile(
    r"^ftpkit_(sessions_started_total|logins_total|transfers_total|"
    r"received_bytes_total|sent_bytes_total|transfer_duration_seconds_count|"
    r"replies_total)[{ ]")


def metricLines(text):
    """
    @param text: what C{/metrics} answered.
    @return: its sample lines of ftpkit's counters of sessions, logins,
        transfers, bytes and replies, sorted.
    """
    return sorted(line for line in text.splitlines() if _METRICS.match(line))


class GoldenTests(unittest.TestCase):
    """
    The outputs of L{sessions}, in each log format, in one process and
    under C{--workers 2}.
    """

    timeout = 120

    def run_(self, *options):
        """
        Start a server with C{options}, run L{sessions}, stop it.

        @return: the stopped L{tests.serverprocess.ServerProcess}.
        """
        server, _ = startServer(self, *options)
        sessions(server)
        server.stop()
        return server

    def checkText(self, *options):
        lines = textLines(self.run_(*options).log())
        if options:
            lines = [line.replace("[worker PID ", "[") for line in lines]
        self.assertEqual(lines, TEXT)

    def test_text(self):
        """
        The text lines, in one process.
        """
        self.checkText()

    def test_textWorkers(self):
        """
        The text lines under C{--workers 2}: the same, but for the worker
        named in each system (C{[worker PID ftpkit#info]}).
        """
        server, _ = startServer(self, "--workers", "2")
        sessions(server)
        server.stop()
        lines = textLines(server.log())
        self.assertTrue(all(line.startswith("[worker PID ftpkit#")
                            for line in lines), lines)
        self.assertEqual([line.replace("[worker PID ", "[")
                          for line in lines], TEXT)

    def checkJSON(self, *options):
        records = jsonRecords(self.run_("--log-format", "json",
                                        *options).log())
        self.assertEqual(records, self.goldenJSON(bool(options)))

    def test_json(self):
        """
        The JSON records, in one process.
        """
        self.checkJSON()

    def test_jsonWorkers(self):
        """
        The JSON records under C{--workers 2}.
        """
        self.checkJSON("--workers", "2")

    def goldenJSON(self, workers):
        """
        @param workers: whether under C{--workers}.
        @return: the records L{jsonRecords} gives.
        """
        with open(os.path.join(os.path.dirname(__file__),
                               "loggolden29.json")) as f:
            golden = json.load(f)
        return golden["workers" if workers else "one"]

    def checkXfer(self, *options):
        path = os.path.abspath(self.mktemp())
        self.run_("--xferlog", path, *options)
        self.assertEqual(xferLines(path), XFER)

    def test_xferlog(self):
        """
        The C{--xferlog} lines, in one process.
        """
        self.checkXfer()

    def test_xferlogWorkers(self):
        """
        The C{--xferlog} lines under C{--workers 2}.
        """
        self.checkXfer("--workers", "2")

    def test_metrics(self):
        """
        The metrics' counters, in one process.
        """
        server, _ = startServer(self, metrics=True)
        sessions(server)
        url = f"http://127.0.0.1:{server.metricsPort}/metrics"
        with urllib.request.urlopen(url, timeout=30) as response:
            lines = metricLines(response.read().decode("utf-8"))
        server.stop()
        self.assertEqual(lines, METRICS)


REPLIES_SENT = {
    150: 4,
    200: 7,
    220: 4,
    221: 2,
    226: 4,
    227: 5,
    230: 2,
    250: 3,
    257: 1,
    331: 3,
    350: 1,
    425: 1,
    530: 1,
    550: 2,
}
"""The replies of L{sessions} by code: every other code the server sends
(L{REPLY_CODES}) is there at 0."""

METRICS = sorted([
    'ftpkit_logins_total{result="abandoned"} 0.0',
    'ftpkit_logins_total{result="failure"} 1.0',
    'ftpkit_logins_total{result="refused"} 0.0',
    'ftpkit_logins_total{result="success"} 2.0',
    'ftpkit_received_bytes_total 107.0',
    'ftpkit_sent_bytes_total 107.0',
    'ftpkit_sessions_started_total 4.0',
    'ftpkit_transfer_duration_seconds_count{command="APPE"} 0.0',
    'ftpkit_transfer_duration_seconds_count{command="RETR"} 2.0',
    'ftpkit_transfer_duration_seconds_count{command="STOR"} 2.0',
    'ftpkit_transfer_duration_seconds_count{command="STOU"} 0.0',
    'ftpkit_transfers_total{command="APPE",result="failure"} 0.0',
    'ftpkit_transfers_total{command="APPE",result="success"} 0.0',
    'ftpkit_transfers_total{command="LIST",result="failure"} 0.0',
    'ftpkit_transfers_total{command="LIST",result="success"} 0.0',
    'ftpkit_transfers_total{command="MLSD",result="failure"} 0.0',
    'ftpkit_transfers_total{command="MLSD",result="success"} 0.0',
    'ftpkit_transfers_total{command="NLST",result="failure"} 0.0',
    'ftpkit_transfers_total{command="NLST",result="success"} 0.0',
    'ftpkit_transfers_total{command="RETR",result="failure"} 0.0',
    'ftpkit_transfers_total{command="RETR",result="success"} 2.0',
    'ftpkit_transfers_total{command="STOR",result="failure"} 0.0',
    'ftpkit_transfers_total{command="STOR",result="success"} 2.0',
    'ftpkit_transfers_total{command="STOU",result="failure"} 0.0',
    'ftpkit_transfers_total{command="STOU",result="success"} 0.0',
] + [
    f'ftpkit_replies_total{{code="{code}"}} {REPLIES_SENT.get(code, 0)}.0'
    for code in REPLY_CODES])
"""The metric lines of L{sessions}, as L{metricLines} gives them: the
series of a closed set of labels at 0 where nothing was counted in them
(L{ftpkit.ops.metrics.ServerMetrics}), the replies' codes of
L{REPLY_CODES} included."""
