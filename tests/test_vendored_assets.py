"""Vendored third-party files must match their recorded SRI hashes (no app import)."""

import base64
import hashlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENDOR_DIRS = [ROOT / "coop" / "static" / "vendor", ROOT / "tests" / "vendor"]
NOT_VENDORED = {"CHECKSUMS", "README.md"}


def read_checksums(vendor_dir: Path) -> dict[str, str]:
    entries = {}
    for line in (vendor_dir / "CHECKSUMS").read_text().splitlines():
        if not line.strip():
            continue
        digest, name = line.split(maxsplit=1)
        assert name not in entries, f"{name} listed twice in {vendor_dir}/CHECKSUMS"
        entries[name] = digest
    return entries


def sri_sha384(path: Path) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(path.read_bytes()).digest()).decode()


@pytest.mark.parametrize("vendor_dir", VENDOR_DIRS, ids=lambda d: str(d.relative_to(ROOT)))
def test_checksums_match(vendor_dir):
    entries = read_checksums(vendor_dir)
    assert entries, f"{vendor_dir}/CHECKSUMS is empty"
    for name, digest in entries.items():
        path = vendor_dir / name
        assert path.is_file(), f"{path} is listed in CHECKSUMS but missing"
        assert sri_sha384(path) == digest, f"{path} does not match CHECKSUMS"


@pytest.mark.parametrize("vendor_dir", VENDOR_DIRS, ids=lambda d: str(d.relative_to(ROOT)))
def test_every_vendored_file_is_listed(vendor_dir):
    present = {
        str(p.relative_to(vendor_dir))
        for p in vendor_dir.rglob("*")
        if p.is_file() and p.name not in NOT_VENDORED
    }
    unlisted = sorted(present - set(read_checksums(vendor_dir)))
    assert not unlisted, f"not listed in {vendor_dir}/CHECKSUMS: {unlisted}"
