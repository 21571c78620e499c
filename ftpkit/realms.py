"""
The public name of L{ftpkit.auth.realms}, kept for plugins written
against it: importing it gives that module itself.
"""

import sys

from ftpkit.auth import realms

sys.modules[__name__] = realms
