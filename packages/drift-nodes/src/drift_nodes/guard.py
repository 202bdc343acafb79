"""The outbound guard: HTTP nodes may not reach the worker's own network by default.

A workflow author controls URLs (often through templates), so without a guard any
author could make the worker call its metadata service or an internal admin port. The
guard refuses loopback, private, link-local (169.254.169.254 included), carrier-grade
NAT, multicast, reserved and unspecified addresses, and the well-known metadata host
names — unless the operator allow-lists a host name or a network.

It checks the addresses a name *resolves to*, inside the HTTP client's resolver, so
the address checked is the address connected to (no DNS-rebinding gap), and it checks
every redirect hop the same way.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any, Final

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

__all__ = ["BlockedAddressError", "GuardedResolver", "OutboundGuard"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_METADATA_HOSTS: Final = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
    }
)
_EXTRA_BLOCKED: Final[tuple[IPNetwork, ...]] = (
    ipaddress.ip_network("100.64.0.0/10"),  # carrier-grade NAT (not "private" to ipaddress)
    ipaddress.ip_network("100.100.100.200/32"),  # Alibaba Cloud metadata
    ipaddress.ip_network("fd00:ec2::254/128"),  # AWS metadata over IPv6
    ipaddress.ip_network("192.0.0.0/24"),  # IETF protocol assignments
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
            address = ipaddress.ip_address(bare.split("%", 1)[0])
        except ValueError:
            name = bare.lower().rstrip(".")
            if name in _METADATA_HOSTS and not self.host_allowed(name):
                return f"{host} is a cloud metadata host"
            if (name == "localhost" or name.endswith(".localhost")) and not self.host_allowed(name):
                return f"{host} is the loopback host"
            return None
        return self.address_refusal(address)

    def address_refusal(self, address: IPAddress, host: str | None = None) -> str | None:
        """Why connecting to ``address`` (that ``host`` resolved to) is refused, or ``None``."""
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in network for network in self._networks):
            return None
        if host is not None and self.host_allowed(host):
            return None
        reason = _classify(address)
        if reason is None:
            return None
        shown = str(address) if host is None or host == str(address) else f"{host} ({address})"
        return f"{shown} is {reason}"


def _classify(address: IPAddress) -> str | None:  # noqa: PLR0911 - one answer per kind
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address (cloud metadata lives there)"
    if any(address in network for network in _EXTRA_BLOCKED):
        return "an internal or metadata address"
    if address.is_private:
        return "a private address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_unspecified:
        return "the unspecified address"
    if address.is_reserved:
        return "a reserved address"
    return None


class GuardedResolver(AbstractResolver):
    """An aiohttp resolver that drops the addresses the guard refuses.

    When every address of a name is refused it raises :class:`BlockedAddressError`
    (an ``OSError``), which aiohttp reports as a connection error carrying it.
    """

    def __init__(self, guard: OutboundGuard, resolver: AbstractResolver | None = None) -> None:
        self._guard = guard
        self._resolver = resolver or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Resolve ``host`` and keep only the addresses the guard allows."""
        refusal = self._guard.refusal(host)
        if refusal is not None:
            msg = f"the outbound guard refused {refusal}"
            raise BlockedAddressError(msg)
        results = await self._resolver.resolve(host, port, family)
        allowed: list[ResolveResult] = []
        reasons: list[str] = []
        for result in results:
            reason = self._guard.address_refusal(ipaddress.ip_address(result["host"]), host)
            if reason is None:
                allowed.append(result)
            else:
                reasons.append(reason)
        if not allowed:
            msg = f"the outbound guard refused {'; '.join(reasons)}"
            raise BlockedAddressError(msg)
        return allowed

    async def close(self) -> None:
        """Close the wrapped resolver."""
        await self._resolver.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._resolver, name)
