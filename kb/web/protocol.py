"""The HTTP/1.1 protocol ``kb serve`` speaks: httptools' parser (C, llhttp) where it is
installed, with a bound on the request head (line and headers) that it does not have
itself; h11 (pure Python, bounded by uvicorn's ``h11_max_incomplete_event_size``)
otherwise. And the event loop: uvloop where installed.
"""

from __future__ import annotations

import importlib.util
from typing import Any

#: Longest request target httptools can take apart (its URL parser counts in 16 bits);
#: a longer one is answered 414 (a longer query goes by POST).
MAX_URL = 65_535
#: Most bytes a request's head (request line and headers) may take.
MAX_HEAD = 3 * 32_000 + 16 * 1024  # the longest query string kb.web.app takes, and headers


def protocol() -> Any:
    """The protocol class (or uvicorn's name for it) to serve with."""
    if importlib.util.find_spec("httptools") is None:
        return "h11"
    return _bounded_httptools()


def loop() -> str:
    """uvicorn's name for the event loop to run."""
    return "uvloop" if importlib.util.find_spec("uvloop") is not None else "asyncio"


def _bounded_httptools() -> type:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class BoundedHttpToolsProtocol(HttpToolsProtocol):
        """httptools keeps a header's name and value until they end, however long:
        count the bytes received while a head is incomplete, and answer 400 and close
        past MAX_HEAD (h11 does the same past its bound)."""

        _head_bytes: int | None = 0
        _url_too_long = False

        def data_received(self, data: bytes) -> None:
            if self._head_bytes is not None:
                self._head_bytes += len(data)
            super().data_received(data)
            if self._head_bytes is not None and self._head_bytes > MAX_HEAD:
                self._head_bytes = None
                if not self.transport.is_closing():
                    self.send_400_response("Request head too large.")

        def on_url(self, url: bytes) -> None:
            if len(self.url) + len(url) > MAX_URL:
                self._url_too_long = True
                raise ValueError("request target too long")  # the parser stops: 414
            super().on_url(url)

        def send_400_response(self, msg: str) -> None:
            if not self._url_too_long:
                super().send_400_response(msg)
                return
            text = f"The address is longer than {MAX_URL} bytes; POST a long query.".encode()
            head = (
                "HTTP/1.1 414 URI Too Long\r\ncontent-type: text/plain; charset=utf-8\r\n"
                f"x-content-type-options: nosniff\r\ncontent-length: {len(text)}\r\n"
                "connection: close\r\n\r\n"
            )
            self.transport.write(head.encode() + text)
            self.transport.close()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            if self._head_bytes is None:
                self._head_bytes = 0

        def on_headers_complete(self) -> None:
            self._head_bytes = None
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self._head_bytes = 0

    return BoundedHttpToolsProtocol
