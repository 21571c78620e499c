"""
The measurements. Each scenario runs against one server L{Instance} and
returns a C{dict} of figures; a wrong transfer raises L{TransferError}.
"""

import hashlib
import os
import socket
import threading
import time

from bench import sessions
from bench.client import CHUNK, ReplyError, clientContext
from bench.sessions import Session
from bench.spent import setAside

GiB = 1 << 30
MiB = 1 << 20


class TransferError(Exception):
    """
    A transfer moved the wrong bytes.
    """


class Workload:
    """
    The files and sizes every scenario shares.

    @ivar bigName: the large file's name in each root.
    @ivar bigSize: its size in bytes.
    @ivar bigHash: its SHA-256 hex digest.
    @ivar bigPath: its path on the local disk.
    @ivar small: C{(name, content)} pairs of the small files.
    @ivar clients: how many concurrent clients fetch the small files.
    @ivar sessions: how many idle sessions to hold.
    @ivar slowSeconds: how long the slow reader reads.
    @ivar slowRate: its bytes per second.
    @ivar entries: how many entries the listed directory C{many/} holds.
    """

    def __init__(self, bigPath, bigHash, small, clients, sessions,
                 slowSeconds, slowRate=MiB, entries=0):
        """
        @param bigPath: the large file on the local disk.
        @param bigHash: its SHA-256 hex digest.
        @param small: C{(name, content)} pairs of the small files.
        @param clients: concurrent small-file clients.
        @param sessions: idle sessions to hold.
        @param slowSeconds: how long the slow reader reads.
        @param slowRate: its bytes per second.
        @param entries: entries in C{many/}.
        """
        self.bigName = os.path.basename(bigPath)
        self.bigPath = bigPath
        self.bigSize = os.path.getsize(bigPath)
        self.bigHash = bigHash
        self.small = small
        self.clients = clients
        self.sessions = sessions
        self.slowSeconds = slowSeconds
        self.slowRate = slowRate
        self.entries = entries


def _clientCPU():
    """
    @return: CPU seconds this (client) process has used.
    """
    return time.process_time()


def _bulk(instance, work, tls, transfer):
    """
    Time one large transfer and the CPU both sides spend on it.

    @param instance: the server.
    @param work: the L{Workload}.
    @param tls: whether to use explicit FTPS.
    @param transfer: called with a logged-in client; returns the bytes moved.
    @return: MB/s and CPU seconds per GiB for server and client.
    """
    client = instance.client(clientContext() if tls else None)
    try:
        server0, client0 = instance.tree.cpu(), _clientCPU()
        start = time.perf_counter()
        moved = transfer(client)
        elapsed = time.perf_counter() - start
        server1, client1 = instance.tree.cpu(), _clientCPU()
    finally:
        client.quit()
    if moved != work.bigSize:
        raise TransferError(f"moved {moved} bytes of {work.bigSize}")
    gib = moved / GiB
    return {
        "MB/s": moved / elapsed / 1e6,
        "server CPU s/GiB": (server1 - server0) / gib,
        "client CPU s/GiB": (client1 - client0) / gib,
    }


def retr(instance, work, tls=False, verify=False):
    """
    Download the large file.

    @param instance: the server.
    @param work: the L{Workload}.
    @param tls: whether to use explicit FTPS.
    @param verify: hash what arrives and compare (slower; not timed runs).
    @return: the figures of L{_bulk}.
    """
    hasher = hashlib.sha256() if verify else None
    figures = _bulk(instance, work, tls,
                    lambda c: c.retr(work.bigName, hasher))
    if verify and hasher.hexdigest() != work.bigHash:
        raise TransferError("RETR content differs")
    return figures


