"""The guard's address rules, form by form: each refused form says why, public ones pass.

Every IPv6 form that carries an IPv4 address is judged by the IPv4 address it carries;
the same IPv4 address appears in each form, once internal (refused) and once public
(allowed), so a form the guard does not understand shows up as a wrong answer here.
"""

from __future__ import annotations

import ipaddress

import pytest

from drift_nodes import OutboundGuard
from drift_nodes._address_rules import embedded_ipv4, legacy_ipv4_literal

REFUSED: list[tuple[str, str]] = [
    # IPv4
    ("0.0.0.0", "the unspecified address"),  # noqa: S104 - an address refused, not one bound
    ("0.1.2.3", "'this network'"),
    ("127.0.0.1", "a loopback address"),
    ("127.255.255.254", "a loopback address"),
    ("10.1.2.3", "a private address"),
    ("172.16.0.1", "a private address"),
    ("172.31.255.255", "a private address"),
    ("192.168.1.1", "a private address"),
    ("169.254.169.254", "a link-local address"),
    ("100.64.0.1", "a carrier-grade NAT"),
    ("100.100.100.200", "an internal or metadata address"),
    ("192.0.0.8", "an IETF protocol assignment"),
    ("192.0.2.1", "a documentation address"),
    ("198.51.100.7", "a documentation address"),
    ("203.0.113.9", "a documentation address"),
    ("198.18.0.1", "a benchmarking address"),
    ("192.88.99.1", "a deprecated 6to4 relay address"),
    ("224.0.0.1", "a multicast address"),
    ("239.255.255.250", "a multicast address"),
    ("240.0.0.1", "a reserved address"),
    ("255.255.255.255", "the broadcast address"),
    # IPv4 written the legacy ways C resolvers accept
    ("2130706433", "(127.0.0.1) is a loopback address"),
    ("0x7f000001", "(127.0.0.1) is a loopback address"),
    ("0177.0.0.1", "(127.0.0.1) is a loopback address"),
    ("0x7f.1", "(127.0.0.1) is a loopback address"),
    ("127.1", "(127.0.0.1) is a loopback address"),
    ("10.1", "(10.0.0.1) is a private address"),
    ("0xa9.0xfe.0xa9.0xfe", "(169.254.169.254) is a link-local address"),
    ("017700000001", "(127.0.0.1) is a loopback address"),
    ("127.0.0.1.", "(127.0.0.1) is a loopback address"),
    # IPv6 of its own
    ("[::]", "the unspecified address"),
    ("[::1]", "a loopback address"),
    ("[fe80::1]", "a link-local address"),
    ("[fe80::1%eth0]", "a link-local address"),
    ("[fec0::1]", "a deprecated site-local"),
    ("[fc00::1]", "a unique-local"),
    ("[fd12:3456::1]", "a unique-local"),
    ("[fd00:ec2::254]", "an internal or metadata address"),
    ("[ff02::1]", "a multicast address"),
    ("[ff0e::1]", "a multicast address"),
    ("[100::1]", "a discard-only address"),
    ("[2001:db8::1]", "a documentation address"),
    ("[3fff::1]", "a documentation address"),
    ("[2001:10::1]", "an IETF protocol assignment"),
    ("[5f00::1]", "a segment-routing"),
    ("[4000::1]", "not a global unicast address"),
    ("[::2:1]", "a deprecated IPv4-compatible address"),
    # IPv6 forms carrying an internal IPv4 address
    ("[::ffff:127.0.0.1]", "an IPv4-mapped address carrying 127.0.0.1, a loopback"),
    ("[::ffff:a9fe:a9fe]", "an IPv4-mapped address carrying 169.254.169.254, a link-local"),
    ("[::ffff:0:10.0.0.1]", "an IPv4-translated address carrying 10.0.0.1, a private"),
    ("[::127.0.0.1]", "a deprecated IPv4-compatible address"),
    ("[::8.8.8.8]", "a deprecated IPv4-compatible address"),
    ("[64:ff9b::127.0.0.1]", "a NAT64 address carrying 127.0.0.1, a loopback"),
    ("[64:ff9b::a9fe:a9fe]", "a NAT64 address carrying 169.254.169.254, a link-local"),
    ("[64:ff9b:1::a00:1]", "a local-use NAT64 address"),
    ("[64:ff9b:1::808:808]", "a local-use NAT64 address"),
    ("[2002:7f00:1::]", "a 6to4 address carrying 127.0.0.1, a loopback"),
    ("[2002:a00:1:1::1]", "a 6to4 address carrying 10.0.0.1, a private"),
    ("[2002:a9fe:a9fe::1]", "a 6to4 address carrying 169.254.169.254, a link-local"),
    # Teredo: server in bits 32-63, client (inverted) in bits 96-127
    ("[2001:0:808:808::80ff:fffe]", "a Teredo address carrying 127.0.0.1, a loopback"),
    ("[2001:0:a00:1::f7f7:f7f7]", "a Teredo address carrying 10.0.0.1, a private"),
    ("[2001:0:808:808::f5ff:fffe]", "a Teredo address carrying 10.0.0.1, a private"),
    # ISATAP interface identifiers (0:5efe and 200:5efe) under any prefix
    ("[2001:4860::5efe:a00:1]", "an ISATAP address carrying 10.0.0.1, a private"),
    ("[2001:4860::200:5efe:7f00:1]", "an ISATAP address carrying 127.0.0.1, a loopback"),
    ("[fe80::5efe:808:808]", "a link-local address"),
    # names
    ("localhost", "the loopback host"),
    ("api.localhost", "the loopback host"),
    ("metadata.google.internal", "a cloud metadata host"),
    ("METADATA.GOOGLE.INTERNAL.", "a cloud metadata host"),
]

