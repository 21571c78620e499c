"""
The public name of L{ftpkit.auth.pgadmin} (C{python -m ftpkit.pgadmin}
keeps working): importing it gives that module itself.
"""

import sys

from ftpkit.auth import pgadmin

if __name__ == "__main__":
    sys.exit(pgadmin.main())
sys.modules[__name__] = pgadmin
