"""Submitted responses read one at a time in the admin area, with identity hidden: which
may be read (`listing`), under which pseudonym (`pseudonyms`), and their answers worded in
the reader's language (`answers`)."""
