"""A linked-data knowledge base of a life-sciences news article, and the ``kb`` command.

Importing this package imports nothing else (``kb --help`` must stay fast).
"""

__version__ = "0.1.0"

#: The environment variable a server password is read from (else a netrc file).
PASSWORD_ENV = "KB_ENDPOINT_PASSWORD"
