"""Participants: importing them from CSV (`importing`), erasing a person (`erasure`),
and the `participants` CLI (`cli`). Contact details stay in their own table."""
