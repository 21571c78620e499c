"""
The public name of L{ftpkit.auth.users}, kept for plugins written
against it: importing it gives that module itself.
"""

import sys

from ftpkit.auth import users

sys.modules[__name__] = users
