"""What the running agent loads: neither aiohttp nor cryptography nor pysnmp (issue 17,
point 4: its memory), until it enrols, renews, runs the doctor or reads an SNMPv3 printer."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("aiohttp", "cryptography", "pysnmp", "pyasn1")


def test_the_agents_command_line_and_cycle_load_none_of_the_heavy_libraries() -> None:
    code = (
        "import json, sys\n"
        "import remotecare.agent.cli, remotecare.agent.runner\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(done.stdout) == []
