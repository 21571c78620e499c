"""
Plugins written as an author outside the repository writes them, from
the tutorials alone: a shell whose downloads are Twisted's C{FileSender}
as it fires (the last byte, not a count), as plugins of earlier releases
wrote them; observers of events (C{docs/hooks.rst}) that have only the
methods they need, that fail, or whose plugin fails.
"""

import ftplib
import io
import os
import shutil
import sys

from twisted.logger import formatEvent
from twisted.plugin import IPlugin
from twisted.trial import unittest
from zope.interface import implementer, provider

import twisted.plugins
from ftpkit.interfaces import IFTPEventObserver, IFTPEventObserverPlugin
from ftpkit.loopback import LoopbackServerMixin
from ftpkit.ops import events
from ftpkit.ops.observers import MAX_PENDING, ObserverSubscription, findObservers
from ftpkit.realms import SharedShellRealm
from ftpkit.shells.memory import MemoryShell
from ftpkit.testing import IFTPShellConformanceMixin, writeFile
from tests.ftpclient import ftplibLogin
from tests.lateends import LastByteSenderShell
from tests.logevents import captureLogs
from tests.twistdrun import SOURCE


class LastByteSenderConformanceTests(IFTPShellConformanceMixin,
                                     unittest.TestCase):
    """
    The conformance kit passes a shell whose C{send} fires as
    C{FileSender} does, which the server takes (the count not known): its
    C{test_writeThenRead} required the count, and failed every plugin
    sending with C{FileSender} as the tutorial says it may.
    """

    timeout = 20

    def makeShell(self):
        """
        @return: a new L{LastByteSenderShell}.
        """
        return LastByteSenderShell()


class LastByteSenderServerTests(LoopbackServerMixin, unittest.TestCase):
    """
    The server serves such a shell in every mode.
    """

    def test_ascii(self):
        """
        A C{TYPE A} download sends the file with CRLF line ends, and
        C{SIZE} there gets C{550}. It counted the file as sent, through a
        consumer that was written to before it had noted its pull producer,
        and answered C{451} (the log blaming the plugin's C{send} for an
        C{AttributeError} of ftpkit's).
        """
        shell = LastByteSenderShell()
        data = b"line\n" * 10000
        self.successResultOf(writeFile(shell, ("f",), data))
        server = self.startServer(SharedShellRealm(shell))

        def client():
            ftp = ftplibLogin(self, server.port)
            ftp.voidcmd("TYPE A")
            with ftp.transfercmd("RETR f") as connection:
                sent = b"".join(
                    iter(lambda: connection.recv(65536), b""))
            ftp.voidresp()
            try:
                size = ftp.sendcmd("SIZE f")
            except ftplib.error_perm as e:
                size = str(e)
            ftp.quit()
            return sent, size

        return self.inThread(client).addCallback(
            self.assertEqual,
            (data.replace(b"\n", b"\r\n"),
             "550 SIZE not allowed in ASCII mode; use TYPE I"))


@implementer(IFTPEventObserver)
class UploadsOnly:
    """
    An observer with the one method it needs, as a newcomer writes one
    (or one written before the interface had its other methods).

    @ivar paths: the paths of the uploads it was told of.
    @ivar fails: whether its method raises.
    """

    def __init__(self, fails=False):
        """
        @param fails: see L{fails}.
        """
        self.paths = []
        self.fails = fails

    def uploadFinished(self, event):
        """
        Note the upload, or raise.
        """
        if self.fails:
            raise RuntimeError("notify service down")
        self.paths.append(event.path)


def logText(logged):
    """
    @param logged: log events (L{captureLogs}).
    @return: their formatted texts, with any traceback attached.
    """
    return [formatEvent(each) + repr(each.get("log_failure", ""))
            for each in logged]


