"""
C{python -m bench.fetchservers}: put vsftpd, ProFTPD and Pure-FTPd where
the benchmark finds them, without installing them.

Debian's FTP server packages conflict with one another (each provides
C{ftp-server}), so at most one can be installed. This downloads the
packages with C{apt-get download} and unpacks them with C{dpkg -x} into
L{SERVER_ROOT}; nothing is started or registered with the system.
"""

import os
import subprocess
import sys
import tempfile

SERVER_ROOT = os.environ.get("FTPKIT_BENCH_SERVERS", "/opt/ftpkit-bench-servers")
"""Where the unpacked packages live (C{$FTPKIT_BENCH_SERVERS} overrides)."""

PACKAGES = ("vsftpd", "proftpd-core", "proftpd-mod-crypto", "pure-ftpd")
"""What is unpacked: proftpd-mod-crypto holds ProFTPD's mod_tls."""


def unpackedPath(*parts):
    """
    @param parts: a path inside the unpacked packages, e.g. C{"usr/sbin",
        "vsftpd"}.
    @return: that path below L{SERVER_ROOT}.
    """
    return os.path.join(SERVER_ROOT, *parts)


def fetch(packages=PACKAGES, root=SERVER_ROOT):
    """
    Download and unpack C{packages} into C{root}.

    @param packages: Debian package names.
    @param root: the directory to unpack into.
    @raise subprocess.CalledProcessError: when apt-get or dpkg fails.
    """
    with tempfile.TemporaryDirectory() as debs:
        os.chmod(debs, 0o755)
        subprocess.run(["apt-get", "download", *packages], cwd=debs,
                       check=True)
        for name in sorted(os.listdir(debs)):
            subprocess.run(["dpkg", "-x", os.path.join(debs, name), root],
                           check=True)


if __name__ == "__main__":
    fetch()
    print(f"unpacked {', '.join(PACKAGES)} into {SERVER_ROOT}",
          file=sys.stderr)