def stor(instance, work, tls=False, verify=False):
    """
    Upload the large file into C{up/}, check what landed on disk, remove it.

    @param instance: the server.
    @param work: the L{Workload}.
    @param tls: whether to use explicit FTPS.
    @param verify: hash the stored file and compare.
    @return: the figures of L{_bulk}.
    """
    name = f"up/stor-{time.monotonic_ns()}.bin"
    stored = os.path.join(instance.server.root, name)
    source = open(work.bigPath, "rb")
    try:
        figures = _bulk(instance, work, tls,
                        lambda c: c.stor(name, source, work.bigSize))
        size = os.path.getsize(stored)
        if size != work.bigSize:
            raise TransferError(f"stored {size} bytes of {work.bigSize}")
        if verify:
            hasher = hashlib.sha256()
            with open(stored, "rb") as f:
                while chunk := f.read(CHUNK):
                    hasher.update(chunk)
            if hasher.hexdigest() != work.bigHash:
                raise TransferError("STOR content differs")
    finally:
        source.close()
        if os.path.exists(stored):
            os.unlink(stored)
    return figures


def retrTLS(instance, work, verify=False):
    """
    L{retr} over explicit FTPS.

    @return: the figures of L{_bulk}.
    """
    return retr(instance, work, True, verify)


def storTLS(instance, work, verify=False):
    """
    L{stor} over explicit FTPS.

    @return: the figures of L{_bulk}.
    """
    return stor(instance, work, True, verify)


def _eachFile(instance, work, loginEach, transfer, meter=None):
    """
    Move every small file with C{work.clients} concurrent clients.

    @param instance: the server.
    @param work: the L{Workload}.
    @param loginEach: log in (and out) for every file, rather than once per
        client before the clock starts.
    @param transfer: C{transfer(session, name, content)}, a generator that
        moves one file.
    @param meter: what measures the server, read (called without
        arguments) once the sessions are logged in and again once every
        file is moved; the server's process tree's CPU seconds if C{None}.
    @return: the seconds taken, and the difference of the server's two
        readings and the client's CPU seconds meanwhile.
    """
    if meter is None:
        meter = instance.tree.cpu
    server = instance.server
    queue = list(reversed(work.small))
    clients = []
    if not loginEach:
        clients = [Session() for _ in range(work.clients)]
        sessions.run([c.connect(instance.port, server.user, server.password)
                      for c in clients])

    def worker(client):
        while queue:
            name, content = queue.pop()
            if loginEach:
                client = Session()
                yield from client.connect(
                    instance.port, server.user, server.password)
            yield from transfer(client, name, content)
            if loginEach:
                yield from client.quit()

    try:
        server0, client0 = meter(), _clientCPU()
        start = time.perf_counter()
        sessions.run([worker(clients[i] if clients else None)
                      for i in range(work.clients)])
        elapsed = time.perf_counter() - start
        server1, client1 = meter(), _clientCPU()
        sessions.run([c.quit() for c in clients])
    finally:
        for client in clients:
            client.close()
    return elapsed, server1 - server0, client1 - client0


def _fetch(client, name, content):
    """
    Download one small file and compare it (a generator).
    """
    got = yield from client.retr(name)
    if got != content:
        raise TransferError(
            f"{name}: {len(got)} bytes, expected {len(content)}")


def _small(instance, work, loginEach, transfer=_fetch):
    """
    Run L{_eachFile} and express it as files per second.

    @param instance: the server.
    @param work: the L{Workload}.
    @param loginEach: see L{_eachFile}.
    @param transfer: see L{_eachFile}.
    @return: files/s, and the client's CPU use as a share of one core (near
        100% means the client may be the bottleneck).
    """
    elapsed, serverCPU, clientCPU = _eachFile(instance, work, loginEach,
                                              transfer)
    return {
        "files/s": len(work.small) / elapsed,
        "server CPU ms/file": serverCPU * 1000 / len(work.small),
        "client CPU %": clientCPU / elapsed * 100,
    }


def smallFiles(instance, work, verify=False):
    """
    Small files, each client logged in once.

    @return: the figures of L{_small}.
    """
    return _small(instance, work, False)


def smallFilesLoginEach(instance, work, verify=False):
    """
    Small files with a login per file.

    @return: the figures of L{_small}.
    """
    return _small(instance, work, True)


