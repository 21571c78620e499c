"""
Who is connected: each session's user, address, login time and running
transfer, as records (L{sessionRecord}) that C{/sessions} on the
C{--metrics} endpoint serves as JSON, and C{python -m ftpkit.who [URL]}
prints as a table (like ProFTPD's C{ftpwho}).

Under C{--workers} each worker writes its records to a file in the
metrics directory once a second (L{SessionSnapshots}); the acceptor's
C{/sessions} joins them (L{readSnapshots}), so there the bytes and rates
are up to a second old.
"""

import glob
import http.client
import json
import os
import socket
import stat
import sys
import time
import urllib.parse
import urllib.request

from twisted.application import internet

DEFAULT_URL = "http://127.0.0.1:9102/sessions"
"""Where C{python -m ftpkit.who} looks when given no URL."""

SNAPSHOT_INTERVAL = 1.0
"""Seconds between a worker's snapshots of its sessions."""


def _isoTime(when):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))


def sessionRecord(protocol, now):
    """
    Describe one session.

    @param protocol: an L{ftpkit.control.server.FTPProtocol}.
    @param now: the time (reactor seconds, which are the wall clock's).
    @return: a C{dict}: C{session}, C{peer}, C{user} (C{None} until
        login: the name given to C{USER} before is only what the client
        chose), C{anonymous} (C{False} until login), C{host} (the name
        given to C{HOST}, or C{None}), C{client} (the name the client
        gave with C{CLNT} or C{CSID}, cleaned and cut short, or C{None}),
        C{login_time} (ISO 8601 UTC, C{None} before login),
        C{transfer} (C{None}, or C{command}, C{path}, C{bytes},
        C{seconds} and C{rate} in bytes a second) and C{leaving}
        (whether the client closed its control connection, or was seen to
        hang up, while the transfer goes on: the session counts until it
        ends).
    """
    session = protocol.session
    loginTime = protocol.loginTime
    loggedIn = loginTime is not None
    record = {
        "session": protocol.sessionId,
        "peer": protocol.peer,
        "user": session.username if loggedIn else None,
        "anonymous": session.anonymous and loggedIn,
        "host": session.hostName,
        "client": protocol.clientName,
        "login_time": _isoTime(loginTime) if loggedIn else None,
        "transfer": None,
        "leaving": protocol.leaving,
    }
    transfer = protocol.transfer
    if transfer is not None:
        command, _, path = transfer.description.partition(" ")
        moved = transfer.bytesMoved()
        seconds = max(0.0, now - transfer.started)
        record["transfer"] = {
            "command": command, "path": path, "bytes": moved,
            "seconds": round(seconds, 3),
            "rate": round(moved / seconds) if seconds > 0 else 0,
        }
    return record


def sessionRecords(factory):
    """
    @param factory: an L{ftpkit.control.server.FTPFactory}.
    @return: the records of its open sessions, oldest session first.
    """
    now = factory.reactor.seconds()
    records = [sessionRecord(each, now) for each in factory.openSessions]
    return sorted(records, key=lambda record: record["session"])


def snapshotPath(directory, pid):
    """
    @param directory: the directory of the snapshots.
    @param pid: a process id.
    @return: the file of process C{pid}'s records in C{directory}.
    """
    return os.path.join(directory, f"sessions_{pid}.json")


def writeSnapshot(directory, records, pid=None):
    """
    Replace this process's snapshot file (written aside, then renamed:
    a reader never sees half of one). The file aside is always made new
    (whatever was at its path removed first): a FIFO there was opened,
    and the worker waited for a reader for good.

    @param directory: the metrics directory.
    @param records: the session records.
    @param pid: the process id (this process's by default).
    """
    path = snapshotPath(directory, os.getpid() if pid is None else pid)
    aside = path + ".new"
    try:
        os.remove(aside)
    except FileNotFoundError:
        pass
    descriptor = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                         | os.O_CLOEXEC, 0o666)
    with open(descriptor, "w") as f:
        json.dump(records, f)
    os.replace(aside, path)


def _readRegular(path):
    """
    @param path: a file's path.
    @return: its text.
    @raise OSError: when it cannot be read, or is no regular file (a
        FIFO, opened without waiting for a writer: the acceptor waited
        for one for good).
    """
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with open(descriptor) as f:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise OSError(f"{path} is not a regular file")
        return f.read()


def readSnapshots(directory):
    """
    @param directory: the metrics directory.
    @return: the records of every process's snapshot, joined.
    """
    records = []
    for path in sorted(glob.glob(os.path.join(directory, "sessions_*.json"))):
        try:
            records.extend(json.loads(_readRegular(path)))
        except (OSError, ValueError):
            continue
    return records


