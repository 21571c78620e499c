"""
The public name of L{ftpkit.auth.passwd} (C{python -m ftpkit.passwd}
keeps working): importing it gives that module itself.
"""

import sys

from ftpkit.auth import passwd

if __name__ == "__main__":
    sys.exit(passwd.main())
sys.modules[__name__] = passwd