def smallUploads(instance, work, verify=False):
    """
    Small files uploaded into a new directory below C{up/}, each client
    logged in once; every stored file is compared with what was sent, then
    the directory is set aside (L{bench.spent}: removing it at once would
    slow the next sample's creates, whichever server it runs).

    @return: the figures of L{_small}.
    """
    directory = f"up/small-{time.monotonic_ns()}"
    local = os.path.join(instance.server.root, directory)
    os.mkdir(local)
    os.chmod(local, 0o777)

    def upload(client, name, content):
        yield from client.stor(f"{directory}/{os.path.basename(name)}",
                               content)

    try:
        figures = _small(instance, work, False, upload)
        for name, content in work.small:
            with open(os.path.join(local, os.path.basename(name)), "rb") as f:
                if f.read() != content:
                    raise TransferError(f"{name}: stored content differs")
    finally:
        setAside(local, spentDirectory(instance))
    return figures


def spentDirectory(instance):
    """
    @param instance: a running server.
    @return: where its finished upload directories go: beside its root,
        in the benchmark's temporary directory (removed at the end).
    """
    return os.path.join(os.path.dirname(instance.server.root), "spent")


def _holdSessions(instance, count, measure):
    """
    Log in C{count} sessions (50 at a time), call C{measure}, close them.

    @param instance: the server.
    @param count: how many sessions.
    @param measure: called with no arguments while all are logged in.
    @return: the seconds the logins took, and what C{measure} returned.
    """
    server = instance.server
    clients = [Session() for _ in range(count)]
    pending = list(reversed(clients))

    def login():
        while pending:
            yield from pending.pop().connect(
                instance.port, server.user, server.password)

    try:
        start = time.perf_counter()
        sessions.run([login() for _ in range(min(50, count))])
        elapsed = time.perf_counter() - start
        time.sleep(0.5)
        return elapsed, measure()
    finally:
        for client in clients:
            client.close()
        time.sleep(0.2)


def idleSessions(instance, work, verify=False):
    """
    Hold C{work.sessions} logged-in sessions; run on a fresh server.
    As many are logged in first and held throughout, and only the
    growth past them counts: what start-up allocated and freed (the sweep
    of a large tree) leaves heap room that new sessions fill without the
    process growing, and the first sessions would read as costing nothing.

    @return: memory growth per session (KiB) and logins per second.
    """
    _holdSessions(instance, 20, lambda: None)
    time.sleep(0.5)

    def measured():
        before = instance.tree.memory()
        elapsed, after = _holdSessions(
            instance, work.sessions, instance.tree.memory)
        return before, elapsed, after

    _, (before, elapsed, after) = _holdSessions(
        instance, work.sessions, measured)
    return {
        "KiB/session": (after - before) / work.sessions,
        "logins/s": work.sessions / elapsed,
    }


def slowReader(instance, work, verify=False):
    """
    Read the large file at C{work.slowRate} for C{work.slowSeconds}, then
    drop the connection; run on a fresh server.

    @return: the peak growth of server memory (MiB) meanwhile.
    """
    client = instance.client()
    client.retr(work.small[0][0])
    time.sleep(0.3)
    before = instance.tree.memory()
    data = client.open("RETR " + work.bigName)
    pids = instance.tree.pids()
    peak = before
    step = 0.05
    chunk = int(work.slowRate * step)
    buf = bytearray(chunk)
    received = 0
    start = time.perf_counter()
    try:
        while time.perf_counter() - start < work.slowSeconds:
            view = memoryview(buf)
            while view:
                n = data.recv_into(view)
                if not n:
                    raise TransferError("data connection closed early")
                received += n
                view = view[n:]
            peak = max(peak, instance.tree.memory(pids))
            time.sleep(step)
    finally:
        data.close()
        client.abort()
    return {"peak MiB growth": (peak - before) / 1024}


LISTINGS = 3
"""Listings of each kind per sample."""


def listings(instance, work, verify=False):
    """
    C{LIST} then C{MLSD} of C{many/}, L{LISTINGS} times each, in one
    session. A server without C{MLSD} (vsftpd) gets C{LIST} figures only.

    @return: listings per second of each kind, and the server's CPU
        milliseconds per listing of each.
    """
    figures = {}
    client = instance.client()
    try:
        for command in ("LIST", "MLSD"):
            server0 = instance.tree.cpu()
            start = time.perf_counter()
            try:
                for _ in range(LISTINGS):
                    text = client.listing(f"{command} many")
                    lines = text.count(b"\n")
                    if lines < work.entries:
                        raise TransferError(f"{command}: {lines} lines for"
                                            f" {work.entries} entries")
            except ReplyError:
                if command == "MLSD":
                    continue
                raise
            elapsed = time.perf_counter() - start
            cpu = instance.tree.cpu() - server0
            figures[f"{command}/s"] = LISTINGS / elapsed
            figures[f"server CPU ms/{command}"] = cpu * 1000 / LISTINGS
    finally:
        client.quit()
    return figures


