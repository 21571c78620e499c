"""
Reading Twisted endpoint descriptions (C{--listen} values) as data.
"""


def splitEndpoint(description):
    """
    Split an endpoint description on its unescaped colons.

    @param description: e.g. C{"ssl:990:privateKey=k.pem"} or
        C{"tcp6:2121:interface=\\:\\:1"}.
    @return: the fields, backslash escapes resolved.
    """
    fields, current, escaped = [], [], False
    for character in description:
        if escaped:
            current.append(character)
            escaped = False
        elif character == "\\":
            escaped = True
        elif character == ":":
            fields.append("".join(current))
            current = []
        else:
            current.append(character)
    fields.append("".join(current))
    return fields
