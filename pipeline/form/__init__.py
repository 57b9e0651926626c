"""form: (to be described)."""
