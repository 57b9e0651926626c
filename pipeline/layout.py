"""Sizing wrapped text: spreadsheet programs do not grow row heights when opening a file."""

LINE_HEIGHT = 15  # points per wrapped line


def display_width(text: str) -> int:
    """Width in column units: a Chinese character takes two."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def row_height(*texts: tuple[str, int]) -> float | None:
    """Height for a row whose (text, column width) pairs wrap; None when one line fits."""
    lines = max(display_width(text) // max(width - 2, 1) + 1 for text, width in texts)
    return LINE_HEIGHT * lines if lines > 1 else None
