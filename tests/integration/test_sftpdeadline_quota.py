"""
Integration tests: a users-file quota on an SFTP store that stops
answering (C{--realm fsspec:sftp://...&users=...}) never blocks the
reactor: the login of a user with a quota made a path lookup on the
store (its home's C{REALPATH}, for the quota's name) in the reactor's
thread, with no deadline, and every session waited for it.
"""

import ftplib
import io
import threading

from twisted.trial import unittest

from tests.ftpclient import ftplibLogin
from tests.integration.test_sftpdeadline import ProxiedRealmMixin
from tests.serverprocess import TIMEOUT

TIMED_OUT = "451 Storage did not answer in time; try again later"


class StalledQuotaTests(ProxiedRealmMixin, unittest.TestCase):
    """
    Bob (no quota) is logged in when the SFTP server stops answering;
    then alice, whose home has a quota, logs in and uploads.
    """

    users = ('[users.bob]\nhome = "."\npermissions = ["list"]\n'
             '[users.alice]\nhome = "."\npermissions = ["list", "write"]\n'
             'quota = 1000000\n')

    def alice(self, replies):
        """
        Log alice in and upload, keeping the replies in C{replies}.
        """
        try:
            client = ftplibLogin(self, self.server.port, timeout=TIMEOUT,
                                 binary=True)
            replies["login"] = "logged in"
            client.storbinary("STOR g.bin", io.BytesIO(b"g"))
            replies["upload"] = "uploaded"
        except (ftplib.Error, OSError) as e:
            replies.setdefault("login", str(e))
            replies["upload"] = str(e)

    def stalled(self, bob):
        """
        Stop the SFTP server's answers, start alice's session, and send
        bob's C{NOOP} once one of its requests waits for an answer.

        @return: the replies: bob's C{NOOP}, alice's login and upload.
        """
        replies = {}
        self.proxy.stall()
        thread = threading.Thread(target=self.alice, args=(replies,))
        thread.start()
        replies["held"] = self.proxy.waitForHeld()
        try:
            replies["noop"] = bob.sendcmd("NOOP")
        except OSError:
            replies["noop"] = "unanswered"
            # The reactor waits on the stalled connection: its end
            # frees it, so that the test ends.
            self.proxy.cut()
        thread.join(TIMEOUT)
        return replies

    async def test_stalledQuotaSession(self):
        """
        While alice's session waits for the stalled store, bob's C{NOOP}
        is answered at once; alice's login needs nothing of the store
        for her quota, and her upload, which measures her home, gets
        C{451} once the deadline passed.
        """
        bob = await self.inThread(ftplibLogin, self, self.server.port,
                                  "bob", "pw", timeout=TIMEOUT)
        # The first login's sweep of hidden upload files is over: its
        # calls are not the ones stalled.
        await self.realm.whenSwept()
        replies = await self.inThread(self.stalled, bob)
        self.assertEqual(replies, {"held": True, "noop": "200 NOOP ok",
                                   "login": "logged in",
                                   "upload": TIMED_OUT})
        await self.inThread(bob.quit)
