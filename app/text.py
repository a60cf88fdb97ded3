"""Text helpers shared across domains."""

import unicodedata


def fold(text: str) -> str:
    """Lower case without accents, "José Núñez" → "jose nunez": how people type a name into a
    search box at the door, whatever the database's collation."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))
