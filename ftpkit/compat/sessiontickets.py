"""
OpenSSL's C{SSL_new_session_ticket} (OpenSSL 1.1.1 and later), which
neither pyOpenSSL nor cryptography's binding exposes: a TLS 1.3 server
calls it to send the client a new session ticket on a connection whose
handshake is long over (L{newSessionTicket}).

cryptography links OpenSSL into its extension module
(C{cryptography.hazmat.bindings._rust}) and exports none of OpenSSL's
functions from it, but the module's symbol table (its C{.symtab} section)
still names them with their addresses in the file. L{findFunction} reads
that table, learns where the module was loaded from the cffi wrappers of
three functions the binding does expose (C{_cffi_d_SSL_version} and the
like, whose loaded addresses cffi gives), which must all agree, checks
that the bytes loaded at the function's address are those the file holds
there, and only then calls it.

Fallback: where any of that fails (not an ELF64 little-endian module, a
stripped one, a binding without those wrappers, addresses that disagree)
no ticket is sent, and L{newSessionTicketAvailable} says so:
C{--tls-require-session-reuse} under TLS 1.3 then refuses the later data
connections of clients whose TLS library uses each ticket once (curl)
after an upload (docs/tls.rst).
"""

import struct

from twisted.logger import Logger

_log = Logger()

_ANCHORS = ("SSL_version", "SSL_session_reused", "SSL_get_options")
"""Functions the binding exposes: their cffi wrappers' addresses tell
where the module was loaded."""

_WANTED = "SSL_new_session_ticket"

_CHECKED_BYTES = 32
"""How many bytes of the function's code must match the file."""

_SHT_SYMTAB = 2
_STT_FUNC = 2
_PT_LOAD = 1


def _symbolTable(image, names):
    """
    @param image: the bytes of an ELF64 little-endian file.
    @param names: symbol names (C{str}).
    @return: C{{name: address in the file}} of those of C{names} that its
        C{.symtab} holds as functions (none for another kind of file).
    """
    if image[:4] != b"\x7fELF" or image[4:6] != b"\x02\x01":
        return {}
    sectionsAt, = struct.unpack_from("<Q", image, 0x28)
    entrySize, count = struct.unpack_from("<HH", image, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", image,
                                   sectionsAt + index * entrySize)
                for index in range(count)]
    found = {}
    for section in sections:
        if section[1] != _SHT_SYMTAB or section[6] >= count:
            continue
        strings = sections[section[6]]
        start, end = strings[4], strings[4] + strings[5]
        offsets = {}
        for name in names:
            at = image.find(b"\0" + name.encode("ascii") + b"\0", start, end)
            if at >= 0:
                offsets[at + 1 - start] = name
        table = image[section[4]:section[4] + section[5]]
        for nameAt, info, _, _, value, _ in struct.iter_unpack("<IBBHQQ",
                                                               table):
            name = offsets.get(nameAt)
            if name is not None and info & 0xF == _STT_FUNC and value:
                found[name] = value
    return found


def _fileOffset(image, address):
    """
    @param image: the bytes of an ELF64 little-endian file.
    @param address: an address in that file's loaded image.
    @return: where in the file its loadable segments keep that address,
        or C{None}.
    """
    headersAt, = struct.unpack_from("<Q", image, 0x20)
    entrySize, count = struct.unpack_from("<HH", image, 0x36)
    for index in range(count):
        kind, _, offset, start, _, size, _, _ = struct.unpack_from(
            "<IIQQQQQQ", image, headersAt + index * entrySize)
        if kind == _PT_LOAD and start <= address < start + size:
            return address - start + offset
    return None


def findFunction(path, ffi, lib, name):
    """
    Find a function of the extension module at C{path} that it does not
    export.

    @param path: the module's file.
    @param ffi: its cffi C{FFI}.
    @param lib: its cffi library (exposing L{_ANCHORS}).
    @param name: the function's name in the module's symbol table.
    @return: its loaded address (an C{int}), or C{None} where it cannot be
        found and checked.
    """
    try:
        with open(path, "rb") as f:
            image = f.read()
        symbols = _symbolTable(image, [name] + ["_cffi_d_" + anchor
                                                for anchor in _ANCHORS])
        bases = {int(ffi.cast("uintptr_t", ffi.addressof(lib, anchor)))
                 - symbols["_cffi_d_" + anchor] for anchor in _ANCHORS}
    except (OSError, KeyError, AttributeError, TypeError, ValueError,
            struct.error):
        return None
    if len(bases) != 1 or name not in symbols:
        return None
    address = bases.pop() + symbols[name]
    offset = _fileOffset(image, symbols[name])
    if offset is None:
        return None
    loaded = ffi.buffer(ffi.cast("char *", address), _CHECKED_BYTES)[:]
    if loaded != image[offset:offset + _CHECKED_BYTES]:
        return None
    return address


def hiddenFunction(name, signature):
    """
    A function of the OpenSSL that cryptography links into its extension
    module, which the binding does not expose (L{findFunction}).

    @param name: the function's name.
    @param signature: its cffi type, C{"int (*)(SSL *)"} say.
    @return: the function as a cffi function, or C{None}.
    """
    try:
        from cryptography.hazmat.bindings import _rust
        from cryptography.hazmat.bindings._rust import _openssl
    except ImportError:  # pragma: no cover (cryptography is a dependency)
        return None
    ffi, lib = _openssl.ffi, _openssl.lib
    address = findFunction(getattr(_rust, "__file__", ""), ffi, lib, name)
    if address is None:
        return None
    return ffi.cast(signature, address)


def _lookUp():
    """
    @return: C{SSL_new_session_ticket} as a cffi function, or C{None}.
    """
    return hiddenFunction(_WANTED, "int (*)(SSL *)")


_function = []


def _newTicketFunction():
    """
    @return: the cffi function (looked up once), or C{None}.
    """
    if not _function:
        _function.append(_lookUp())
    return _function[0]


def newSessionTicketAvailable():
    """
    @return: whether L{newSessionTicket} can send tickets.
    """
    return _newTicketFunction() is not None


def newSessionTicket(connection):
    """
    Have a TLS 1.3 server connection send the client a new session ticket
    with the next data it writes.

    @param connection: an L{OpenSSL.SSL.Connection}, server side, its
        handshake complete.
    @return: whether the ticket was asked for (C{False}: no way to ask,
        or OpenSSL refused: not TLS 1.3, say).
    """
    function = _newTicketFunction()
    handle = getattr(connection, "_ssl", None)
    if function is None or handle is None:
        return False
    return function(handle) == 1