class PartialObserverTests(unittest.TestCase):
    """
    An observer without some of the methods is not told of those events.
    """

    def test_missingMethodsSkipped(self):
        """
        Logins and logouts do not reach an observer without C{loggedIn}:
        each was a critical traceback in the log, and counted as a call
        never finished, so that after L{MAX_PENDING} of them the observer
        was skipped for every event, its uploads too.
        """
        logged = captureLogs(self)
        observer = UploadsOnly()
        hub = events.EventHub()
        ObserverSubscription(observer).subscribeTo(hub)
        for _ in range(MAX_PENDING + 1):
            hub.publish(events.Event(events.LOGIN, "10.0.0.1", user="alice"))
        hub.publish(events.Event(events.TRANSFER, "10.0.0.1", user="alice",
                                 command="STOR", code=226, path="/a.pdf"))
        self.assertEqual(observer.paths, ["/a.pdf"])
        self.assertEqual([text for text in logText(logged)
                          if "Traceback" in text or "skipping" in text], [])

    def test_methodSetLater(self):
        """
        A method the observer gets once it is subscribed is called, as
        it was before partial observers were told apart: the method is
        looked up at each event, not once at the subscription.
        """
        observer = UploadsOnly()
        hub = events.EventHub()
        ObserverSubscription(observer).subscribeTo(hub)
        logins = []
        observer.loggedIn = lambda event: logins.append(event.user)
        hub.publish(events.Event(events.LOGIN, "10.0.0.1", user="alice"))
        self.assertEqual(logins, ["alice"])

    def test_failureOneLine(self):
        """
        A method that raises is one log line naming the observer's class,
        the method, the exception and where it was raised, not a
        traceback.
        """
        logged = captureLogs(self)
        hub = events.EventHub()
        ObserverSubscription(UploadsOnly(fails=True)).subscribeTo(hub)
        hub.publish(events.Event(events.TRANSFER, "10.0.0.1", user="alice",
                                 command="STOR", code=226, path="/a.pdf"))
        texts = [text for text in logText(logged) if "notify" in text]
        self.assertEqual(len(texts), 1, texts)
        self.assertNotIn("Traceback", texts[0])
        self.assertIn("UploadsOnly.uploadFinished", texts[0])
        self.assertIn("RuntimeError: notify service down (raised at ", texts[0])
        self.assertIn("test_plugin37.py", texts[0])

    def test_boundNotAnInt(self):
        """
        An observer whose C{maxPending} is not a positive C{int} (one
        answering every name through C{__getattr__}, as a proxy or a mock
        does) gets the default bound, said once, and is told of events:
        each event was a traceback comparing the bound.
        """
        logged = captureLogs(self)
        told = []

        class Proxy:
            def __getattr__(self, name):
                return told.append

        hub = events.EventHub()
        ObserverSubscription(Proxy()).subscribeTo(hub)
        hub.publish(events.Event(events.LOGIN, "10.0.0.1", user="alice"))
        self.assertEqual(len(told), 1)
        texts = logText(logged)
        self.assertEqual([text for text in texts if "Traceback" in text], [])
        self.assertEqual(len([text for text in texts
                              if "not a positive int" in text]), 1, texts)


@provider(IPlugin, IFTPEventObserverPlugin)
class RaisingObserverPlugin:
    """
    An observer plugin whose C{makeObserver} raises: its configuration
    is missing.
    """

    name = "raising"

    @staticmethod
    def makeObserver(options):
        """
        @raise ValueError: always.
        """
        raise ValueError("notify: set NOTIFY_URL")


@provider(IPlugin, IFTPEventObserverPlugin)
class ClassObserverPlugin:
    """
    An observer plugin whose C{makeObserver} gives the observer's class,
    not an observer.
    """

    name = "class"

    @staticmethod
    def makeObserver(options):
        """
        @return: L{UploadsOnly} itself.
        """
        return UploadsOnly


class StaticObserver:
    """
    An observer that is a class, its method a C{staticmethod}, as an
    observer plugin from outside may give.
    """

    paths = []

    @staticmethod
    def uploadFinished(event):
        """
        Note the upload.
        """
        StaticObserver.paths.append(event.path)


@provider(IPlugin, IFTPEventObserverPlugin)
class StaticObserverPlugin:
    """
    An observer plugin whose C{makeObserver} gives a class that is an
    observer itself.
    """

    name = "static"

    @staticmethod
    def makeObserver(options):
        """
        @return: L{StaticObserver}.
        """
        return StaticObserver


