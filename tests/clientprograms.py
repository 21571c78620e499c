"""
The FTP client programs the client tests drive, as found on C{PATH}
(C{None} when missing: the tests that need one are skipped).
"""

import shutil

CURL = shutil.which("curl")
LFTP = shutil.which("lftp")
