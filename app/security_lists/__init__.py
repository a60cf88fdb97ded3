"""Security lists: what a venue (a consulate, a port of entry, a government building) needs to
know about every visitor ahead of time, collected once, guarded, handed over, and forgotten."""
