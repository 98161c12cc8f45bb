"""What ``make chromium`` (``--ensure``) decides to run, for each kind of machine.

The decisions are unit-tested here without installing anything; the real apt-get install is
exercised by CI on a fresh Debian machine.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import pytest

from jivo_widget.testing.chromium import InstallFacts, install_plan

ROOT_ON_DEBIAN = InstallFacts(chromium_usable=False, is_root=True, on_debian=True, has_apt_get=True)


def test_root_on_debian_without_chromium_installs_debian_chromium() -> None:
    plan = install_plan(ROOT_ON_DEBIAN)
    assert plan.commands == (("apt-get", "update"), ("apt-get", "install", "-y", "chromium"))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"chromium_usable": True}, "a usable Chromium is already installed"),
        ({"is_root": False}, "not root: run `sudo apt-get install chromium`"),
        ({"on_debian": False}, "not a Debian system"),
        ({"has_apt_get": False}, "apt-get not found"),
        ({"is_root": False, "chromium_usable": True}, "a usable Chromium is already installed"),
    ],
)
def test_nothing_is_run_unless_root_on_debian_without_chromium(
    change: dict[str, bool], reason: str
) -> None:
    plan = install_plan(dataclasses.replace(ROOT_ON_DEBIAN, **change))
    assert plan.commands == ()
    assert plan.reason.startswith(reason)


def test_facts_of_this_machine() -> None:
    facts = InstallFacts.of_this_machine(chromium_usable=True)
    assert facts.chromium_usable is True
    assert facts.is_root is (os.geteuid() == 0)
    assert facts.on_debian is Path("/etc/debian_version").is_file()
    assert facts.has_apt_get is (shutil.which("apt-get") is not None)