def forgetSnapshot(directory, pid):
    """
    A worker ended: remove its snapshot.

    @param directory: the directory of the snapshots.
    @param pid: the worker's process id.
    """
    try:
        os.remove(snapshotPath(directory, pid))
    except OSError:
        pass


class SessionSnapshots(internet.TimerService):
    """
    In a worker: write the snapshot of its sessions every
    L{SNAPSHOT_INTERVAL} seconds.
    """

    def __init__(self, directory, factory):
        """
        @param directory: the metrics directory.
        @param factory: the worker's L{ftpkit.control.server.FTPFactory}.
        """
        internet.TimerService.__init__(self, SNAPSHOT_INTERVAL, self.write)
        self.directory = directory
        self.factory = factory

    def write(self):
        """
        Write the snapshot now.
        """
        try:
            writeSnapshot(self.directory, sessionRecords(self.factory))
        except OSError:
            pass


CLIENT_WIDTH = 20
"""The width of the table's C{CLIENT} column: a longer name (C{CLNT}
keeps up to L{ftpkit.protocol.clientid.CLIENT_NAME_LIMIT} characters) is
cut short, ending in C{...}, so that the columns after it stay where
they are (the JSON has it whole)."""


def _shortened(text, width):
    """
    @param text: a column's value.
    @param width: the column's width.
    @return: C{text}, or its start and C{...} in C{width} characters when
        it is longer.
    """
    if len(text) <= width:
        return text
    return text[:width - 3] + "..."


def _escaped(text):
    """
    @param text: a column's value, as the endpoint sent it.
    @return: C{text} with what a terminal would act on (control
        characters, and everything past ASCII) written as JSON escapes:
        the endpoint a URL names may be anyone's (a local user listening
        on the default port while the server's metrics are elsewhere), and
        the address and login time, which ftpkit's endpoint makes itself,
        reached the terminal as they came.
    """
    return json.dumps(text)[1:-1]


def formatTable(records):
    """
    @param records: session records.
    @return: a table of them, a line each, as text.
    """
    row = "%-21s %-39s %-" + str(CLIENT_WIDTH) + "s %-20s %s"
    lines = [row % ("USER", "FROM", "CLIENT", "LOGIN (UTC)", "DOING")]
    for record in records:
        transfer = record.get("transfer")
        if transfer is None:
            doing = "idle"
        else:
            doing = "%s %s: %d bytes, %d B/s%s" % (
                transfer["command"], transfer["path"], transfer["bytes"],
                transfer["rate"],
                " (client left)" if record.get("leaving") else "")
        lines.append(row % (
            _escaped(record.get("user") or "(not logged in)"),
            _escaped(record.get("peer") or "-"),
            _shortened(_escaped(record.get("client") or "-"), CLIENT_WIDTH),
            _escaped(record.get("login_time") or "-"), _escaped(doing)))
    lines.append("%d session(s)" % len(records))
    return "\n".join(lines) + "\n"


def _notSessions(what):
    """
    @param what: what the answer is instead.
    @return: the error saying an answer is no list of sessions.
    """
    return ValueError(f"not a list of ftpkit sessions ({what}): is it "
                      "the /sessions page of a --metrics endpoint?")


def parsedAnswer(body):
    """
    @param body: what a C{/sessions} URL answered (L{readAnswer}).
    @return: C{body} read as JSON.
    @raise ValueError: saying it is not JSON (another page of the
        endpoint, C{/metrics}: the line was the parser's own, "Expecting
        value: line 1 column 1 (char 0)").
    """
    try:
        return json.loads(body)
    except ValueError:
        raise _notSessions("not JSON") from None


_TEXT_FIELDS = ("peer", "user", "client", "login_time")
_TRANSFER_FIELDS = (("command", str), ("path", str), ("bytes", int),
                    ("rate", (int, float)))


def checkedRecords(document):
    """
    @param document: what a C{/sessions} URL answered, parsed JSON.
    @return: C{document}, once it is a list of session records
        (L{sessionRecord}) that L{formatTable} can print.
    @raise ValueError: saying it is not (another service's JSON, the URL
        of another page): the table failed with a traceback.
    """
    wrong = _notSessions
    if not isinstance(document, list):
        raise wrong(f"a JSON {type(document).__name__}")
    for record in document:
        if not isinstance(record, dict):
            raise wrong(f"an entry is a JSON {type(record).__name__}")
        for name in _TEXT_FIELDS:
            if not isinstance(record.get(name, ""), (str, type(None))):
                raise wrong(f"{name} is not text")
        transfer = record.get("transfer")
        if transfer is None:
            continue
        if not isinstance(transfer, dict) or not all(
                isinstance(transfer.get(name), kind)
                for name, kind in _TRANSFER_FIELDS):
            raise wrong("a transfer lacks its command, path, bytes or rate")
    return document