def tlsLogins(instance, work, verify=False):
    """
    Explicit FTPS logins (C{AUTH TLS}, the handshake, C{USER}, C{PASS},
    C{PBSZ}, C{PROT P}, C{QUIT}), C{work.sessions} of them from eight
    client threads (a handshake costs the client as much as the server).

    @return: logins per second and the server's CPU milliseconds per login.
    """
    context = clientContext()
    left = [work.sessions]
    lock = threading.Lock()
    errors = []

    def loginLoop():
        while True:
            with lock:
                if not left[0] or errors:
                    return
                left[0] -= 1
            try:
                instance.client(context).quit()
            except Exception as e:
                errors.append(e)
                return

    threads = [threading.Thread(target=loginLoop) for _ in range(8)]
    server0 = instance.tree.cpu()
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return {
        "logins/s": work.sessions / elapsed,
        "server CPU ms/login": (instance.tree.cpu() - server0) * 1000
        / work.sessions,
    }


MIXED_DOWNLOADS = 10
MIXED_UPLOADS = 2


def mixed(instance, work, verify=False):
    """
    C{work.clients} clients at once, each: log in, C{LIST} the small files'
    directory, download L{MIXED_DOWNLOADS} of them, upload L{MIXED_UPLOADS}
    into a directory made for the sample, C{QUIT}. Everything downloaded and
    stored is compared.

    @return: sessions per second, and the server's CPU milliseconds per
        session.
    """
    server = instance.server
    directory = f"up/mixed-{time.monotonic_ns()}"
    local = os.path.join(server.root, directory)
    os.mkdir(local)
    os.chmod(local, 0o777)
    uploads = []

    def session(index):
        client = Session()
        yield from client.connect(instance.port, server.user, server.password)
        listing = yield from client.download("LIST small")
        if listing.count(b"\n") < len(work.small):
            raise TransferError("LIST small: too few lines")
        for k in range(MIXED_DOWNLOADS):
            name, content = work.small[(index * MIXED_DOWNLOADS + k)
                                       % len(work.small)]
            got = yield from client.retr(name)
            if got != content:
                raise TransferError(f"{name}: download differs")
        for k in range(MIXED_UPLOADS):
            name, content = work.small[(index + k) % len(work.small)]
            target = f"{directory}/s{index}-{k}"
            yield from client.stor(target, content)
            uploads.append((target, content))
        yield from client.quit()

    try:
        server0 = instance.tree.cpu()
        start = time.perf_counter()
        sessions.run([session(i) for i in range(work.clients)])
        elapsed = time.perf_counter() - start
        cpu = instance.tree.cpu() - server0
        for target, content in uploads:
            with open(os.path.join(server.root, target), "rb") as f:
                if f.read() != content:
                    raise TransferError(f"{target}: stored content differs")
    finally:
        setAside(local, spentDirectory(instance))
    return {
        "sessions/s": work.clients / elapsed,
        "server CPU ms/session": cpu * 1000 / work.clients,
    }


def loopbackBaseline(size):
    """
    Copy C{size} bytes memory to memory over a loopback TCP connection:
    the ceiling for any server here.

    @param size: bytes to copy.
    @return: MB/s.
    """
    listener = socket.create_server(("127.0.0.1", 0))
    receiver = socket.create_connection(listener.getsockname())
    sender, _ = listener.accept()
    listener.close()

    def send():
        block = memoryview(bytearray(CHUNK))
        left = size
        while left:
            left -= sender.send(block[:min(left, CHUNK)])
        sender.close()

    thread = threading.Thread(target=send)
    buf = bytearray(CHUNK)
    received = 0
    start = time.perf_counter()
    thread.start()
    while n := receiver.recv_into(buf):
        received += n
    elapsed = time.perf_counter() - start
    thread.join()
    receiver.close()
    return received / elapsed / 1e6
