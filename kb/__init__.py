"""A linked-data knowledge base of a life-sciences news article, and the ``kb`` command.

Importing this package imports nothing else (``kb --help`` must stay fast).
"""

__version__ = "0.1.0"

#: The environment variable a server password is read from (else a netrc file).
PASSWORD_ENV = "KB_ENDPOINT_PASSWORD"

#: The largest answer read from a server, in MB, unless ``--max-response-size`` raises it:
#: room for the N-Triples read-back of about 3 million triples (the published graph's
#: lines average 180 bytes), while an endless answer stops long before memory runs out.
MAX_RESPONSE_MB = 512
#: Seconds a validation may take unless told otherwise (kb validate, the home page of kb
#: serve and kb site): loading, the closure and the shapes together.
VALIDATE_TIMEOUT = 300.0
