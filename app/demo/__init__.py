"""The demo calendar: its content (data.py), seeded through the services (seed.py) by
`flask seed-demo` (commands.py)."""
