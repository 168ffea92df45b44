"""A linked-data knowledge base of a life-sciences news article, and the ``kb`` command.

Importing this package imports nothing else (``kb --help`` must stay fast).
"""

__version__ = "0.1.0"
