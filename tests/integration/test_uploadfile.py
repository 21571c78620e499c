"""
C{--on-upload}'s C{FTPKIT_FILE}, run by real servers: the uploaded file's
path on this machine's disk, under the user's home whichever way the
realm chose it (and on C{fsspec:file://}; under C{--vhost}, the realm of
the host the session chose), its final name, already
holding the bytes when the command runs; set but empty where the realm
keeps no local file. And the event it comes from
(L{ftpkit.ops.events.Event.localFile}), asked for only where an observer
is told of uploads.
"""

import ftplib
import glob
import io
import json
import os
import shlex
import sys

from twisted.cred.portal import IRealm
from twisted.internet import defer
from twisted.trial import unittest
from zope.interface import implementer

from ftpkit.auth.realms import FilesystemRealm
from ftpkit.config import ServerConfig
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.ops import events
from ftpkit.ops.observers import IgnoringObserver, ObserverSubscription
from tests.ftpclient import inLoggedInClient
from tests.integration.test_pgusers import PostgresTestCase
from tests.scratch import scratchDirectory
from tests.serverprocess import READY, ServerProcess, startServer
from tests.usersfiles import ALICE_HASH, writeText

HOOK = """\
import json, os, sys, uuid
found = os.environ.get("FTPKIT_FILE")
record = {"path": os.environ["FTPKIT_PATH"], "file": found,
          "root": os.environ["FTPKIT_ROOT"]}
if found:
    with open(found, "rb") as f:
        record["bytes"] = f.read().decode()
with open(os.path.join(sys.argv[1], uuid.uuid4().hex + ".tmp"), "w") as f:
    json.dump(record, f)
os.rename(f.name, f.name[:-4] + ".json")
"""
"""The command: each upload's C{FTPKIT_*} variables, and what the file
named holds, as a JSON file of its own in the directory it is given."""


class HookRecords:
    """
    A test case mixin running servers with L{HOOK} as C{--on-upload},
    and reading what it recorded.
    """

    def hookOptions(self):
        """
        @return: the C{--on-upload} option running L{HOOK}, recording in
            a new directory of the test's (C{out}).
        """
        self.out = scratchDirectory(self)
        return ["--on-upload",
                shlex.join([sys.executable, "-c", HOOK, self.out])]

    def records(self, count, server):
        """
        @param count: the commands that are to run.
        @param server: the L{ServerProcess} running them.
        @return: what they recorded, by C{FTPKIT_PATH}.
        """
        def ran():
            found = glob.glob(os.path.join(self.out, "*.json"))
            return found if len(found) >= count else None
        records = {}
        for name in server.waitFor(ran, f"{count} --on-upload commands"):
            with open(name) as f:
                record = json.load(f)
            records[record.pop("path")] = record
        return records

    def upload(self, server, user, password, *names, host=None):
        """
        Upload each name, its own name as its bytes.

        @param server: the L{ServerProcess}.
        @param user: who logs in.
        @param password: their password.
        @param names: the paths, as C{STOR} gives them.
        @param host: the name to send with C{HOST} before logging in, if
            any.
        """
        if host is None:
            ftp = server.login(user, password)
        else:
            ftp = ftplib.FTP()
            self.addCleanup(ftp.close)
            ftp.connect(server.host, server.port, timeout=30)
            ftp.sendcmd("HOST " + host)
            ftp.login(user, password)
        for name in names:
            ftp.storbinary("STOR " + name, io.BytesIO(name.encode()))
        ftp.quit()

    def assertFiles(self, records, home, *names):
        """
        Each name's C{FTPKIT_FILE} is under C{home}, holding its bytes.
        """
        home = os.path.realpath(home)
        self.assertEqual(
            {name: (records[name]["file"], records[name]["bytes"])
             for name in names},
            {name: (os.path.join(home, name.lstrip("/")), name.lstrip("/"))
             for name in names})


