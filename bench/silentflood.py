"""
What silent connections over C{--max-connections-per-ip} cost a server
in one process on an implicit-TLS (C{ssl:}) port: one address connects
C{--connections} times as fast as it can and sends nothing. The
descriptors and resident memory of the server once it has accepted them
all (its listen queue empty) and its CPU a connection, for this tree
and, with C{--baseline}, another, in alternating rounds. Fewer than
C{closeTimeout} (10 s) allows to accept, on a loaded machine, so that
none is cut yet::

    python -m bench.silentflood [--connections 500] [--repeat 2] \\
        [--baseline /tmp/base]
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time

from bench.certs import writeSelfSigned
from bench.procstat import cpuSeconds, memoryKiB
from bench.servers import freePort

QUEUE_WAIT = 30.0
"""Seconds the server may take to accept every connection."""


def listenQueue(port):
    """
    @param port: a listening TCP port on 127.0.0.1.
    @return: how many connections wait in its listen queue (C{ss}'s
        C{Recv-Q} of the listener), or C{None} when C{ss} cannot tell.
    """
    try:
        out = subprocess.run(["ss", "-Hltn", f"sport = :{port}"],
                             capture_output=True, text=True,
                             check=True).stdout.split()
        return int(out[1])
    except (OSError, subprocess.CalledProcessError, IndexError, ValueError):
        return None


def startServer(tree, port, pem, root):
    """
    Start C{python -m ftpkit} of C{tree} on an C{ssl:} port.

    @param tree: the source tree put first on C{PYTHONPATH}.
    @param port: the port.
    @param pem: a PEM file with the certificate and key.
    @param root: the directory served, and the server's working
        directory (C{python -m} puts the working directory first on
        C{sys.path}, before C{PYTHONPATH}).
    @return: the L{subprocess.Popen}, once the port accepts.
    """
    env = dict(os.environ, PYTHONPATH=tree)
    process = subprocess.Popen(
        [sys.executable, "-m", "ftpkit", "--root", root,
         "--auth", "memory:u:p", "--listen",
         f"ssl:{port}:interface=127.0.0.1:privateKey={pem}:certKey={pem}"],
        env=env, cwd=root, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("server did not start")


def flood(pid, port, connections):
    """
    Open C{connections} silent connections and look at the server once
    it has accepted them all.

    @return: C{(descriptors, rssKiB, cpuMsPerConnection)}.
    """
    spent = cpuSeconds([pid])
    clients = []
    try:
        for _ in range(connections):
            clients.append(socket.create_connection(("127.0.0.1", port)))
        deadline = time.monotonic() + QUEUE_WAIT
        while listenQueue(port) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        spent = cpuSeconds([pid]) - spent
        descriptors = len(os.listdir(f"/proc/{pid}/fd"))
        rss = memoryKiB([pid], False)
    finally:
        for client in clients:
            client.close()
    return descriptors, rss, spent * 1000 / connections


def main(argv=None):
    """
    Run the rounds and print a line a round.

    @param argv: the arguments (C{sys.argv[1:]} by default).
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--baseline", help="another source tree")
    args = parser.parse_args(argv)
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    trees = [here] + ([args.baseline] if args.baseline else [])
    with tempfile.TemporaryDirectory() as scratch:
        pem = writeSelfSigned(os.path.join(scratch, "both.pem"))
        for _ in range(args.repeat):
            for tree in trees:
                port = freePort()
                server = startServer(tree, port, pem, scratch)
                try:
                    descriptors, rss, cpu = flood(server.pid, port,
                                                  args.connections)
                finally:
                    server.terminate()
                    server.wait()
                print(f"{tree}: {args.connections} connections, "
                      f"{descriptors} descriptors, "
                      f"RSS {rss / 1024:.0f} MB, "
                      f"CPU {cpu:.2f} ms a connection", flush=True)


if __name__ == "__main__":
    main()
