"""The head revision the center states for a quick start is the migration scripts' own."""

from __future__ import annotations

from remotecare.center.kernel.schema import HEAD_REVISION, head_revision


def test_the_stated_head_is_the_newest_migration() -> None:
    assert head_revision() == HEAD_REVISION, (
        "a migration was added: set HEAD_REVISION in center/kernel/schema.py to its revision"
    )
