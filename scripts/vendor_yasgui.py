"""Refresh the YASGUI query editor that ``kb serve``'s query page offers, from npm.

``python scripts/vendor_yasgui.py [--version V --integrity sha512-...]``

Fetches ``@zazuko/yasgui`` with ``npm pack`` (npm's own client), checks the tarball
against the pinned Subresource Integrity hash (the registry's ``dist.integrity``), and
writes ``build/yasgui.min.js`` and ``build/yasgui.min.css`` into ``kb/web/static/``
with a note of where they came from. The files are committed, so ``pip install .``
carries them and the page needs no network: nothing is fetched at install or run time.
To move to a new version, read its hash with ``npm view @zazuko/yasgui@V dist.integrity``
and pass both.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "@zazuko/yasgui"
VERSION = "4.6.2"
INTEGRITY = "sha512-Zw45KdPoAE1KRaAoxIHdQqeJxvaVG1oQdntw0hy0ktX35Zu8ZccuOLrXCLwR+GU+0xMzLw8Mjw6BkSZV2vUuQw=="  # noqa: E501
STATIC = Path(__file__).resolve().parent.parent / "kb" / "web" / "static"
FILES = {
    "package/build/yasgui.min.js": "yasgui.min.js",
    "package/build/yasgui.min.css": "yasgui.min.css",
}
NOTE = """# YASGUI, vendored

`yasgui.min.js` and `yasgui.min.css` are `build/` files of the npm package
`{package}` {version} (licence: MIT, as its package.json declares), fetched by
`scripts/vendor_yasgui.py` and checked against `{integrity}`.
They hold no CDN link; `yasgui-kb.js` points the editor at this server's `/sparql` and
turns off the completers that would ask lov.linkeddata.es.
"""


def sri(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default=VERSION)
    parser.add_argument("--integrity", default=INTEGRITY)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        subprocess.run(
            ["npm", "pack", f"{PACKAGE}@{args.version}", "--silent"],
            cwd=temp,
            check=True,
            capture_output=True,
        )
        tarball = next(Path(temp).glob("*.tgz"))
        found = sri(tarball.read_bytes())
        if found != args.integrity:
            print(f"{tarball.name}: integrity {found} is not {args.integrity}", file=sys.stderr)
            return 1
        with tarfile.open(tarball) as archive:
            for member, name in FILES.items():
                source = archive.extractfile(member)
                if source is None:
                    print(f"{tarball.name}: no {member}", file=sys.stderr)
                    return 1
                (STATIC / name).write_bytes(source.read())
    note = NOTE.format(package=PACKAGE, version=args.version, integrity=args.integrity)
    (STATIC / "YASGUI.md").write_text(note)
    print(f"{PACKAGE} {args.version} written to {STATIC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
