"""
Bad command lines of C{twistd ftpkit} and C{python -m ftpkit}, as a
careless operator types them: a table, and nothing else, of
C{(arguments, fragment)} rows. Each command line must end in one usage
error whose one line holds C{fragment} (which starts with the option it
names). L{tests.unit.test_badoptions} parses every row in the test
process and runs some through a real server process.

Arguments may name these files, filled in by the test (C{str.format}):

  - C{{dir}}: an existing directory; C{{file}}: an empty regular file;
    C{{missing}}: a path that does not exist (nor its directory);
  - C{{fifo}}: a FIFO nobody writes to or reads from; C{{zero}}:
    C{/dev/zero}, a device that never ends;
  - C{{cert}}, C{{key}}: a good certificate and its key, in two files;
    C{{otherKey}}: another key; C{{expired}}: an expired certificate
    with its key; C{{bundle}}: two CA certificates, no key; C{{der}}: the
    certificate in DER; C{{encrypted}}: the key, encrypted;
  - C{{badPasswords}}: a password file with a line that is no
    C{USER:PASSWORD}; C{{badUsers}}: a users file that is not TOML;
  - C{{huge}}: a file one byte past the 64 MiB a configuration file may
    hold (L{ftpkit.auth.reloadingfile.MAX_FILE_BYTES}; sparse).

C{NOT_UTF8} is a value holding a byte that is not UTF-8, as Python gives
one from the command line.
"""

NOT_UTF8 = "caf\udce9"
"""C{b"caf\\xe9"} from the command line: a lone surrogate in C{str}."""

HUGE = str(2 ** 64)
"""A number past every C integer."""

NOT_ASCII = ["+5", "1_000", " 5 ", "5\t", "\u0665", "\uff15"]
"""Numbers Python's C{int} and C{float} read, which are not ASCII digits:
a sign, C{_}, spaces, ARABIC-INDIC and FULLWIDTH DIGIT FIVE."""

_COUNTS = ["max-connections", "max-connections-per-ip", "max-passive-per-ip",
           "max-login-attempts", "max-sessions-per-user",
           "max-partials-per-user"]
_TIMEOUTS = ["idle-timeout", "login-timeout", "data-timeout"]
_RATES = ["max-download-rate", "max-upload-rate", "max-total-rate",
          "max-upload-size"]

