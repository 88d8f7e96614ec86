"""Participants: importing them from CSV (`importing`), programmes and terms (`programmes`),
status changes (`status`), finding them for the admin pages (`search`), erasing a person
(`erasure`), and the `participants` CLI (`cli`). Contact details stay in their own table."""
