"""read: (to be described)."""
