"""funcad.compat: drop-in paths for code written against other autodiff libraries.

``funcad.compat.autograd`` is HIPS autograd's API on funcad (see
docs/migrating-from-autograd.md). These modules sit on funcad's public API, like
``funcad.optim``: nothing in funcad imports them.
"""
