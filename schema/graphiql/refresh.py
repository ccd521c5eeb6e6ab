"""Vendor the GraphiQL page's files again: `python -m schema.graphiql.refresh` (needs npm).

Reads the unpkg.com references of the installed Strawberry's GraphiQL page, fetches the same
package versions from the npm registry (`npm pack`; any registry npm is configured for, e.g.
`npm config set registry https://registry.npmmirror.com`), and rewrites vendor/: the referenced
files, each package's licence, and manifest.json with every file's sha384. A file whose hash
differs from the integrity Strawberry declares stops the refresh (nothing is written).
Run it after upgrading Strawberry and commit vendor/.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from importlib.metadata import version as installed_version
from pathlib import Path

from strawberry.http.ides import get_graphql_ide_html

from schema.graphiql.assets import MANIFEST, VENDOR_DIR, sha384
from schema.graphiql.page import references

# Byte-exact checkouts (no line-ending conversion, or the hashes break); no diffs of minified
# code, but of the manifest's hashes.
GITATTRIBUTES = "* -text linguist-vendored\n*.js -diff\n*.css -diff\n"


def npm_pack(package: str, version: str, into: Path) -> Path:
    """The unpacked `package/` folder of package@version's tarball."""
    out = subprocess.run(
        ["npm", "pack", f"{package}@{version}", "--json", "--pack-destination", str(into)],
        check=True,
        capture_output=True,
        text=True,
    )
    tarball = into / json.loads(out.stdout)[0]["filename"]
    unpacked = into / tarball.name.removesuffix(".tgz")
    with tarfile.open(tarball) as archive:
        archive.extractall(unpacked, filter="data")
    return unpacked / "package"


def refresh() -> list[str]:
    refs = references(get_graphql_ide_html("graphiql"))
    if not refs:
        raise SystemExit("Strawberry's GraphiQL page has no unpkg.com references: nothing to vendor")
    with tempfile.TemporaryDirectory() as tmp:
        work, staging = Path(tmp), Path(tmp) / "vendor"
        packages = {(r.package, r.version): npm_pack(r.package, r.version, work) for r in refs}
        files: dict[str, str] = {}
        for ref in refs:
            target = staging / ref.path
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(packages[ref.package, ref.version] / ref.file, target)
            files[ref.path] = sha384(target)
            if ref.integrity and ref.integrity != files[ref.path]:
                raise SystemExit(f"{ref.path}: npm has {files[ref.path]}, Strawberry's page expects {ref.integrity}")
        for (package, version), root in packages.items():
            for licence in root.glob("LICEN[CS]E*"):
                shutil.copyfile(licence, staging / f"{package}@{version}" / licence.name)
        manifest = {"strawberry-graphql": installed_version("strawberry-graphql"), "files": files}
        (staging / MANIFEST.name).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        (staging / ".gitattributes").write_text(GITATTRIBUTES, encoding="utf-8")
        shutil.rmtree(VENDOR_DIR, ignore_errors=True)
        shutil.copytree(staging, VENDOR_DIR)
    return [f"{path}  {digest}" for path, digest in files.items()]


if __name__ == "__main__":
    for line in refresh():
        print(line)
    print(f"vendored into {VENDOR_DIR}", file=sys.stderr)
