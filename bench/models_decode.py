"""Decode and validate a generated 200-state workflow.

Prints microseconds per operation (median of several rounds) and the ratio to a plain,
untyped ``msgspec.json.decode`` of the same bytes measured in the same run.
Goal: decode + validate under 5 ms.

Usage: uv run python bench/models_decode.py [--states N] [--rounds R] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import msgspec

from drift_models import NodeCatalog, NodeTypes, validate_workflow

GOAL_MICROSECONDS = 5000.0


def generate_workflow(states: int) -> dict[str, Any]:
    """A realistic workflow of ``states`` states.

    Scripts and HTTP calls map earlier outputs, with a branch every ten states, a view
    every twenty-five, and both references and inline definitions.
    """
    body: dict[str, Any] = {}
    names = [f"step{i:03d}" for i in range(states - 2)]
    for i, name in enumerate(names):
        following = names[i + 1] if i + 1 < len(names) else "done"
        previous = f"$.{names[i - 1]}.value" if i else "$.params.orderId"
        if i % 10 == 9:
            body[name] = {
                "nodeDefinition": {
                    "type": "BRANCH",
                    "id": f"route-{i}",
                    "name": f"Route {i}",
                    "parameters": ["value"],
                    "config": {
                        "choices": [{"rule": "value > 100", "nextNode": "failed"}],
                        "defaultNode": following,
                    },
                },
                "parameters": {"value": previous},
            }
        elif i % 25 == 24:
            body[name] = {
                "nodeDefinition": {
                    "type": "INSTRUCTION",
                    "id": f"ask-{i}",
                    "name": f"Ask {i}",
                    "parameters": ["value"],
                    "config": {
                        "layoutId": "confirm",
                        "inputOptions": [
                            {
                                "id": "decision",
                                "description": "Value is {{ value }}",
                                "possibleValues": [
                                    {"displayValue": "Yes", "value": "y"},
                                    {"displayValue": "No", "value": "n"},
                                ],
                            }
                        ],
                        "rules": {"required": ["decision"]},
                    },
                },
                "parameters": {"value": previous},
                "nextNode": following,
            }
        elif i % 3 == 0:
            body[name] = {
                "resourceId": "lookup",
                "resourceVersion": "LATEST",
                "parameters": {"key": previous},
                "nextNode": following,
                "onError": "failed",
            }
        else:
            body[name] = {
                "nodeDefinition": {
                    "type": "SCRIPT",
                    "id": f"calc-{i}",
                    "name": f"Calculate {i}",
                    "parameters": ["value"],
                    "config": {"script": "{'value': value * 2 if value else 1}"},
                },
                "parameters": {"value": previous},
                "nextNode": following,
            }
    body["done"] = {"nodeDefinition": {"type": "SUCCESS", "id": "done", "name": "Done"}}
    body["failed"] = {"nodeDefinition": {"type": "FAILURE", "id": "failed", "name": "Failed"}}
    return {
        "id": "generated",
        "parameters": ["orderId"],
        "startNode": names[0],
        "defaultFailureNode": "failed",
        "states": body,
    }


LOOKUP_NODE = {
    "type": "HTTP",
    "id": "lookup",
    "name": "Lookup",
    "version": 1,
    "parameters": ["key"],
    "config": {"url": "{{ _enum_store.base }}/items/{{ key }}"},
}


def measure(operation: Callable[[], object], rounds: int, per_round: int) -> float:
    """Median microseconds per call over ``rounds`` rounds of ``per_round`` calls."""
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(per_round):
            operation()
        samples.append((time.perf_counter() - start) / per_round * 1e6)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--states", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="one short round (smoke test)")
    args = parser.parse_args(argv)
    rounds, per_round = (1, 2) if args.quick else (args.rounds, 20)

    types = NodeTypes()
    document = generate_workflow(args.states)
    data = msgspec.json.encode(document)
    catalog = NodeCatalog([types.convert_node(LOOKUP_NODE)])
    workflow = types.decode_workflow(data)
    problems = validate_workflow(workflow, catalog)
    if problems:
        print("the generated workflow is not clean:", problems[:3])
        return 1

    baseline = measure(lambda: msgspec.json.decode(data), rounds, per_round)
    typed = measure(lambda: types.decode_workflow(data), rounds, per_round)
    both = measure(
        lambda: validate_workflow(types.decode_workflow(data), catalog), rounds, per_round
    )
    print(f"workflow: {args.states} states, {len(data)} bytes")
    print(f"{'operation':<36}{'µs':>10}{'x baseline':>12}")
    for label, value in (
        ("msgspec.json.decode (untyped)", baseline),
        ("decode_workflow (typed, strict)", typed),
        ("decode_workflow + validate_workflow", both),
    ):
        print(f"{label:<36}{value:>10.0f}{value / baseline:>12.1f}")
    verdict = "met" if both < GOAL_MICROSECONDS else "MISSED"
    print(f"goal: decode + validate under {GOAL_MICROSECONDS:.0f} µs: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
