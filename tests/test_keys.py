"""Key files: private, long enough, never overwritten; keyed hashes separated by purpose."""

import os
import stat
from pathlib import Path

import pytest

from offender_journey.cli import main
from offender_journey.keys import KeyFileError, keyed_hash, load_key, new_key_file


def test_keygen_writes_a_private_32_byte_key_and_never_overwrites(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "k"
    assert main(["keygen", str(key)]) == 0
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert len(load_key(key)) == 32
    before = key.read_bytes()
    assert main(["keygen", str(key)]) == 2
    assert "never overwritten" in capsys.readouterr().err
    assert key.read_bytes() == before


def test_missing_short_or_shared_keys_are_refused(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="cannot read"):
        load_key(tmp_path / "absent")
    short = tmp_path / "short"
    short.write_bytes(b"x" * 31)
    short.chmod(0o600)
    with pytest.raises(KeyFileError, match="31 bytes"):
        load_key(short)
    shared = tmp_path / "shared"
    new_key_file(shared)
    shared.chmod(0o640)
    with pytest.raises(KeyFileError, match="chmod 600"):
        load_key(shared)


def test_keyed_hash_depends_on_key_value_and_purpose() -> None:
    a, b = os.urandom(32), os.urandom(32)
    assert keyed_hash(a, "O1") == keyed_hash(a, "O1")
    assert keyed_hash(a, "O1") != keyed_hash(b, "O1")
    assert keyed_hash(a, "O1") != keyed_hash(a, "O2")
    assert keyed_hash(a, "O1", purpose="erasure") != keyed_hash(a, "O1", purpose="offender")
