"""The requirement lists, the reasons file and the tests that carry requirement ids.

Shared by `scripts/conformance` (the committed table) and `scripts/certify` (a run). Reads only
files inside the repository: `docs/spec/ucr-2008c3.tsv` (DoD UCR 2008 §5.7 digest),
`docs/spec/nato-bcs.tsv` (NATO BCS profile), `docs/conformance-reasons.tsv` (why a row is not,
or only partly, shown by tests) and the `.rs` files; it follows no symbolic link and skips
hidden and `target*` directories.

Ids in test names: `ucr_<area>_<number>` (UCR-AREA-NUMBER) and `nato_<n|s|f|l>_<number>` (N-, S-,
F-, L-NUMBER, written as in the list: `nato_s_01`), at the start of the name or after an underscore,
the number whole. Every id in a name counts. A name carrying an id the lists do not know is an
error. An id named only in a doc comment credits nothing ("see also").
"""
import csv
import os
import re

ROOT = os.path.realpath(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
UCR_SPEC = "docs/spec/ucr-2008c3.tsv"
NATO_SPEC = "docs/spec/nato-bcs.tsv"
REASONS = "docs/conformance-reasons.tsv"

# Levels that make a row mandatory. UCR: R = [Required], S = binding SHALL in prose, S* = binding
# by reference to an RFC section, S/C = required for servers and clients (conditional only for
# gateways). NATO: SHALL, REQUIRED, and the conditional SHALL/MUST ("SHALL if").
MANDATORY = {"R", "S", "S\\*", "S/C", "SHALL", "REQUIRED", "SHALL if", "MUST if"}

# Why a row is not (or only partly) shown by tests. `partial` rows have tests that check part of
# the row's text; the others have none.
REASON_KINDS = {
    "partial": "partial",
    "offline": "not testable offline",
    "missing": "not implemented",
    "deployment": "deployment",
    "n/a": "not applicable",
    "blanket": "shown by other rows",
}

fn_re = re.compile(r"\bfn\s+([A-Za-z0-9_]+)")
doc_id_re = re.compile(r"\b(?:UCR-[A-Z0-9]+-\d+|[NSFL]-\d\d)\b")
ucr_name_re = re.compile(r"(?:^|_)ucr_([a-z]+)_(\d+)(?=_|$)")
nato_name_re = re.compile(r"(?:^|_)nato_([nsfl])_(\d+)(?=_|$)")
test_attr_re = re.compile(r"^#\[(?:[A-Za-z_][A-Za-z0-9_]*::)*test\b")


class SpecError(Exception):
    """A requirement list, the reasons file or a test name is wrong."""


def inside_repo(path):
    """True when `path` is a regular file of the repository, not a link leading elsewhere."""
    if os.path.islink(path):
        return False
    real = os.path.realpath(path)
    return os.path.commonpath([ROOT, real]) == ROOT and os.path.isfile(real)


def load_tsv(rel):
    path = os.path.join(ROOT, rel)
    if not inside_repo(path):
        raise SpecError(f"{rel}: missing, or not a file inside the repository")
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def load_ucr():
    return load_tsv(UCR_SPEC)


def load_nato():
    rows = load_tsv(NATO_SPEC)
    ucr_ids = {r["id"] for r in load_ucr()}
    for r in rows:
        r["ucr_ids"] = (r.get("ucr") or "").split()
        for rid in r["ucr_ids"]:
            if rid not in ucr_ids:
                raise SpecError(f"{NATO_SPEC}: {r['id']} maps to {rid}, which {UCR_SPEC} does not list")
    return rows


def load_reasons(known_ids):
    """id -> (kind, reason). Every id must be known, every kind one of REASON_KINDS."""
    rows = load_tsv(REASONS)
    reasons = {}
    for r in rows:
        rid, kind, reason = r["id"], r["kind"], (r["reason"] or "").strip()
        if rid not in known_ids:
            raise SpecError(f"{REASONS}: {rid} is in no requirement list")
        if kind not in REASON_KINDS:
            raise SpecError(f"{REASONS}: {rid}: kind {kind!r} is not one of {sorted(REASON_KINDS)}")
        if not reason:
            raise SpecError(f"{REASONS}: {rid}: the reason is empty")
        if rid in reasons:
            raise SpecError(f"{REASONS}: {rid} is listed twice")
        reasons[rid] = (kind, reason)
    return reasons


class Test:
    """A test function: where it is and which ids its name and doc comment carry."""

    def __init__(self, file, name, ids, doc_ids):
        self.file = file  # workspace-relative path
        self.name = name  # the fn name
        self.ids = ids  # ids its name carries
        self.doc_ids = doc_ids  # ids its doc comment names and its name does not

    @property
    def key(self):
        return f"{self.file}::{self.name}"


def name_ids(name):
    ids = {f"UCR-{a.upper()}-{n}" for a, n in ucr_name_re.findall(name)}
    ids |= {f"{a.upper()}-{n}" for a, n in nato_name_re.findall(name)}
    return ids


def scan_tests():
    """Every test fn of the repository's `.rs` files (a fn under `#[test]`, `#[tokio::test]` or
    any `#[path::test]`), in a deterministic order."""
    tests = []
    for dirpath, dirnames, filenames in os.walk(ROOT, followlinks=False):
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not d.startswith(".") and not d.startswith("target") and not os.path.islink(os.path.join(dirpath, d))
        )
        for fname in sorted(filenames):
            if not fname.endswith(".rs"):
                continue
            path = os.path.join(dirpath, fname)
            if not inside_repo(path):
                continue
            rel = os.path.relpath(path, ROOT).replace(os.sep, "/")
            doc_ids, is_test = [], False
            with open(path, encoding="utf-8", errors="replace") as f:
                for line in f:
                    stripped = line.strip()
                    if stripped.startswith("///"):
                        doc_ids += doc_id_re.findall(stripped)
                        continue
                    if stripped.startswith("#["):
                        if test_attr_re.match(stripped):
                            is_test = True
                        if fn_re.search(stripped) is None:
                            continue
                    if stripped == "" or stripped.startswith("//"):
                        continue
                    m = fn_re.search(stripped)
                    if m is not None and is_test:
                        ids = name_ids(m.group(1))
                        tests.append(Test(rel, m.group(1), ids, set(doc_ids) - ids))
                    # Any other line ends the doc comment and attributes that came before it.
                    doc_ids, is_test = [], False
    return tests


def check_names(tests, known_ids):
    """Errors for test names carrying ids that no list knows."""
    errors = []
    for t in tests:
        for rid in sorted(t.ids - known_ids):
            errors.append(f"{t.key}: the name carries {rid}, which no requirement list has")
    return errors


def credits(tests, known_ids):
    """id -> {test key: number of ids in the test's name}, and id -> {test key} (see also)."""
    credited, see_also = {}, {}
    for t in tests:
        for rid in t.ids & known_ids:
            credited.setdefault(rid, {})[t.key] = len(t.ids)
        for rid in t.doc_ids & known_ids:
            see_also.setdefault(rid, set()).add(t.key)
    return credited, see_also