class UploadFileTests(HookRecords, unittest.TestCase):
    """
    C{FTPKIT_FILE} for each built-in way of choosing a home.
    """

    def test_root(self):
        """
        With C{--root} alone, the file is below it; C{APPE} and C{STOU}
        name theirs too (C{STOU}'s under the name it chose).
        """
        server, root = startServer(self, *self.hookOptions())
        self.upload(server, "alice", "secret", "a.txt")
        ftp = server.login("alice", "secret")
        ftp.storbinary("APPE a.txt", io.BytesIO(b"!"))
        ftp.storbinary("STOU u.txt", io.BytesIO(b"u"))
        ftp.quit()
        records = self.records(3, server)
        [stou] = [path for path in records if path.startswith("/u.txt")]
        self.assertEqual(
            {path: (record["file"], record.get("bytes"), record["root"])
             for path, record in records.items()},
            {"/a.txt": (os.path.join(os.path.realpath(root), "a.txt"),
                        "a.txt!", root),
             stou: (os.path.join(os.path.realpath(root), stou[1:]), "u",
                    root)})

    def test_homePerUser(self):
        """
        With C{--home-per-user}, under C{twistd}, the file is in the
        user's home, C{ROOT/USERNAME}, where C{$FTPKIT_ROOT$FTPKIT_PATH}
        is not.
        """
        root = scratchDirectory(self)
        server = ServerProcess(self, ["--root", root, "--home-per-user",
                                      "--auth", "memory:alice:secret",
                                      *self.hookOptions()], twistd=True)
        server.waitForGreeting()
        self.upload(server, "alice", "secret", "a.txt")
        records = self.records(1, server)
        self.assertFiles(records, os.path.join(root, "alice"), "/a.txt")
        self.assertFalse(os.path.exists(os.path.join(root, "a.txt")))

    def test_usersFile(self):
        """
        With C{--realm users:PATH}, the file is under the home the users
        file gives: relative to C{--root}, or absolute.
        """
        root = scratchDirectory(self)
        elsewhere = scratchDirectory(self)
        users = os.path.join(scratchDirectory(self), "users.toml")
        entry = ('[users.{name}]\npassword = "' + ALICE_HASH
                 + '"\nhome = "{home}"\n'
                 'permissions = ["list", "read", "write"]\n')
        writeText(users, entry.format(name="alice", home="homes/al")
                  + entry.format(name="bob", home=elsewhere))
        server = ServerProcess(self, ["--root", root, "--realm",
                                      "users:" + users, "--auth",
                                      "users:" + users, *self.hookOptions()])
        server.waitForGreeting()
        self.upload(server, "alice", "secret", "a.txt")
        self.upload(server, "bob", "secret", "b.txt")
        records = self.records(2, server)
        self.assertFiles(records, os.path.join(root, "homes", "al"),
                         "/a.txt")
        self.assertFiles(records, elsewhere, "/b.txt")

    def test_vhosts(self):
        """
        Under C{--vhost}, an upload of a session that chose a host with
        C{HOST} is under that host's realm's directory (C{FTPKIT_ROOT}
        its too): a C{filesystem:DIR} host's C{DIR}, and for a users
        file's host the user's home relative to the host's
        C{--vhost-root}; without C{HOST}, under C{--root}.
        """
        root, files, homes = (scratchDirectory(self) for _ in range(3))
        users = os.path.join(scratchDirectory(self), "users.toml")
        writeText(users, '[users.alice]\npassword = "' + ALICE_HASH
                  + '"\nhome = "homes/al"\n'
                  'permissions = ["list", "read", "write"]\n')
        server = ServerProcess(self, [
            "--root", root, "--auth", "users:" + users,
            "--vhost", "files.example=filesystem:" + files,
            "--vhost", "users.example=users:" + users,
            "--vhost-root", "users.example=" + homes, *self.hookOptions()])
        server.waitForGreeting()
        self.upload(server, "alice", "secret", "f.txt",
                    host="files.example")
        self.upload(server, "alice", "secret", "u.txt",
                    host="users.example")
        self.upload(server, "alice", "secret", "d.txt")
        records = self.records(3, server)
        self.assertFiles(records, files, "/f.txt")
        self.assertFiles(records, os.path.join(homes, "homes", "al"),
                         "/u.txt")
        self.assertFiles(records, root, "/d.txt")
        self.assertEqual({path: record["root"]
                          for path, record in records.items()},
                         {"/f.txt": files, "/u.txt": homes, "/d.txt": root})

    def test_workers(self):
        """
        Under C{--workers 2}, each worker's commands name the files its
        sessions uploaded.
        """
        root = scratchDirectory(self)
        server = ServerProcess(self, ["--root", root, "--home-per-user",
                                      "--auth", "memory:alice:secret",
                                      "--workers", "2",
                                      *self.hookOptions()])
        server.waitForLog(READY, 2)
        names = [f"f{n}.txt" for n in range(4)]
        for name in names:
            self.upload(server, "alice", "secret", name)
        records = self.records(len(names), server)
        self.assertFiles(records, os.path.join(root, "alice"),
                         *("/" + name for name in names))

    def test_fsspecLocal(self):
        """
        With C{--realm fsspec:file://DIR}, the file is below C{DIR}.
        """
        served = scratchDirectory(self)
        server, _ = startServer(self, "--realm", "fsspec:file://" + served,
                                *self.hookOptions())
        self.upload(server, "alice", "secret", "a.txt")
        self.assertFiles(self.records(1, server), served, "/a.txt")

    def test_memory(self):
        """
        With C{--realm memory} no file is on this machine's disk:
        C{FTPKIT_FILE} is set, and empty.
        """
        server, _ = startServer(self, "--realm", "memory",
                                *self.hookOptions())
        self.upload(server, "alice", "secret", "a.txt")
        self.assertEqual(self.records(1, server)["/a.txt"],
                         {"file": "", "root": ""})


