"""Which hosts and addresses an outgoing fetch may reach: pure functions, no I/O.

Hosts are parsed strictly. Anything that looks like a number is treated as an IP address in
whatever spelling the C library would accept (`2130706433`, `0177.0.0.1`, `0x7f.1`), because
that is what `getaddrinfo` would connect to; a name is never handed to a resolver when it
could be read as an address. Addresses are refused by class (loopback, private, link-local,
...), including IPv6 addresses that carry an IPv4 address inside them.
"""

import ipaddress
import re
from collections.abc import Iterable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class HostError(ValueError):
    """The host part of a URL is malformed."""


# Listed explicitly rather than trusting `ipaddress.is_global` alone: its tables have changed
# between Python releases, and this list is what the policy promises.
_REFUSED_V4 = tuple(
    ipaddress.IPv4Network(net)
    for net in (
        "0.0.0.0/8",  # "this network", includes the unspecified address
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, includes the cloud metadata service
        "172.16.0.0/12",
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "192.88.99.0/24",  # old 6to4 relay anycast
        "192.168.0.0/16",
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation
        "203.0.113.0/24",  # documentation
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, includes the broadcast address
    )
)

_REFUSED_V6 = tuple(
    ipaddress.IPv6Network(net)
    for net in (
        # Unspecified, loopback and the IPv4-compatible form, deprecated since RFC 4291 and
        # only useful for smuggling an IPv4 address past a filter.
        "::/96",
        "::ffff:0:0/96",  # IPv4-mapped; the fetcher unwraps these before asking
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard-only
        "2001:2::/48",  # benchmarking
        "2001:10::/28",  # ORCHID
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation
        "fc00::/7",  # unique-local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local
        "ff00::/8",  # multicast
    )
)

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")

_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_DECIMAL = re.compile(r"[0-9]+")
_HEX = re.compile(r"0[xX][0-9a-fA-F]*")


def _looks_numeric(label: str) -> bool:
    return bool(_DECIMAL.fullmatch(label) or _HEX.fullmatch(label))


def parse_inet_aton(text: str) -> ipaddress.IPv4Address:
    """An IPv4 address in any form the C library's `inet_aton` accepts.

    One to four parts separated by dots, each decimal, octal (leading 0) or hexadecimal
    (leading 0x); the last part fills all the bytes that are left, so `127.1` is 127.0.0.1 and
    `2130706433` is 127.0.0.1 too.
    """
    parts = text.split(".")
    if not 1 <= len(parts) <= 4:
        raise HostError("not an IPv4 address")
    values: list[int] = []
    for part in parts:
        if _HEX.fullmatch(part):
            # A bare "0x" has no digits: refuse it rather than guess what a resolver makes of it.
            if len(part) == 2:
                raise HostError("not an IPv4 address")
            values.append(int(part[2:], 16))
        elif part.startswith("0") and len(part) > 1:
            if not re.fullmatch(r"[0-7]+", part):
                raise HostError("not an IPv4 address")
            values.append(int(part, 8))
        elif _DECIMAL.fullmatch(part):
            values.append(int(part))
        else:
            raise HostError("not an IPv4 address")
    *leading, last = values
    if any(value > 0xFF for value in leading) or last >= 1 << (8 * (4 - len(leading))):
        raise HostError("not an IPv4 address")
    number = last
    for index, value in enumerate(leading):
        number |= value << (8 * (3 - index))
    return ipaddress.IPv4Address(number)


def parse_host(host: str) -> str | IPAddress:
    """The host of a URL's authority as an IP address or a lower-case name without a final dot.

    `host` is the raw text between `//` and the port; IPv6 comes in brackets.
    """
    if host.startswith("["):
        if not host.endswith("]"):
            raise HostError("unterminated IPv6 literal")
        inner = host[1:-1]
        # Zone ids come percent-encoded (RFC 6874) and take no part in the address check.
        address, _, zone = inner.partition("%25")
        if "%" in address or (zone and not re.fullmatch(r"[A-Za-z0-9._~-]+", zone)):
            raise HostError("malformed IPv6 zone")
        try:
            parsed = ipaddress.IPv6Address(address)
        except ValueError as error:
            raise HostError("malformed IPv6 literal") from error
        # A zone only means something on a link-local address, which is refused anyway.
        if zone and not parsed.is_link_local:
            raise HostError("IPv6 zone on a routable address")
        return parsed
    name = host.lower()
    # One final dot is the fully qualified spelling of the same name.
    if name.endswith("."):
        name = name[:-1]
    labels = name.split(".")
    if not name or len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise HostError("malformed host name")
    # The WHATWG URL rule: a host whose last label is a number is an IPv4 address or nothing.
    if _looks_numeric(labels[-1]):
        return parse_inet_aton(name)
    return name


def unwrap(address: IPAddress) -> IPAddress:
    """The IPv4 address an IPv4-mapped IPv6 address stands for; others unchanged."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _translated_v4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses a translator or tunnel would deliver this IPv6 address to."""
    if address in _NAT64:
        return [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)]
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address.teredo is not None:
        return list(address.teredo)
    return []


def is_refused(address: IPAddress, trusted: Iterable[IPNetwork] = ()) -> bool:
    """Whether a fetch must not connect to `address`.

    Trusted networks win over every other rule: that is how operators reach an in-cluster
    service on a private address on purpose.
    """
    address = unwrap(address)
    if any(address.version == net.version and address in net for net in trusted):
        return False
    if isinstance(address, ipaddress.IPv4Address):
        refused_nets: tuple[IPNetwork, ...] = _REFUSED_V4
    else:
        refused_nets = _REFUSED_V6
        # A translated address is as good as the IPv4 address it ends up at; the standard
        # library would call NAT64 "reserved" and break IPv6-only networks that rely on it.
        translated = _translated_v4(address)
        if translated:
            return any(is_refused(inner) for inner in translated)
    if any(address in net for net in refused_nets):
        return True
    # Belt and braces: whatever the running Python also considers non-public.
    return (
        not address.is_global
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def parse_networks(networks: Iterable[str]) -> tuple[IPNetwork, ...]:
    """CIDR strings as networks; a bare address is a /32 or /128."""
    return tuple(ipaddress.ip_network(net.strip(), strict=True) for net in networks if net.strip())


def host_key(host: str | IPAddress) -> str:
    """The spelling of a parsed host that allow-list entries are compared with."""
    return str(unwrap(host)) if not isinstance(host, str) else host


def parse_allowed(entry: str) -> tuple[str, int | None]:
    """An allow-list entry `host`, `host:port`, `[v6]` or `[v6]:port` as (host key, port)."""
    entry = entry.strip()
    host, port_text = entry, ""
    if entry.startswith("["):
        host, _, rest = entry.partition("]")
        host += "]"
        if rest:
            if not rest.startswith(":"):
                raise HostError(f"malformed allow-list entry: {entry!r}")
            port_text = rest[1:]
    elif entry.count(":") == 1:
        host, port_text = entry.split(":")
    elif ":" in entry:
        host = f"[{entry}]"
    port = None
    if port_text:
        if not _DECIMAL.fullmatch(port_text) or not 0 < int(port_text) < 65536:
            raise HostError(f"malformed allow-list entry: {entry!r}")
        port = int(port_text)
    return host_key(parse_host(host)), port
