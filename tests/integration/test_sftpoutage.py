"""
An SFTP server reached once and then down (C{--realm fsspec:sftp://}):
its commands get C{451 Storage unavailable, try again later} with one
log line each, a new login C{421} as when the server was down from the
start, and the commands work again as soon as it is back. They got
C{451 Requested action aborted: local error in processing} with two
error lines each (the second from a second attempt to connect), and
logins C{230}.

The server going down is the L{tests.stallingproxy.StallingProxy} in
front of the tests' OpenSSH server cutting its connections and sending
the next ones to a port where nothing listens.
"""

import ftplib

from twisted.logger import LogLevel
from twisted.trial import unittest

from tests.ftpclient import ftplibLogin
from tests.integration.test_sftpdeadline import ProxiedRealmMixin
from tests.logevents import captureLogs
from tests.serverprocess import TIMEOUT, freePort
from tests.storageservers import sshServer

UNAVAILABLE = "451 Storage unavailable, try again later"


def reply(client, line):
    """
    @return: the reply to a command, a failure's included.
    """
    try:
        return client.sendcmd(line)
    except ftplib.Error as e:
        return str(e)


class OutageTests(ProxiedRealmMixin, unittest.TestCase):
    """
    The SFTP server goes down while a session is logged in, and comes
    back.
    """

    def login(self):
        """
        @return: a logged-in ftplib client, or the text of the refusal.
        """
        try:
            return ftplibLogin(self, self.server.port, timeout=TIMEOUT,
                               binary=True)
        except ftplib.Error as e:
            return str(e)

    def outage(self, client):
        replies = {"before": reply(client, "SIZE f.bin")}
        self.proxy.retarget(freePort())
        self.proxy.cut()
        replies["down"] = [reply(client, "SIZE f.bin"),
                           reply(client, "MDTM f.bin")]
        replies["login"] = self.login()
        self.proxy.retarget(sshServer().port)
        replies["back"] = reply(client, "SIZE f.bin")
        again = self.login()
        replies["loginBack"] = reply(again, "SIZE f.bin")
        again.quit()
        client.quit()
        return replies

    async def test_outage(self):
        """
        While it is down: C{451} naming the storage per command, one error
        line each, C{421} for a login; once back, the same session's next
        command works, and so does a login.
        """
        client = await self.inThread(self.login)
        await self.realm.whenSwept()
        events = captureLogs(self)
        replies = await self.inThread(self.outage, client)
        self.assertEqual(replies, {
            "before": "213 10",
            "down": [UNAVAILABLE, UNAVAILABLE],
            "login": "421 Storage unavailable, try again later",
            "back": "213 10", "loginBack": "213 10"})
        errors = [event for event in events
                  if event.get("log_level") == LogLevel.error
                  and event.get("log_namespace") == "ftpkit.shells.fsspecshell"]
        self.assertEqual(len(errors), 3, errors)