class ObserverPluginTests(unittest.TestCase):
    """
    L{findObservers} skips, in one line, an observer plugin it cannot use.
    """

    def found(self, plugin):
        """
        @param plugin: the only observer plugin installed.
        @return: the observers found, and the log's texts meanwhile.
        """
        import ftpkit.ops.observers as observers
        from ftpkit.deploy import pluginlookups

        self.patch(observers, "installedObserverPlugins", lambda: [plugin])
        # A process says each line once (pluginlookups.sayOnce): the
        # lines of these plugins, which another test (or a run of this one
        # before, trial -u) may have had said, are said again here.
        self.patch(pluginlookups, "_said", set())
        logged = captureLogs(self)
        found = findObservers({})
        return found, logText(logged)

    def test_makeObserverRaises(self):
        """
        A C{makeObserver} that raises is skipped, said in one line with
        the exception and where it was raised; the server starts without
        it. It ended C{twistd}'s start with a traceback.
        """
        found, texts = self.found(RaisingObserverPlugin)
        self.assertEqual(found, [])
        said = [text for text in texts if "RaisingObserverPlugin" in text]
        self.assertEqual(len(said), 1, texts)
        self.assertIn("observer plugin skipped", said[0])
        self.assertIn("ValueError: notify: set NOTIFY_URL (raised at ",
                      said[0])

    def test_classGiven(self):
        """
        A C{makeObserver} that gives a class rather than an observer
        (C{return Notifier}) is skipped, said in one line: every event
        was a traceback.
        """
        found, texts = self.found(ClassObserverPlugin)
        self.assertEqual(found, [])
        said = [text for text in texts if "ClassObserverPlugin" in text]
        self.assertEqual(len(said), 1, texts)
        self.assertIn("gave the class UploadsOnly, not an observer: call "
                      "it, UploadsOnly(...)", said[0])

    def test_classObserver(self):
        """
        A class that is an observer itself (its methods C{staticmethod}s)
        is kept, and told of events, as before classes were skipped.
        """
        found, texts = self.found(StaticObserverPlugin)
        self.assertEqual(found, [StaticObserver])
        self.patch(StaticObserver, "paths", [])
        hub = events.EventHub()
        ObserverSubscription(found[0]).subscribeTo(hub)
        hub.publish(events.Event(events.TRANSFER, "10.0.0.1", user="alice",
                                 command="STOR", code=226, path="/a.pdf"))
        self.assertEqual(StaticObserver.paths, ["/a.pdf"])


HOOKS = os.path.join(SOURCE, "examples", "hooks")


class RefuseSuffixesConformanceTests(IFTPShellConformanceMixin,
                                     unittest.TestCase):
    """
    The hooks page's wrapper keeps the contract around a shell that does.
    """

    def setUp(self):
        sys.path.insert(0, os.path.join(SOURCE, "examples"))
        self.addCleanup(sys.path.remove, os.path.join(SOURCE, "examples"))
        self.addCleanup(sys.modules.pop, "ftpkit_uploadrules", None)
        return IFTPShellConformanceMixin.setUp(self)

    def makeShell(self):
        """
        @return: a L{MemoryShell} in the example's C{RefuseSuffixes}.
        """
        from ftpkit_uploadrules import RefuseSuffixes

        return RefuseSuffixes(MemoryShell())