ALLOWED: list[str] = [
    "8.8.8.8",
    "93.184.216.34",
    "100.128.0.1",  # just past carrier-grade NAT
    "172.32.0.1",  # just past 172.16.0.0/12
    "134744072",  # 8.8.8.8 as one decimal number
    "[2606:4700:4700::1111]",
    "[::ffff:8.8.8.8]",
    "[::ffff:0:8.8.8.8]",
    "[64:ff9b::8.8.8.8]",
    "[2002:808:808::1]",
    "[2001:0:808:808::f7f7:f7f7]",  # Teredo, both ends public
    "[2001:4860::5efe:808:808]",  # ISATAP carrying a public address
    "example.com",
    "orders.example",
    "1e3",
    "08.1",  # not octal, so a name (resolved and judged later)
    "1.2.3.4.5",
]


@pytest.mark.parametrize(("host", "reason"), REFUSED)
def test_internal_forms_are_refused_with_their_reason(host: str, reason: str) -> None:
    refusal = OutboundGuard().refusal(host)
    assert refusal is not None, f"{host} was allowed"
    assert reason in refusal


@pytest.mark.parametrize("host", ALLOWED)
def test_public_forms_pass(host: str) -> None:
    assert OutboundGuard().refusal(host) is None


@pytest.mark.parametrize(
    ("host", "allow"),
    [
        ("[::ffff:127.0.0.1]", "127.0.0.1"),
        ("[2002:a00:1::]", "10.0.0.0/8"),
        ("[64:ff9b::a00:1]", "10.0.0.0/8"),
        ("[fd00::1]", "fd00::/8"),
        ("2130706433", "127.0.0.0/8"),
    ],
)
def test_an_allow_listed_network_admits_the_forms_carrying_its_addresses(
    host: str, allow: str
) -> None:
    assert OutboundGuard().refusal(host) is not None
    assert OutboundGuard([allow]).refusal(host) is None


def test_embedded_addresses_are_read_from_the_right_bits() -> None:
    def carried(text: str) -> tuple[str, list[str]]:
        form, addresses = embedded_ipv4(ipaddress.IPv6Address(text))
        return form, [str(address) for address in addresses]

    assert carried("2002:c000:204::1") == ("6to4", ["192.0.2.4"])
    assert carried("64:ff9b::c000:221") == ("NAT64", ["192.0.2.33"])
    # RFC 4380's example: server 65.54.227.120, client 192.0.2.45
    assert carried("2001:0:4136:e378:8000:63bf:3fff:fdd2") == (
        "Teredo",
        ["65.54.227.120", "192.0.2.45"],
    )
    assert carried("fe80::200:5efe:c000:205") == ("ISATAP", ["192.0.2.5"])
    assert carried("2606:4700::1111") == ("", [])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f.0.0.1", "127.0.0.1"),
        ("0X7F.1", "127.0.0.1"),
        ("0177.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("1.2.3.4", "1.2.3.4"),
        ("0", "0.0.0.0"),  # noqa: S104 - an address read, not one bound
        ("4294967295", "255.255.255.255"),
        ("4294967296", None),  # too large
        ("256.1.1.1", None),  # a leading part over 255
        ("1.2.65536", None),  # the last part too large for two bytes
        ("09", None),  # 9 is not an octal digit
        ("0xg", None),
        ("-1", None),
        ("+1", None),
        ("\u0661", None),  # an Arabic-Indic digit is not a digit to a C resolver
        ("1..2", None),
        ("", None),
        ("a.b", None),
    ],
)
def test_legacy_literals_are_read_like_a_c_resolver(text: str, expected: str | None) -> None:
    read = legacy_ipv4_literal(text)
    assert (None if read is None else str(read)) == expected
