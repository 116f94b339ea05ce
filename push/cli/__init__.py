"""The push command groups (firms, match, checkup, push), registered with ``policykb`` by entry point."""

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add every push command to the ``policykb`` parser."""
    from push.cli import applications, delivery, firms

    firms.register(subparsers)
    delivery.register(subparsers)
    applications.register(subparsers)
