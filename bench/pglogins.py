"""
C{python -m bench.pglogins [--files N] [--seconds S] [--baseline DIR]}:
how many login cycles (C{USER}/C{PASS}, a one-byte C{STOR}, which checks
the quota, C{QUIT}) one client completes in S seconds on a home of N
files, with a quota, with the user in PostgreSQL (started for the run,
as the tests start it) and in a users file. A server that measures the
home at every login walks the N files each cycle.

C{--baseline DIR} runs the same against the ftpkit of another checkout.
"""

import argparse
import ftplib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time

from bench.servers import freePort

USERS = """\
[users.walker]
password = "{hash}"
home = "walker"
quota = "10G"
permissions = ["list", "read", "write", "delete"]
"""


def cycles(port, seconds):
    """
    @param port: the server's port on 127.0.0.1.
    @param seconds: how long to go on.
    @return: the cycles completed meanwhile.
    """
    done = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        ftp = ftplib.FTP()
        ftp.connect("127.0.0.1", port, timeout=60)
        ftp.login("walker", "pw")
        ftp.storbinary(f"STOR up{done % 10}", io.BytesIO(b"x"))
        ftp.quit()
        done += 1
    return done


def serve(source, root, realm):
    """
    @param source: the checkout whose ftpkit runs (from its directory:
        C{python -m} finds modules in the current one first).
    @param root: the root.
    @param realm: the C{--realm} and C{--auth} value.
    @return: C{(process, port)} once it greets.
    """
    port = freePort()
    process = subprocess.Popen(
        [sys.executable, "-m", "ftpkit", "--root", root, "--listen",
         f"tcp:{port}:interface=127.0.0.1", "--realm", realm, "--auth",
         realm], env={**os.environ, "PYTHONPATH": source}, cwd=source,
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    for _ in range(600):
        try:
            ftplib.FTP().connect("127.0.0.1", port, timeout=1)
            return process, port
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("the server did not start")


def main(argv=None):
    """
    Run it, printing one line per checkout and realm.

    @param argv: the arguments (C{sys.argv[1:]} by default).
    """
    from ftpkit.auth import pgadmin
    from ftpkit.auth.users import hashPassword
    from tests.pgserver import PostgresServer

    parser = argparse.ArgumentParser(prog="python -m bench.pglogins")
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--baseline", action="append", default=[])
    options = parser.parse_args(argv)
    top = tempfile.mkdtemp(prefix="ftpkit-pglogins-")
    database = PostgresServer()
    try:
        quiet = io.StringIO()
        pgadmin.main(["--dsn", database.dsn, "init"], stdout=quiet)
        pgadmin.main(["--dsn", database.dsn, "add", "walker", "--permissions",
                      "list,read,write,delete", "--quota", "10G",
                      "--password-stdin"], stdin=io.StringIO("pw\n"),
                     stdout=quiet, stderr=quiet)
        home = os.path.join(top, "walker")
        os.mkdir(home)
        for number in range(options.files):
            open(os.path.join(home, str(number)), "w").close()
        users = os.path.join(top, "users.toml")
        with open(users, "w") as f:
            f.write(USERS.format(hash=hashPassword("pw")))
        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        for source in [here, *options.baseline]:
            for realm in (f"pg:{database.dsn}", f"users:{users}"):
                process, port = serve(source, top, realm)
                try:
                    count = cycles(port, options.seconds)
                finally:
                    process.terminate()
                    process.wait()
                print(f"{source} {realm.partition(':')[0]}: {count} cycles "
                      f"in {options.seconds:g} s, {options.files} files")
    finally:
        database.stop()
        shutil.rmtree(top, ignore_errors=True)


if __name__ == "__main__":
    main()
