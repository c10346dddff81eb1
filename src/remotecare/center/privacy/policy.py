"""The privacy policy as data: ``policy.yaml`` beside this module, or an operator's file."""

from __future__ import annotations

from pathlib import Path

import yaml

from remotecare.center.privacy.rules import Policy, PolicyInvalid

__all__ = ["DEFAULT_POLICY_FILE", "load_policy"]

DEFAULT_POLICY_FILE = Path(__file__).resolve().parent / "policy.yaml"


def load_policy(path: Path = DEFAULT_POLICY_FILE) -> Policy:
    """The policy in ``path``; ``PolicyInvalid`` if it cannot be read or is malformed."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyInvalid(f"cannot read the privacy policy {path}: {exc}") from exc
    return Policy.from_mapping(data)
