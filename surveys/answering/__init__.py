"""Answering a survey, page by page, on the public link and on personal links.

`flow` runs a page (show it, take its POST); `walk` decides what is asked from the
answers so far; `checks` refuses what our own page could not have sent; `drafts` keeps
the answers on the server until the one atomic submit.
"""
