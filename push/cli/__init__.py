"""The push command groups (firms, match, checkup, push), registered with ``policykb`` by entry point."""

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add every push command to the ``policykb`` parser."""
    from push.cli import applications, delivery, direct, facts, firms, guides

    firms.register(subparsers)
    delivery.register(subparsers)
    applications.register(subparsers)
    facts.register(subparsers)
    guides.register(subparsers)
    direct.register(subparsers)
    demo = subparsers.choices.get("demo")
    if demo is not None:  # ``policykb demo`` also adds firms, facts, guides, pushes, applications
        from push.demo import load_demo

        demo.set_defaults(demo_hooks=[load_demo])