class PostgresUploadFileTests(HookRecords, PostgresTestCase):
    """
    C{FTPKIT_FILE} with C{--realm pg:DSN}: under the home the user's row
    gives.
    """

    def test_home(self):
        """
        A home relative to C{--root}, where C{$FTPKIT_ROOT$FTPKIT_PATH}
        is not the file.
        """
        root = scratchDirectory(self)
        self.addUser("fay", "pw", "--permissions", "list,read,write",
                     "--home", "homes/fay")
        server = ServerProcess(self, ["--root", root, "--auth",
                                      f"pg:{self.dsn}", "--realm",
                                      f"pg:{self.dsn}", *self.hookOptions()])
        server.waitForGreeting()
        self.upload(server, "fay", "pw", "a.txt")
        self.assertFiles(self.records(1, server),
                         os.path.join(root, "homes", "fay"), "/a.txt")


class _Uploads(IgnoringObserver):
    """
    An observer keeping the events of complete uploads.
    """

    def __init__(self):
        self.events = []

    def uploadFinished(self, event):
        self.events.append(event)


class UploadEventTests(LoopbackServerMixin, unittest.TestCase):
    """
    A complete upload's event names its local file where an observer is
    told of it (L{events.EventHub.localFiles}), and only there: no other
    upload asks its shell.
    """

    @defer.inlineCallbacks
    def uploaded(self, observe, realm=FilesystemRealm, user="alice",
                 config=None, then=None):
        """
        Upload C{a.txt}.

        @param observe: called with the server's event hub first.
        @param realm: makes the realm of a directory.
        @param user: who logs in, password C{secret}.
        @param config: the server's L{ServerConfig}, or C{None}.
        @param then: called with the client after the upload, or C{None}.
        @return: a Deferred firing with the served directory.
        """
        root = scratchDirectory(self)
        self.server = self.startServer(realm(root), config,
                                       users={user: "secret"})
        observe(self.server.factory.events)

        def session(ftp):
            ftp.storbinary("STOR a.txt", io.BytesIO(b"a"))
            if then is not None:
                then(ftp)

        yield inLoggedInClient(self, session, user=user)
        return root

    @defer.inlineCallbacks
    def test_observed(self):
        """
        An observer's C{uploadFinished} gets C{localFile}.
        """
        observer = _Uploads()
        root = yield self.uploaded(
            ObserverSubscription(observer).subscribeTo)
        self.assertEqual([event.localFile for event in observer.events],
                         [os.path.join(os.path.realpath(root), "a.txt")])

    @defer.inlineCallbacks
    def test_notObserved(self):
        """
        Without an observer (the log alone reads the event), the event
        has none.
        """
        transfers = []
        yield self.uploaded(lambda hub: hub.subscribe(transfers.append,
                                                      [events.TRANSFER]))
        self.assertEqual([(event.code, event.localFile)
                          for event in transfers], [(226, None)])

    @defer.inlineCallbacks
    def test_completeUploadsOnly(self):
        """
        Observed, only a complete upload's event names a file: not an
        upload cut short (C{552} past C{maxUploadSize}: what it left is
        no file to work on), nor a download.
        """
        transfers = []

        def observe(hub):
            ObserverSubscription(_Uploads()).subscribeTo(hub)
            hub.subscribe(transfers.append, [events.TRANSFER])

        def then(ftp):
            with self.assertRaises(ftplib.error_perm):
                ftp.storbinary("STOR b.txt", io.BytesIO(b"b" * 4096))
            ftp.retrbinary("RETR a.txt", lambda data: None)

        root = yield self.uploaded(observe, config=ServerConfig(
            maxUploadSize=16), then=then)
        self.assertEqual(
            [(event.command, event.code, event.localFile)
             for event in transfers],
            [("STOR", 226, os.path.join(os.path.realpath(root), "a.txt")),
             ("STOR", 552, None), ("RETR", 226, None)])

    @defer.inlineCallbacks
    def test_nameCaseChanged(self):
        """
        Where the checker gives the realm another name than the client
        typed (the case changed), the file is in the home of the name the
        realm was given, not of C{FTPKIT_USER}'s.
        """
        observer = _Uploads()
        root = yield self.uploaded(
            ObserverSubscription(observer).subscribeTo,
            lambda root: _LowerCaseRealm(FilesystemRealm(
                root, homePerUser=True)), user="Alice")
        [event] = observer.events
        self.assertEqual((event.user, event.localFile),
                         ("Alice", os.path.join(os.path.realpath(root),
                                                "alice", "a.txt")))


@implementer(IRealm)
class _LowerCaseRealm:
    """
    A realm given the avatar ids a checker that lowers their case would
    give it.
    """

    def __init__(self, realm):
        self.realm = realm

    def __getattr__(self, name):
        return getattr(self.realm, name)

    def requestAvatar(self, avatarId, mind, *interfaces):
        return self.realm.requestAvatar(avatarId.lower(), mind, *interfaces)