ANSWER_LIMIT = 64 << 20
"""The most bytes of an answer read from the URL: the sessions of the
largest server take a few MiB; whatever listens there (a local user on
the default port) had all it sent read into memory, however much."""


def readAnswer(response, limit=None):
    """
    @param response: the URL's response (a file-like object).
    @param limit: the most bytes read (L{ANSWER_LIMIT} when C{None}).
    @return: its body.
    @raise ValueError: when it is longer.
    """
    limit = ANSWER_LIMIT if limit is None else limit
    body = response.read(limit + 1)
    if len(body) > limit:
        raise ValueError(f"an answer over {limit} bytes: is it the "
                         "/sessions page of a --metrics endpoint?")
    return body


class _UnixConnection(http.client.HTTPConnection):
    """
    An HTTP connection over a Unix socket.
    """

    def __init__(self, path, timeout):
        """
        @param path: the socket's path.
        @param timeout: seconds for connecting and each read.
        """
        http.client.HTTPConnection.__init__(self, "localhost",
                                            timeout=timeout)
        self._path = path

    def connect(self):
        """
        Connect to the socket.
        """
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


def openAnswer(url, timeout=30):
    """
    @param url: C{http://...}, or C{unix:PATH}: the C{/sessions} page of
        a C{--metrics unix:PATH} endpoint.
    @param timeout: seconds for connecting and each read.
    @return: the response, a file-like object.
    @raise OSError: when it cannot be had, or is not C{200 OK}.
    """
    if not url.startswith("unix:"):
        # Its port checked first: Python's HTTP client read it with int()
        # (+9102 was 9102), and connected to one past 65535 modulo 65536
        # (99999: port 34463, maybe another service).
        _ = urllib.parse.urlsplit(url).port
        return urllib.request.urlopen(url, timeout=timeout)
    connection = _UnixConnection(url[len("unix:"):], timeout)
    try:
        connection.request("GET", "/sessions")
        response = connection.getresponse()
    except http.client.HTTPException as e:
        connection.close()
        raise OSError(f"not an HTTP answer: {e!r}") from None
    if response.status != 200:
        connection.close()
        raise OSError(f"HTTP Error {response.status}: {response.reason}")
    return response


USAGE = "usage: python -m ftpkit.who [--json] [URL]\n"
"""The usage line, for C{--help} and wrong arguments."""


def wrongArguments(rest):
    """
    Say what is wrong with the arguments left once C{--json} is taken out.

    @param rest: those arguments, a C{list} of C{str}.
    @return: one line (no newline) saying what is wrong, ending with the
        usage line, or C{None} when C{rest} is at most one URL.
    """
    options = [each for each in rest if each.startswith("-")]
    if options:
        why = f"unknown option {options[0]!r}"
    elif len(rest) > 1:
        why = f"one URL at most, not {len(rest)}: " + ", ".join(
            repr(each) for each in rest)
    else:
        return None
    return f"ftpkit.who: {why} ({USAGE.strip()})"


def main(argv=None, out=None, err=None):
    """
    C{python -m ftpkit.who [--json] [URL]}: print who is connected to the
    server whose C{--metrics} endpoint serves C{URL} (L{openAnswer}).

    @param argv: the arguments (C{sys.argv[1:]} by default).
    @param out: where to print (standard output by default).
    @param err: where to print errors (standard error by default).
    @return: the exit status: 0 (C{--help} or C{-h} too, among other
        arguments or not, its usage line on C{out}), or 1 when the
        arguments are wrong (one line saying what
        is wrong, as the server's usage errors are) or the server cannot
        be asked; errors name the command as the docs do, C{ftpkit.who}.
    """
    argv = sys.argv[1:] if argv is None else argv
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    if "-h" in argv or "--help" in argv:
        # Wherever it stands, as the argparse of ftpkit.passwd and
        # ftpkit.pgadmin takes it.
        out.write(USAGE)
        return 0
    raw = "--json" in argv
    rest = [each for each in argv if each != "--json"]
    wrong = wrongArguments(rest)
    if wrong is not None:
        err.write(wrong + "\n")
        return 1
    url = rest[0] if rest else DEFAULT_URL
    try:
        with openAnswer(url) as response:
            records = checkedRecords(parsedAnswer(readAnswer(response)))
    except (OSError, ValueError) as e:
        err.write(f"ftpkit.who: cannot read {url}: {e}\n")
        return 1
    if raw:
        out.write(json.dumps(records, indent=1) + "\n")
    else:
        out.write(formatTable(records))
    return 0


if __name__ == "__main__":
    sys.exit(main())
