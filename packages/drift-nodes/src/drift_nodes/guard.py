"""The outbound guard: HTTP nodes may not reach the worker's own network by default.

A workflow author controls URLs (often through templates), so without a guard any
author could make the worker call its metadata service or an internal admin port. The
guard refuses loopback, private, link-local (169.254.169.254 included), carrier-grade
NAT, multicast, reserved, documentation and unspecified addresses, IPv6 unique-local and
site-local addresses, every IPv6 form that carries a refused IPv4 address (IPv4-mapped,
NAT64, 6to4, Teredo, ISATAP, ...), and the well-known metadata host names — unless the
operator allow-lists a host name or a network. The address rules are in
:mod:`drift_nodes._address_rules`. Legacy numeric host names (``2130706433``,
``0x7f.1``, ``0177.0.0.1``) are read the way C resolvers read them and judged as the
address they mean.

It checks the addresses a name *resolves to*, inside the HTTP client's resolver, so
the address checked is the address connected to (no DNS-rebinding gap), and it checks
every redirect hop the same way.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any, Final

from drift_nodes._address_rules import (
    IPAddress,
    IPNetwork,
    embedded_ipv4,
    legacy_ipv4_literal,
    refusal_reason,
)

__all__ = ["BlockedAddressError", "GuardedResolver", "OutboundGuard"]  # noqa: F822 - see __getattr__

_METADATA_HOSTS: Final = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
    }
)


class BlockedAddressError(OSError):
    """The guard refused a host or an address; the message says which and why."""


class OutboundGuard:
    """Decides whether the HTTP node may connect to a host or an address.

    Args:
        allow_hosts: host names (exact, any case) or IP networks / addresses
            (``10.0.0.0/8``, ``127.0.0.1``, ``::1``) let through although internal.

    Example:
        >>> OutboundGuard().refusal("169.254.169.254")
        '169.254.169.254 is a link-local address (cloud metadata lives there)'
        >>> OutboundGuard(["127.0.0.1"]).refusal("127.0.0.1") is None
        True
    """

    def __init__(self, allow_hosts: Iterable[str] = ()) -> None:
        self._names: set[str] = set()
        self._networks: list[IPNetwork] = []
        for entry in allow_hosts:
            text = entry.strip().strip("[]")
            try:
                self._networks.append(ipaddress.ip_network(text, strict=False))
            except ValueError:
                self._names.add(text.lower().rstrip("."))

    def host_allowed(self, host: str) -> bool:
        """Whether ``host`` (a name) is allow-listed by name."""
        return host.lower().rstrip(".") in self._names

    def refusal(self, host: str) -> str | None:
        """Why ``host`` (a name or an address literal) is refused, or ``None`` if allowed.

        A name is only judged by itself here (metadata names); its addresses are
        judged when it is resolved.
        """
        bare = host.strip("[]")
        try:
            address: IPAddress | None = ipaddress.ip_address(bare.split("%", 1)[0])
        except ValueError:
            address = legacy_ipv4_literal(bare.rstrip("."))
        if address is not None:
            return self.address_refusal(address, None if address.compressed == bare else host)
        name = bare.lower().rstrip(".")
        if name in _METADATA_HOSTS and not self.host_allowed(name):
            return f"{host} is a cloud metadata host"
        if (name == "localhost" or name.endswith(".localhost")) and not self.host_allowed(name):
            return f"{host} is the loopback host"
        return None

    def address_refusal(self, address: IPAddress, host: str | None = None) -> str | None:
        """Why connecting to ``address`` (that ``host`` resolved to) is refused, or ``None``.

        An allow-listed network admits an address in it, and an IPv6 address that
        carries an IPv4 address in it.
        """
        if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
            address = ipaddress.IPv6Address(int(address))
        candidates: list[IPAddress] = [address]
        if isinstance(address, ipaddress.IPv6Address):
            candidates.extend(embedded_ipv4(address)[1])
        if any(each in network for each in candidates for network in self._networks):
            return None
        if host is not None and self.host_allowed(host):
            return None
        reason = refusal_reason(address)
        if reason is None:
            return None
        shown = str(address) if host is None or host == str(address) else f"{host} ({address})"
        return f"{shown} is {reason}"


def __getattr__(name: str) -> Any:
    # The resolver subclasses aiohttp's: importing it lazily keeps aiohttp (~9 MB) out of
    # processes that only judge hosts (the API checks callback URLs with the guard).
    if name == "GuardedResolver":
        from drift_nodes._guarded_resolver import GuardedResolver  # noqa: PLC0415

        return GuardedResolver
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
