"""The documents stay true to the code and self-contained."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

# Anything that points outside the repository: files beside the checkout, tracker items,
# rounds of work. Feature ids (CON-3) are fine: docs/features.md defines them.
OUTSIDE = re.compile(
    r"\.\./shared|shared/SPEC|SPEC\.md|DESIGN\.md|seeds/|/work/|\bissue ?#?\d|\bissues? \d|the issue\b|"
    r"\bstops? \d",
    re.I,
)
FEATURE_ID = re.compile(r"\b(ACC|CAT|MER|ORD|CON|DIS|MEM|FIN|MKT|STO|RISK|RT|OPS)-\d+\b")


def _tracked_text_files() -> list[Path]:
    names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    skip = ("schema/graphiql/vendor/", "package-lock.json", ".png", ".svg", ".ico")
    files = [ROOT / n for n in names.splitlines() if not n.endswith(skip) and not n.startswith(skip)]
    return [f for f in files if f.is_file()]


def test_every_setting_is_in_the_deployment_guide():
    names = set(re.findall(r'config\(\s*"([A-Z0-9_]+)"', (ROOT / "settings.py").read_text()))
    documented = set(re.findall(r"`([A-Z0-9_]+)`", (DOCS / "deployment.md").read_text()))
    assert names - documented == set(), "describe these settings in docs/deployment.md's table"


def test_nothing_refers_outside_the_repository():
    this = Path(__file__).resolve()
    hits = []
    for path in _tracked_text_files():
        if path.resolve() == this:
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                hits.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert hits == [], "refer to docs/features.md (feature ids) or to files in the repository:\n" + "\n".join(hits)


def test_every_feature_id_named_anywhere_is_in_the_catalogue():
    catalogue = {m.group(0) for m in FEATURE_ID.finditer((DOCS / "features.md").read_text())}
    named = set()
    for path in _tracked_text_files():
        try:
            named |= {m.group(0) for m in FEATURE_ID.finditer(path.read_text())}
        except UnicodeDecodeError:
            continue
    assert named - catalogue == set(), "add these feature ids to docs/features.md"


def test_relative_links_in_the_documents_resolve():
    broken = []
    for doc in [ROOT / "README.md", ROOT / "bench" / "README.md", *DOCS.glob("*.md")]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", doc.read_text()):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (doc.parent / target).exists():
                broken.append(f"{doc.relative_to(ROOT)}: {target}")
    assert broken == []


def _graphql_samples() -> list[tuple[str, str]]:
    samples = []
    for doc in [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]:
        for block in re.findall(r"^ *```graphql\n(.*?)^ *```", doc.read_text(), flags=re.M | re.S):
            samples.append((doc.relative_to(ROOT).as_posix(), block))
    return samples


def test_every_graphql_sample_in_the_documents_fits_the_schema():
    from graphql import build_schema, parse, validate

    schema = build_schema((ROOT / "schema.graphql").read_text())
    samples = _graphql_samples()
    assert len(samples) >= 15  # README's tour and the front-end guide
    wrong = []
    for doc, sample in samples:
        errors = validate(schema, parse(sample))
        wrong += [f"{doc}: {e.message}\n{sample}" for e in errors]
    assert wrong == [], "\n".join(wrong)