ROWS = [
    # The parser's own errors.
    (["--nosuch"], "option --nosuch not recognized"),
    (["--workers"], "option --workers requires argument"),
    (["--read-only=yes"], "option --read-only must not have an argument"),
    (["--banner", "Hello", "world"], "unexpected argument 'world'"),
    (["--root", "{dir}", "--root", "{dir}"], "--root: given twice"),
    # Counts: empty, junk, negative, zero, float, not UTF-8.
    *[([f"--{name}", value], f"--{name}: must be a positive integer")
      for name in _COUNTS
      for value in ["", "x", "-1", "0", "1.5", "1e3", NOT_UTF8]],
    *[([f"--{name}", value], f"--{name}: must be a positive integer")
      for name in [*_COUNTS, "workers", "recursive-listing-entries"]
      for value in NOT_ASCII],
    *[(["--workers", value], "--workers: must be a positive integer")
      for value in ["", "x", "-1", "0", "1.5", NOT_UTF8]],
    *[(["--recursive-listing-entries", value],
       "--recursive-listing-entries: must be a positive integer")
      for value in ["", "x", "-1", "0", "1.5", NOT_UTF8]],
    *[(["--recursive-listing-depth", value],
       "--recursive-listing-depth: must be 0 or a positive integer")
      for value in ["", "x", "-1", "1.5", " 0 ", NOT_UTF8, *NOT_ASCII]],
    (["--workers", "10000"], "--workers: at most "),
    (["--workers", HUGE], "--workers: at most "),
    *[(["--ipv6-prefix-length", value],
       "--ipv6-prefix-length: must be a prefix length from 1 to 128")
      for value in ["", "x", "-1", "0", "129", "64.0", HUGE, NOT_UTF8,
                    *NOT_ASCII]],
    # Seconds.
    *[([f"--{name}", value], f"--{name}: must be a number of seconds")
      for name in _TIMEOUTS
      for value in ["", "x", "nan", "inf", "1e400", NOT_UTF8,
                    "1e3", "5.", ".5", *NOT_ASCII]],
    *[([f"--{name}", value], f"--{name}: must be a positive number")
      for name in _TIMEOUTS for value in ["-1", "0"]],
    *[([f"--{name}", value], f"--{name}: must be at most 31536000 seconds")
      for name in [*_TIMEOUTS, "shutdown-grace"]
      for value in ["31536001", HUGE]],
    *[([f"--{name}", "0.5"], f"--{name}: must be at least 1 second")
      for name in _TIMEOUTS],
    *[(["--shutdown-grace", value], "--shutdown-grace: must be a number")
      for value in ["", "x", "nan", "inf", "1e400", NOT_UTF8, "1e3",
                    *NOT_ASCII]],
    (["--shutdown-grace", "-1"], "--shutdown-grace: must be 0 or more"),
    # Sizes and rates.
    *[([f"--{name}", value], f"--{name}: must be a number of bytes")
      for name in [*_RATES, "listing-cache", "log-rotate-size"]
      for value in ["", "x", "-1", "1P", "1.5.5", "1e3", NOT_UTF8,
                    "5 K", "+5K", "\u0665M", *NOT_ASCII]],
    *[([f"--{name}", "0"], f"--{name}: must be at least 1 byte")
      for name in _RATES],
    *[([f"--{name}", HUGE + "G"], f"--{name}: must be at most")
      for name in [*_RATES, "listing-cache", "log-rotate-size"]],
    # A file per line or two, every one renamed at each rotation.
    *[(["--log-rotate-size", value],
       "--log-rotate-size: must be 0 (never) or at least 64K")
      for value in ["1", "1K", "65535", "63.9K"]],
    # Masks, formats, text.
    *[(["--umask", value], "--umask: must be an octal mask from 000 to 777")
      for value in ["", "8", "1000", "-22", "0o22", "x", NOT_UTF8]],
    # A mask taking an owner bit: the server (not root) could not read
    # back, replace or enter what it stores.
    *[(["--umask", value], "--umask: must leave the owner's bits (at most "
       "077)")
      for value in ["777", "700", "400", "200", "100", "0600", "477"]],
    *[(["--log-format", value], "--log-format: must be text or json")
      for value in ["", "xml", "JSON", NOT_UTF8]],
    (["--banner", ""], "--banner: needs the text of the reply"),
    (["--banner", "a\r\n230 forged"], "--banner: must not contain control"),
    (["--banner", NOT_UTF8], "--banner: must be UTF-8 text"),
    (["--banner", "x" * 9000], "--banner: at most "),
    # Ports and addresses.
    *[(["--passive-ports", value], "--passive-ports: ")
      for value in ["", "0-0", "60010-60000", "1-2", "60000", "a-b",
                    f"{HUGE}-{HUGE}", "-", NOT_UTF8, "60000 - 60100",
                    "+60000-60100", "60_000-60100",
                    "\u0666\u0660\u0660\u0660\u0660-60100"]],
    *[(["--passive-address", value], "--passive-address: must be")
      for value in ["", "::1", "0.0.0.0", "255.255.255.255",
                    "example.com", NOT_UTF8]],
    *[([f"--{name}", value], f"--{name}: must be an address or a CIDR")
      for name in ["allow-from", "deny-from"]
      for value in ["", "x", "10.0.0.0/33", "::/129", NOT_UTF8]],
    (["--deny-from", "0.0.0.0/0", "--deny-from", "::/0"],
     "--deny-from: denies every address"),
    (["--allow-from", "10.0.0.0/8", "--deny-from", "10.0.0.0/8"],
     "--deny-from: denies every address --allow-from allows"),
    *[(["--trusted-proxy", value], "--trusted-proxy: ")
      for value in ["", "x", "10.0.0.0/33", NOT_UTF8]],
    (["--trusted-proxy", "10.0.0.1"],
     "--trusted-proxy: needs a --listen haproxy:"),
    # Listeners.
    *[(["--listen", value], "--listen: bad endpoint")
      for value in ["", "x", "junk:1", "tcp:", "tcp:x", "tcp:-1",
                    "tcp:99999", f"tcp:{HUGE}", "tcp:0:backlog=x",
                    "unix:{missing}/s", "unix:{file}/s", "haproxy:",
                    "haproxy:junk:1", "systemd:domain=INET:index=99",
                    f"tcp:0:backlog={HUGE}", "tcp:0:127.0.0.1:-1",
                    f"haproxy:tcp6:0:backlog={HUGE}",
                    "unix:{dir}/s:mode=77777777777", "unix:{dir}/s:10000",
                    f"tcp:{NOT_UTF8}", "tcp:+2121", "tcp: 2121",
                    "tcp:2_121", "tcp:\u0662\u0661\u0662\u0661",
                    "tcp:port=+2121", "tcp6:+2121", "tcp:0:backlog=+5",
                    "tcp:0:backlog=\u0665", "unix:{dir}/s:mode=+777",
                    "haproxy:tcp:+2121",
                    "ssl:+990:privateKey={key}:certKey={cert}",
                    "tcp:0:interface=", "tcp6:0:interface=", "tcp:0:",
                    "ssl:0:interface=:privateKey={key}:certKey={cert}",
                    "tcp:0:interface=127.0.0.1:interface=0.0.0.0",
                    "ssl:0:privateKey={otherKey}:privateKey={key}:"
                    "certKey={cert}",
                    "haproxy:tcp:0:backlog=5:backlog=6",
                    "tcp:0:interface=999.1.1.1",
                    "haproxy:tcp6:0:interface=nosuch.invalid"]],
    *[([f"--{name}", value], f"--{name}: bad endpoint '{value}': interface "
       f"'{address}' is an IPv6 address: escape its colons, interface="
       + address.replace(":", "\\:"))
      for name in ["listen", "metrics"]
      for value, address in [("tcp:0:interface=::1", "::1"),
                             ("tcp6:0:interface=fe80::1%lo", "fe80::1%lo"),
                             ("tcp6:0:interface=2001:db8::5:backlog=5",
                              "2001:db8::5")]],
    (["--listen", "haproxy:tcp6:0:interface=::"],
     "--listen: bad endpoint 'haproxy:tcp6:0:interface=::': interface '::' "
     "is an IPv6 address: escape its colons, interface=\\:\\:"),
    (["--listen", "tcp:2121", "--listen", "tcp:2121"], "--listen: "),
    (["--listen", "ssl:0:privateKey={missing}"], "--listen: "),
    (["--listen", "ssl:0:privateKey={dir}"], "--listen: "),
    (["--listen", "ssl:0:privateKey={fifo}"], "--listen: "),
    (["--listen", "ssl:0:privateKey={zero}"], "--listen: "),
    (["--listen", "ssl:0:privateKey={key}:certKey={bundle}"], "--listen: "),
    (["--listen", "ssl:0:privateKey={key}:certKey={cert}:extraCertChain="
      "{bundle}"], "--listen: bad endpoint"),
    (["--listen", "ssl:0:privateKey={key}:certkey={cert}"],
     "--listen: bad endpoint"),
    (["--tls-cert", "{cert}", "--tls-key", "{key}", "--listen",
      "ssl:0:privateKey={otherKey}:certKey={cert}"], "--listen: 'ssl:0:"),
    (["--listen", "ssl:0:privateKey={key}:certKey={cert}", "--listen",
      "ssl:1:privateKey={otherKey}:certKey={cert}"], "--listen: 'ssl:1:"),
    (["--workers", "2", "--listen", "unix:{dir}/s"], "--workers: needs "),
    # --worker-cpus: no --workers, not CPU numbers, a CPU not this
    # process's (none has 4096: the kernel's most is 4096 CPUs, 0-4095).
    (["--worker-cpus", "0"], "--worker-cpus: pins the workers of "
     "--workers N (N > 1), and there are none"),
    *[(["--workers", "2", "--worker-cpus", value], "--worker-cpus: must be "
       "auto or CPU numbers separated by commas (0,1), not ")
      for value in ["", "x", "0,", ",0", "0,,1", "-1", "0-1", "0 1", "1.0",
                    "AUTO", "\u0661", "1234567", NOT_UTF8]],
    (["--workers", "2", "--worker-cpus", "4096"],
     "--worker-cpus: CPU 4096 is not one this process may run on ("),
    (["--workers", "2", "--worker-cpus", "0,4096"],
     "--worker-cpus: CPU 4096 is not one this process may run on ("),
    (["--listen", "tcp:"], "--listen: bad endpoint 'tcp:': a port or "
     "number is missing or not a whole number ('')"),
    (["--listen", "tcp:x"], "--listen: bad endpoint 'tcp:x': a port or "
     "number is missing or not a whole number ('x')"),
    *[(["--listen", value], f"--listen: bad endpoint '{value}': the "
       "socket's path is empty")
      for value in ["unix:", "unix:address=", "unix::mode=600",
                    "haproxy:unix:"]],
    (["--metrics", "unix:"], "--metrics: bad endpoint 'unix:': the "
     "socket's path is empty"),
    # stdio: served one session on the log's output, then nobody.
    *[([f"--{name}", value], f"--{name}: bad endpoint '{value}': stdio: "
       "listens on no socket")
      for name in ["listen", "metrics"]
      for value in ["stdio:", "STDIO:", "haproxy:stdio:"]],
    *[([f"--{name}", "unix:{dir}/" + "s" * 108], f"--{name}: bad endpoint")
      for name in ["listen", "metrics"]],
    *[(["--listen", value], "--listen: bad endpoint")
      for value in ["tls:", "tls:{missing}:port=0", "tls:{file}:port=0",
                    "tls:path={missing}", "tls:127.0.0.1:0"]],
    (["--metrics", "tcp:2121"], "--metrics: "),
    *[(["--metrics", value], "--metrics: bad endpoint")
      for value in ["", "x", "tcp:99999", "tcp:x", "unix:{missing}/s",
                    f"tcp:0:backlog={HUGE}", NOT_UTF8, "tcp:+9102",
                    "tcp:9102:interface=",
                    "tcp:9102:interface=127.0.0.1:interface=0.0.0.0",
                    "tcp:\u0669\u0661\u0660\u0662",
                    "tcp:9102:interface=nosuch.invalid"]],
    # Directories.
    *[(["--root", value], "--root: ")
      for value in ["", "{missing}", "{file}", "{fifo}", "{zero}",
                    NOT_UTF8]],
    *[(["--realm", value], "--realm: ")
      for value in ["", "nosuch", "memory:x", "memory:0", f"memory:{HUGE}G",
                    "memory:+5M", "memory: 5M", "memory:\u0665M",
                    "fsspec:memory://?size=+5M",
                    "filesystem:{missing}", "filesystem:{file}",
                    "users:", "users:{missing}", "users:{dir}",
                    "users:{fifo}", "users:{zero}", "users:{badUsers}",
                    "fsspec:", "fsspec:nosuch://x",
                    "fsspec:file://{missing}", "fsspec:file://{file}",
                    "fsspec:file://{fifo}", "fsspec:file://nosuch-relative",
                    "fsspec:memory://?config={fifo}",
                    "fsspec:memory://?config={zero}",
                    "fsspec:memory://?config={dir}", NOT_UTF8]],
    *[(["--realm", value.format(path=path)],
       "--realm: cannot read users file ")
      for value in ["users:{path}", "fsspec:memory://?users={path}"]
      for path in ["{huge}", "{zero}", "{fifo}", "{dir}"]],
    (["--realm", "fsspec:memory://?config={huge}"],
     "--realm: cannot read storage config "),
    *[(["--auth", f"{kind}:{{huge}}"], f"--auth: cannot read {what} file ")
      for kind, what in [("file", "password"), ("users", "users")]],
    (["--realm", "fsspec:memory://?global_store=maybe"],
     "--realm: memory:// option global_store='maybe': must be 1/0, "
     "true/false, yes/no or on/off"),
    (["--realm", "fsspec:file://{dir}?auto_mkdir=2"],
     "--realm: file:// option auto_mkdir='2': must be 1/0, true/false, "
     "yes/no or on/off"),
    *[(["--realm", f"fsspec:sftp://u@127.0.0.1/x?port={port}"],
       f"--realm: sftp:// option port='{port}': must be a port from 1 to "
       "65535")
      for port in ["x", "0", "-1", "99999", "22.0", "", HUGE]],
    *[(["--realm", f"fsspec:sftp://u@127.0.0.1:{port}/x"],
       f"--realm: sftp:// URL port '{port}': must be a port from 1 to 65535")
      for port in ["0", "99999", "x", "+22", HUGE]],
    *[(["--realm", f"fsspec:sftp://u@127.0.0.1/x?{name}={value}"],
       f"--realm: sftp:// option {name}='{value}': must be seconds, more "
       "than 0 and at most 31536000")
      for name in ["timeout", "banner_timeout", "auth_timeout",
                   "channel_timeout"]
      for value in ["0", "-5", "x", "1e3", "31536001", ""]],
    *[(["--realm", f"fsspec:s3://b?{name}={value}"],
       f"--realm: s3:// option {name}='{value}': must be {what}")
      for name, value, what in [
          ("max_concurrency", "0", "a whole number from 1 to 2147483648"),
          ("max_concurrency", "-1", "a whole number from 1 to 2147483648"),
          ("default_block_size", "1M", "bytes from 5M to 5G"),
          ("default_block_size", "6G", "bytes from 5M to 5G"),
          ("default_block_size", "x", "bytes from 5M to 5G"),
          ("anon", "maybe", "1/0, true/false, yes/no or on/off")]],
    (["--realm", "fsspec:memory://?size=1M&size=2M"],
     "--realm: fsspec realm: size= given twice (the last would replace the "
     "first)"),
    (["--realm", "fsspec:memory://?listings_expiry_time=-1"],
     "--realm: memory:// option listings_expiry_time='-1': must be seconds "
     "from 0 to 31536000"),
    *[([f"--{name}", f"{front}unix:s:{lockfile}"],
       f"--{name}: bad endpoint '{front}unix:s:{lockfile}': lockfile "
       f"'{value}' must be 1/0, true/false, yes/no or on/off")
      for name in ["listen", "metrics"] for front in ["", "haproxy:"]
      for lockfile, value in [("lockfile=2", "2"), ("lockfile=", ""),
                              ("666:50:maybe", "maybe")]
      if not (name == "metrics" and front)],
    *[(["--realm", value], f"--realm: {value!r} has nothing after ':'")
      for value in ["filesystem:", "memory:", "fsspec:"]],
    (["--vhost", "a.example=filesystem:"],
     "--vhost: 'filesystem:' has nothing after ':'"),
    (["--workers", "2", "--realm", "memory"], "--workers: --realm memory"),
    # Checkers.
    *[(["--auth", value], "--auth: ")
      for value in ["", "nosuch", "memory:alice", "file:", "file:{missing}",
                    "file:{dir}", "file:{fifo}", "file:{zero}",
                    "file:{badPasswords}", "users:{fifo}", "users:{zero}",
                    "users:{badUsers}", "unix:x", "anonymous:x",
                    "memory:", "memory::", "memory:alice:", "memory::pw",
                    "memory:alice:a:alice:b", "memory:.alice:pw",
                    NOT_UTF8]],
    (["--help-auth-type", "nosuch"], "--help-auth-type: no checker"),
    # Files the server writes, and programs it runs.
    *[(["--xferlog", value], "--xferlog: ")
      for value in ["", "{dir}", "{missing}/xferlog", "{fifo}"]],
    *[(["--on-upload", value], "--on-upload: ")
      for value in ["", "'", "{missing}", "{dir}", "{file}"]],
    # TLS.
    *[(["--tls-cert", value], "--tls-cert: ")
      for value in ["", "{missing}", "{dir}", "{fifo}", "{zero}", "{file}",
                    "{der}", "{bundle}", "{expired}", "{key}", "{huge}"]],
    *[(["--tls-cert", "{cert}", "--tls-key", value], "--tls-key: ")
      for value in ["", "{missing}", "{dir}", "{fifo}", "{zero}", "{file}",
                    "{otherKey}", "{encrypted}", "{cert}", "{huge}"]],
    (["--tls-key", "{key}"], "--tls-key: needs --tls-cert"),
    (["--tls-required"], "--tls-required: needs --tls-cert"),
    (["--tls-allow-ccc"], "--tls-allow-ccc: needs --tls-cert"),
    (["--tls-allow-1.3"], "--tls-allow-1.3: needs --tls-cert"),
    (["--tls-allow-upload-eof"], "--tls-allow-upload-eof: needs --tls-cert"),
    (["--tls-require-session-reuse"],
     "--tls-require-session-reuse: needs --tls-cert"),
    (["--tls-cert", "{cert}", "--tls-key", "{key}",
      "--tls-anonymous-exempt"], "--tls-anonymous-exempt: needs"),
    # Virtual hosts.
    *[(["--vhost", value], "--vhost: ")
      for value in ["", "x", "=memory", "a.example=", "a.example=nosuch",
                    "a.example=filesystem:{missing}", "a b=memory",
                    NOT_UTF8]],
    *[(["--vhost", "a.example=memory", "--vhost-banner", value],
       "--vhost-banner: ")
      for value in ["", "a.example", "a.example=", "a.example=x\ny",
                    "b.example=Hello"]],
    *[(["--vhost", "a.example=filesystem", "--vhost-root", value],
       "--vhost-root: ")
      for value in ["", "a.example", "a.example={missing}",
                    "a.example={file}", "b.example={dir}"]],
    *[(["--vhost", f"a.example={realm}", "--vhost-root",
        "a.example={dir}"], "--vhost-root: the host of 'a.example' serves")
      for realm in ["filesystem:{dir}", "memory", "fsspec:memory://"]],
    (["--vhost-fallback"], "--vhost-fallback: needs a --vhost"),
    (["--workers", "2", "--vhost", "a.example=memory"], "--workers: "),
    # Options that contradict each other.
    *[(["--no-listing-cache", "--listing-cache", value],
       "--no-listing-cache: contradicts --listing-cache")
      for value in ["64M", "0"]],
    (["--read-only", "--anonymous-write"],
     "--anonymous-write: contradicts --read-only"),
    (["--home-per-user", "--anonymous-write", "--auth", "anonymous"],
     "--anonymous-write: with --home-per-user"),
]