class HooksExampleTests(LoopbackServerMixin, unittest.TestCase):
    """
    The examples C{docs/hooks.rst} includes: the observer plugin is found
    and logs each upload; the wrapper refuses what it should, and nothing
    else.
    """

    def setUp(self):
        sys.path.insert(0, os.path.join(SOURCE, "examples"))
        self.addCleanup(sys.path.remove, os.path.join(SOURCE, "examples"))
        self.addCleanup(sys.modules.pop, "ftpkit_uploadrules", None)
        # A copy, so that Twisted's plugin cache is not written into the
        # source tree.
        copy = os.path.abspath(self.mktemp())
        shutil.copytree(HOOKS, copy, ignore=shutil.ignore_patterns(
            "__pycache__", "*.cache"))
        self.patch(twisted.plugins, "__path__",
                   [*twisted.plugins.__path__,
                    os.path.join(copy, "twisted", "plugins")])
        self.addCleanup(sys.modules.pop,
                        "twisted.plugins.ftpkit_example_uploadlog", None)

    def test_session(self):
        """
        An upload is logged by the plugin's observer; C{STOR}, C{APPE},
        C{STOU} of a refused name and a rename to one get C{550} with the
        reason, and nothing is stored.
        """
        from ftpkit_uploadrules import RefuseSuffixes

        import ftpkit.ops.observers as observers

        found = [each for each in observers.installedObserverPlugins()
                 if each.name == "uploadlog"]
        self.assertEqual(len(found), 1)
        logged = captureLogs(self)
        shell = MemoryShell()
        server = self.startServer(SharedShellRealm(RefuseSuffixes(shell)))
        ObserverSubscription(found[0].makeObserver({})).subscribeTo(
            server.factory.events)

        def client():
            ftp = ftplibLogin(self, server.port)
            replies = [ftp.storbinary("STOR notes.txt", io.BytesIO(b"hi"))]
            for command in ("STOR a.EXE", "APPE b.bat"):
                try:
                    ftp.storbinary(command, io.BytesIO(b"MZ"))
                except ftplib.error_perm as e:
                    replies.append(str(e))
            try:
                ftp.rename("notes.txt", "run.exe")
            except ftplib.error_perm as e:
                replies.append(str(e))
            names = ftp.nlst()
            ftp.quit()
            return replies, names

        def check(result):
            replies, names = result
            self.assertEqual(replies, [
                "226 Transfer complete",
                "550 a.EXE: files named *EXE are not taken here",
                "550 b.bat: files named *bat are not taken here",
                "550 run.exe: files named *exe are not taken here"])
            self.assertEqual(names, ["notes.txt"])
            said = [formatEvent(each) for each in logged
                    if each.get("log_namespace", "").endswith(".UploadLog")]
            self.assertEqual(len(said), 1, said)
            self.assertIn("alice uploaded /notes.txt (2 bytes)", said[0])

        return self.inThread(client).addCallback(check)


PROCESS_REALM_PLUGIN = '''
from twisted.plugin import IPlugin
from zope.interface import implementer

from ftpkit.interfaces import IRealmPlugin


class InProcessRealm:
    oneProcess = True

    def requestAvatar(self, avatarId, mind, *interfaces):
        raise NotImplementedError()


@implementer(IPlugin, IRealmPlugin)
class InProcessPlugin:
    name = "inprocess37"
    description = "a tree in this process"
    argumentHelp = ""

    def makeRealm(self, argument, options):
        return InProcessRealm()


inProcess = InProcessPlugin()
'''


class OneProcessRealmTests(unittest.TestCase):
    """
    The realm tutorial's C{oneProcess}, on a plugin's realm.
    """

    def test_workersRefused(self):
        """
        C{--workers} refuses a plugin's realm whose C{oneProcess} is true,
        as C{writing-a-realm.rst} says, in one line naming it.
        """
        plugins = os.path.abspath(self.mktemp())
        os.makedirs(plugins)
        with open(os.path.join(plugins, "inprocess37.py"), "w") as f:
            f.write(PROCESS_REALM_PLUGIN)
        self.patch(twisted.plugins, "__path__",
                   [*twisted.plugins.__path__, plugins])
        self.addCleanup(sys.modules.pop, "twisted.plugins.inprocess37", None)
        from twisted.python import usage

        from ftpkit.deploy.tap import Options

        with self.assertRaises(usage.UsageError) as raised:
            Options().parseOptions(["--realm", "inprocess37", "--workers",
                                    "2", "--listen", "tcp:0"])
        self.assertIn("--workers: --realm inprocess37 keeps its files in "
                      "one process' memory", str(raised.exception))
        with open(os.path.join(SOURCE, "docs", "writing-a-realm.rst"),
                  encoding="utf-8") as f:
            self.assertIn("``oneProcess = True``", f.read())
