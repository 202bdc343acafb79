"""Which IP addresses the outbound guard refuses, and why: one table per family.

The tables are written out here instead of read from :mod:`ipaddress`'s ``is_private``
and friends, whose ranges change between Python patch releases: the guard must refuse
the same addresses on every interpreter it runs on.

IPv6 forms that carry an IPv4 address (IPv4-mapped, SIIT-translated, NAT64, 6to4,
Teredo, ISATAP) are judged by the IPv4 address they carry, with the IPv4 rules, so
``2002:7f00:1::`` is refused as loopback and ``64:ff9b::808:808`` passes like
``8.8.8.8``. Forms whose IPv4 address cannot be known (local-use NAT64) or that are
deprecated (IPv4-compatible, site-local) are refused outright. Outside the forms
named here, only global unicast (``2000::/3``) may be reached over IPv6.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Final

__all__ = ["IPAddress", "IPNetwork", "embedded_ipv4", "legacy_ipv4_literal", "refusal_reason"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _table(*rows: tuple[str, str]) -> tuple[tuple[IPNetwork, str], ...]:
    return tuple((ipaddress.ip_network(network), reason) for network, reason in rows)


_IPV4_REFUSED: Final = _table(
    ("0.0.0.0/32", "the unspecified address"),
    ("0.0.0.0/8", "in 0.0.0.0/8, 'this network' (it reaches the worker itself)"),
    ("127.0.0.0/8", "a loopback address"),
    ("169.254.0.0/16", "a link-local address (cloud metadata lives there)"),
    ("10.0.0.0/8", "a private address"),
    ("172.16.0.0/12", "a private address"),
    ("192.168.0.0/16", "a private address"),
    ("100.100.100.200/32", "an internal or metadata address"),  # Alibaba Cloud metadata
    ("100.64.0.0/10", "a carrier-grade NAT (shared) address"),
    ("192.0.0.0/24", "an IETF protocol assignment (internal) address"),
    ("192.0.2.0/24", "a documentation address"),
    ("198.51.100.0/24", "a documentation address"),
    ("203.0.113.0/24", "a documentation address"),
    ("198.18.0.0/15", "a benchmarking address"),
    ("192.88.99.0/24", "a deprecated 6to4 relay address"),
    ("224.0.0.0/4", "a multicast address"),
    ("255.255.255.255/32", "the broadcast address"),
    ("240.0.0.0/4", "a reserved address"),
)

# Checked in order after the embedded forms; the first match gives the reason.
_IPV6_REFUSED: Final = _table(
    ("::/128", "the unspecified address"),
    ("::1/128", "a loopback address"),
    ("::/96", "a deprecated IPv4-compatible address"),
    ("64:ff9b:1::/48", "a local-use NAT64 address (the IPv4 address it reaches is unknown)"),
    ("100::/64", "a discard-only address"),
    ("2001:db8::/32", "a documentation address"),
    ("3fff::/20", "a documentation address"),
    ("2001::/23", "an IETF protocol assignment (internal) address"),
    ("5f00::/16", "a segment-routing (SRv6) address"),
    ("fd00:ec2::254/128", "an internal or metadata address"),  # AWS metadata over IPv6
    ("fc00::/7", "a unique-local (private) address"),
    ("fe80::/10", "a link-local address (cloud metadata lives there)"),
    ("fec0::/10", "a deprecated site-local (private) address"),
    ("ff00::/8", "a multicast address"),
)
_GLOBAL_UNICAST: Final = ipaddress.IPv6Network("2000::/3")

_MAPPED: Final = ipaddress.IPv6Network("::ffff:0:0/96")
_TRANSLATED: Final = ipaddress.IPv6Network("::ffff:0:0:0/96")
_NAT64: Final = ipaddress.IPv6Network("64:ff9b::/96")
_SIX_TO_FOUR: Final = ipaddress.IPv6Network("2002::/16")
_TEREDO: Final = ipaddress.IPv6Network("2001::/32")
# ISATAP interface identifiers: ::0:5efe:a.b.c.d, with the u/g bits in any state.
_ISATAP_HIGH: Final = frozenset({0x0000, 0x0100, 0x0200, 0x0300})
_ISATAP_MARK: Final = 0x5EFE
_BYTE: Final = 0xFF
_HEX: Final = re.compile(r"0[xX][0-9a-fA-F]*")
_OCTAL: Final = re.compile(r"0[0-7]*")
_DECIMAL: Final = re.compile(r"[1-9][0-9]*")


def embedded_ipv4(  # noqa: PLR0911 - one answer per form
    address: ipaddress.IPv6Address,
) -> tuple[str, list[ipaddress.IPv4Address]]:
    """The IPv4 addresses an IPv6 address carries, with the form's name (``("", [])`` if none).

    Example:
        >>> embedded_ipv4(ipaddress.IPv6Address("2002:7f00:1::"))
        ('6to4', [IPv4Address('127.0.0.1')])
    """
    value = int(address)
    low32 = ipaddress.IPv4Address(value & 0xFFFFFFFF)
    if address in _MAPPED:
        return "IPv4-mapped", [low32]
    if address in _TRANSLATED:
        return "IPv4-translated", [low32]
    if address in _NAT64:
        return "NAT64", [low32]
    if address in _SIX_TO_FOUR:
        return "6to4", [ipaddress.IPv4Address((value >> 80) & 0xFFFFFFFF)]
    if address in _TEREDO:
        server = ipaddress.IPv4Address((value >> 64) & 0xFFFFFFFF)
        client = ipaddress.IPv4Address(~value & 0xFFFFFFFF)
        return "Teredo", [server, client]
    high = (value >> 48) & 0xFFFF
    if high in _ISATAP_HIGH and (value >> 32) & 0xFFFF == _ISATAP_MARK:
        return "ISATAP", [low32]
    return "", []


def refusal_reason(address: IPAddress) -> str | None:
    """Why ``address`` itself is refused (no allow-list applied), or ``None``.

    Example:
        >>> refusal_reason(ipaddress.ip_address("fec0::1"))
        'a deprecated site-local (private) address'
    """
    if isinstance(address, ipaddress.IPv4Address):
        return _first(address, _IPV4_REFUSED)
    if address.scope_id:
        address = ipaddress.IPv6Address(int(address))
    form, carried = embedded_ipv4(address)
    for inner in carried:
        reason = _first(inner, _IPV4_REFUSED)
        if reason is not None:
            article = "an" if form.startswith("I") else "a"
            return f"{article} {form} address carrying {inner}, {reason}"
    if carried and form != "ISATAP":
        return None
    reason = _first(address, _IPV6_REFUSED)
    if reason is None and address not in _GLOBAL_UNICAST:
        return "not a global unicast address"
    return reason


def _first(address: IPAddress, table: tuple[tuple[IPNetwork, str], ...]) -> str | None:
    for network, reason in table:
        if address.version == network.version and address in network:
            return reason
    return None


def legacy_ipv4_literal(text: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a legacy numeric host name means (``inet_aton`` rules), or ``None``.

    C resolvers read ``2130706433``, ``0x7f.1``, ``0177.0.0.1`` and ``127.1`` as
    ``127.0.0.1``; the guard reads them the same way so they are judged as addresses.

    Example:
        >>> legacy_ipv4_literal("0x7f.1")
        IPv4Address('127.0.0.1')
    """
    parts = text.split(".")
    if not 1 <= len(parts) <= 4:  # noqa: PLR2004 - a.b.c.d has at most four parts
        return None
    numbers: list[int] = []
    for part in parts:
        number = _legacy_number(part)
        if number is None:
            return None
        numbers.append(number)
    *leading, last = numbers
    if any(number > _BYTE for number in leading) or last >= 1 << (8 * (4 - len(leading))):
        return None
    value = last
    for index, number in enumerate(leading):
        value |= number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def _legacy_number(part: str) -> int | None:
    if _HEX.fullmatch(part):
        return int(part[2:] or "0", 16)
    if _OCTAL.fullmatch(part):
        return int(part, 8)
    if _DECIMAL.fullmatch(part):
        return int(part, 10)
    return None
