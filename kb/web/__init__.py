"""The web face of the knowledge base, read-only: every KB IRI dereferences to a page or
to RDF by content negotiation, a SPARQL endpoint, and the same pages as a static site.

``kb.web.model`` reads the published graph, ``kb.web.pages`` turns it into HTML,
``kb.web.app`` serves it (Starlette), ``kb.web.site`` writes it to files.
"""
