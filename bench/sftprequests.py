"""
The SFTP requests an C{fsspec:sftp://} realm sends per FTP command, and
each command's time beside the same directory served as C{fsspec:file://}
(for scale): login and C{CWD}, C{SIZE}, C{RETR} and C{STOR} of a small
file, C{LIST} of a directory of C{--entries}, C{RNFR}/C{RNTO}, C{DELE}.
The server runs in this process (L{ftpkit.loopback.LoopbackServer}), an
ftplib client in a thread, the test suite's OpenSSH server
(L{tests.storageservers.sshServer}) serves the SFTP::

    python -m bench.sftprequests [--entries 100] [--repeat 20]

A request is a packet the SFTP client sends (counted on its channel); the
paramiko calls behind them are named (C{normalize} is C{REALPATH}; C{open},
C{listdir_iter} send more than one).
"""

import argparse
import ftplib
import io
import os
import shutil
import statistics
import tempfile
import time
from collections import Counter

from twisted.internet import defer, task, threads

NAMED = ("normalize", "lstat", "stat", "readlink", "listdir_iter",
         "listdir_attr", "open", "rename", "posix_rename", "remove", "mkdir",
         "rmdir", "utime", "chmod")
"""The paramiko C{SFTPClient} methods named."""


def counting(client, counts):
    """
    Count the packets an SFTP client sends (under C{"requests"}) and the
    calls of L{NAMED} made on it.

    @param client: a paramiko C{SFTPClient}.
    @param counts: a L{Counter}.
    """
    channel = client.sock
    send = channel.send

    def sent(data):
        counts["requests"] += 1
        return send(data)

    channel.send = sent
    for name in NAMED:
        method = getattr(client, name)

        def counted(*args, _method=method, _name=name, **kwargs):
            counts[_name] += 1
            return _method(*args, **kwargs)

        setattr(client, name, counted)


def commands(entries):
    """
    @param entries: how many entries the listed directory holds.
    @return: C{(name, run)} pairs: C{run(ftp)} sends one command (or two)
        on a logged-in ftplib client; login and C{CWD} log in first.
    """
    def retr(ftp):
        return ftp.retrbinary("RETR small.txt", lambda data: None)

    def stor(ftp):
        return ftp.storbinary("STOR up.txt", io.BytesIO(b"x" * 100))

    def listing(ftp):
        lines = []
        ftp.retrlines("LIST listed", lines.append)
        assert len(lines) == entries, len(lines)

    def rename(ftp):
        ftp.rename("up.txt", "moved.txt")

    return (
        ("SIZE", lambda ftp: ftp.size("small.txt")),
        ("RETR", retr),
        ("STOR", stor),
        (f"LIST {entries}", listing),
        ("RNFR/RNTO", rename),
        ("DELE", lambda ftp: ftp.delete("moved.txt")),
    )


def fillRoot(root, entries):
    """
    A small file and a directory of C{entries} files in C{root}.
    """
    with open(os.path.join(root, "small.txt"), "wb") as f:
        f.write(b"small" * 20)
    os.mkdir(os.path.join(root, "listed"))
    for number in range(entries):
        open(os.path.join(root, "listed", f"f{number:05d}"), "wb").close()


@defer.inlineCallbacks
def measure(reactor, entries, repeat):
    """
    Print the requests and median times of each command, SFTP and local.
    """
    from ftpkit.auth.fsspecrealm import makeFsspecRealm
    from ftpkit.loopback import LoopbackServer
    from tests.storageservers import sshServer

    root = tempfile.mkdtemp(prefix="sftprequests-")
    os.chmod(root, 0o755)
    fillRoot(root, entries)
    ssh = sshServer()
    realms = {
        "sftp": makeFsspecRealm(
            f"sftp://{ssh.user}@127.0.0.1:{ssh.port}{root}"
            f"?key_filename={ssh.keyFile}&look_for_keys=false"
            "&allow_agent=false", {}),
        "file": makeFsspecRealm(f"file://{root}", {}),
    }
    counts = Counter()
    times = {}
    requests = {}
    for kind, realm in realms.items():
        server = LoopbackServer(realm)
        port = server.start()

        def login(port=port):
            ftp = ftplib.FTP()
            ftp.connect("127.0.0.1", port)
            ftp.login("alice", "secret")
            ftp.voidcmd("TYPE I")
            ftp.cwd("/")
            return ftp

        yield threads.deferToThread(lambda: login().quit())
        if kind == "sftp":
            counting(realm.fs.ftp, counts)
        for _ in range(repeat):
            steps = [("login+CWD", None)] + list(commands(entries))
            ftp = None
            for name, run in steps:
                counts.clear()
                started = time.perf_counter()
                if run is None:
                    ftp = yield threads.deferToThread(login)
                else:
                    yield threads.deferToThread(run, ftp)
                spent = time.perf_counter() - started
                yield task.deferLater(reactor, 0.05, lambda: None)
                times.setdefault((kind, name), []).append(spent)
                if kind == "sftp":
                    requests[name] = dict(counts)
            yield threads.deferToThread(ftp.quit)
        yield server.stop()
    print(f"{'command':12s} {'requests':>8s} {'sftp ms':>8s} {'file ms':>8s}"
          "  paramiko calls")
    for name, _ in [("login+CWD", None)] + list(commands(entries)):
        named = requests[name]
        print(f"{name:12s} {named.get('requests', 0):8d}"
              f" {statistics.median(times[('sftp', name)]) * 1000:8.2f}"
              f" {statistics.median(times[('file', name)]) * 1000:8.2f}  "
              + " ".join(f"{call}={named[call]}" for call in NAMED
                         if named.get(call)))
    yield realms["sftp"].shellAt(()).call(realms["sftp"].fs.client.close)
    shutil.rmtree(root)


def main():
    """
    Parse the options and measure.
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=20)
    options = parser.parse_args()
    task.react(lambda reactor: measure(reactor, options.entries,
                                       options.repeat))


if __name__ == "__main__":
    main()
