"""``drift dev --temporal-address``: a Temporal that ``drift dev`` did not start.

It is checked (its address's form, then that its namespace answers) and used, never
started or stopped.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

__all__ = ["DevError", "ExistingTemporal", "check_reachable", "existing_temporal"]


class DevError(RuntimeError):
    """``drift dev`` cannot start; the message says why and what to do.

    (Defined here, where the first of its causes lives; ``drift_cli.dev`` re-exports it.)
    """


@dataclass(frozen=True)
class ExistingTemporal:
    """A Temporal ``drift dev`` did not start: it is only checked, never stopped."""

    address: str
    namespace: str


def existing_temporal(address: str, namespace: str) -> ExistingTemporal:
    """Check ``HOST:PORT``'s form (``--temporal-address``).

    Raises:
        DevError: when it is not ``host:port`` with a port from 1 to 65535.
    """
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:  # noqa: PLR2004
        msg = (
            f"--temporal-address {address!r} is not HOST:PORT "
            "(for example 127.0.0.1:7233, the frontend of your Temporal)"
        )
        raise DevError(msg)
    return ExistingTemporal(address, namespace)


async def check_reachable(temporal: ExistingTemporal, seconds: float = 15.0) -> None:
    """Wait until the existing Temporal answers for its namespace.

    Raises:
        DevError: when it does not within ``seconds`` (its last error named).
    """
    from temporalio.client import Client  # noqa: PLC0415 - only with --temporal-address

    deadline = time.monotonic() + seconds
    while True:
        try:
            client = await Client.connect(temporal.address, namespace=temporal.namespace)
            await client.count_workflows()
        except Exception as error:  # noqa: BLE001 - reported to the user below
            if time.monotonic() > deadline:
                msg = (
                    f"Temporal at {temporal.address} (namespace {temporal.namespace}) did not "
                    f"answer within {seconds:.0f} s: {error}. Check the address and that the "
                    "namespace exists, or leave out --temporal-address to use a dev server"
                )
                raise DevError(msg) from None
            await asyncio.sleep(0.5)
        else:
            return
