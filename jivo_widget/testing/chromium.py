"""Find a Chromium that Playwright can launch, without ``playwright install``.

Playwright's own browser download needs its CDN, which sandboxes and CI machines often cannot
reach; a distribution's Chromium (Debian's ``chromium``) works with the same Playwright. Precedence:
the ``--jivo-chromium`` option, the ``jivo_chromium`` ini key, the ``JIVO_CHROMIUM`` environment
variable, Playwright's own download if it is installed, then a system Chromium.

``python -m jivo_widget.testing.chromium --ensure`` (``make chromium``) exits 0 when one is
usable; otherwise, as root on Debian, it installs Debian's ``chromium`` with apt-get.
``--print`` prints the path.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from jivo_widget.errors import ChromiumNotUsable

__all__ = [
    "ENV_VAR",
    "LAUNCH_FLAGS",
    "ChromiumChoice",
    "ChromiumNotUsable",
    "InstallFacts",
    "InstallPlan",
    "chromium_version",
    "find_chromium",
    "install_plan",
    "launch_options",
    "main",
]

#: Environment variable naming a Chromium executable.
ENV_VAR = "JIVO_CHROMIUM"

#: Flags for a headless Chromium in containers (each flag says why).
LAUNCH_FLAGS = (
    "--no-sandbox",  # containers and root cannot use Chromium's sandbox
    "--disable-gpu",  # headless, no GPU
    "--disable-background-networking",  # hermetic runs: no background requests
    "--disable-component-update",  # no component downloads at start-up
    "--disable-sync",  # no sign-in or sync traffic
)

#: System executables tried in order, by name on PATH and then by well-known location.
SYSTEM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
SYSTEM_PATHS = (
    "/usr/bin/chromium",
    "/usr/lib/chromium/chromium",
    "/snap/bin/chromium",
    "/opt/google/chrome/chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
)

Source = Literal["option", "ini", "env", "playwright", "system"]

_SOURCE_NAMES: dict[Source, str] = {
    "option": "--jivo-chromium",
    "ini": "the jivo_chromium ini key",
    "env": f"${ENV_VAR}",
    "playwright": "Playwright's download",
    "system": "the system",
}


@dataclass(frozen=True)
class ChromiumChoice:
    """The Chromium to use. ``path`` is ``None`` when Playwright's own download is used (then
    Playwright finds it itself and no ``executable_path`` is passed)."""

    path: str | None
    source: Source
    location: str

    @property
    def described_source(self) -> str:
        """Where the choice came from, for humans."""
        return _SOURCE_NAMES[self.source]


@functools.cache
def chromium_version(path: str) -> str | None:
    """``path --version`` (e.g. ``"Chromium 156.0.8078.108"``), or ``None`` if it does not run."""
    try:
        done = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    first_line = done.stdout.strip().splitlines()[0] if done.stdout.strip() else ""
    if done.returncode != 0 or not any(ch.isdigit() for ch in first_line):
        return None
    # Debian's wrapper appends "built on Debian ..."; the version is what matters.
    return first_line.split(" built on ")[0].strip()


def _usable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK) and chromium_version(path) is not None


def _browsers_dir(environ: Mapping[str, str]) -> Path:
    configured = environ.get("PLAYWRIGHT_BROWSERS_PATH")
    if configured == "0":  # Playwright's "inside the package" mode
        import playwright  # optional dependency, only for this mode

        return Path(playwright.__file__).parent / "driver" / "package" / ".local-browsers"
    if configured:
        return Path(configured)
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "ms-playwright"
    if sys.platform == "win32":
        return Path(environ.get("LOCALAPPDATA", Path.home())) / "ms-playwright"
    return Path(environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ms-playwright"


def playwright_download(environ: Mapping[str, str] | None = None) -> str | None:
    """The directory of Playwright's own headless Chromium if it is fully installed, else None.

    Reads the revision from the installed Playwright's ``browsers.json`` and checks the
    ``INSTALLATION_COMPLETE`` marker Playwright writes, without starting Playwright's driver.
    """
    env = os.environ if environ is None else environ
    try:
        import playwright  # optional dependency

        manifest = Path(playwright.__file__).parent / "driver" / "package" / "browsers.json"
        browsers = json.loads(manifest.read_text("utf-8"))["browsers"]
        revision = next(b["revision"] for b in browsers if b["name"] == "chromium-headless-shell")
    except (ImportError, OSError, ValueError, KeyError, StopIteration):
        return None
    directory = _browsers_dir(env) / f"chromium_headless_shell-{revision}"
    return str(directory) if (directory / "INSTALLATION_COMPLETE").is_file() else None


def system_chromium() -> str | None:
    """The first usable Chromium (or Chrome) installed on the system, or None."""
    candidates = [shutil.which(name) for name in SYSTEM_NAMES] + list(SYSTEM_PATHS)
    seen: set[str] = set()
    for candidate in candidates:
        if candidate and candidate not in seen:
            seen.add(candidate)
            if _usable(candidate):
                return candidate
    return None


def find_chromium(
    *,
    option: str | None = None,
    ini: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> ChromiumChoice | None:
    """The Chromium to use, by precedence; ``None`` when there is none.

    Raises :class:`ChromiumNotUsable` when an explicitly configured path (option, ini key or
    environment variable) does not run: a typo must not silently fall back to another browser.
    """
    env = os.environ if environ is None else environ
    explicit: list[tuple[Source, str | None]] = [
        ("option", option),
        ("ini", ini),
        ("env", env.get(ENV_VAR)),
    ]
    for source, value in explicit:
        if value:
            path = shutil.which(value) or value
            if not _usable(path):
                raise ChromiumNotUsable(
                    f"Chromium from {_SOURCE_NAMES[source]} is not usable: {value!r} "
                    "does not exist or does not run (`<path> --version` failed)"
                )
            return ChromiumChoice(path=path, source=source, location=path)
    download = playwright_download(env)
    if download:
        return ChromiumChoice(path=None, source="playwright", location=download)
    found = system_chromium()
    if found:
        return ChromiumChoice(path=found, source="system", location=found)
    return None


NOT_FOUND_HELP = (
    "No usable Chromium found. Install one (Debian/Ubuntu: `sudo apt-get install chromium`, "
    f"or run `make chromium` as root) or set {ENV_VAR} to a Chromium executable."
)


def launch_options(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Keyword arguments for Playwright's ``chromium.launch(**launch_options())`` outside pytest
    (``unittest``, Django's ``StaticLiveServerTestCase``): the Chromium the plugin would use
    (``$JIVO_CHROMIUM``, Playwright's download, then a system Chromium) and its container flags.

    Raises :class:`ChromiumNotUsable` when there is none, or ``$JIVO_CHROMIUM`` does not run.
    """
    choice = find_chromium(environ=environ)
    if choice is None:
        raise ChromiumNotUsable(NOT_FOUND_HELP)
    options: dict[str, Any] = {"args": list(LAUNCH_FLAGS)}
    if choice.path is not None:
        options["executable_path"] = choice.path
    return options


def _describe(choice: ChromiumChoice) -> str:
    version = chromium_version(choice.path) if choice.path else None
    return f"{choice.location} ({version or 'Playwright build'}, from {choice.described_source})"


@dataclass(frozen=True, kw_only=True)
class InstallFacts:
    """What decides whether ``--ensure`` may install Chromium on this machine."""

    chromium_usable: bool
    is_root: bool
    on_debian: bool
    has_apt_get: bool

    @classmethod
    def of_this_machine(cls, *, chromium_usable: bool) -> InstallFacts:
        """The facts of the running machine."""
        return cls(
            chromium_usable=chromium_usable,
            is_root=hasattr(os, "geteuid") and os.geteuid() == 0,
            on_debian=Path("/etc/debian_version").is_file(),
            has_apt_get=shutil.which("apt-get") is not None,
        )


@dataclass(frozen=True)
class InstallPlan:
    """The commands to run (in order, each must succeed), or none and why."""

    commands: tuple[tuple[str, ...], ...]
    reason: str


APT_COMMANDS = (("apt-get", "update"), ("apt-get", "install", "-y", "chromium"))


def install_plan(facts: InstallFacts) -> InstallPlan:
    """Decide what ``--ensure`` runs: Debian's ``chromium`` via apt-get, only as root on Debian
    and only when no Chromium is usable yet."""
    if facts.chromium_usable:
        return InstallPlan((), "a usable Chromium is already installed")
    if not facts.on_debian:
        return InstallPlan((), "not a Debian system: cannot install Chromium automatically")
    if not facts.has_apt_get:
        return InstallPlan((), "apt-get not found: cannot install Chromium automatically")
    if not facts.is_root:
        # Never sudo on the user's behalf: a password prompt inside `make test` surprises.
        return InstallPlan(
            (), "not root: run `sudo apt-get install chromium` or `sudo make chromium`"
        )
    return InstallPlan(APT_COMMANDS, "installing Debian's chromium with apt-get")


def _run_plan(plan: InstallPlan) -> bool:
    """Run ``plan``'s commands; True if all succeeded (False, with a message, otherwise)."""
    print(f"No usable Chromium; {plan.reason}", file=sys.stderr)
    if not plan.commands:
        return False
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in plan.commands:
        if subprocess.run(list(command), env=env, check=False).returncode != 0:
            print(f"`{' '.join(command)}` failed", file=sys.stderr)
            return False
    chromium_version.cache_clear()
    return True


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m jivo_widget.testing.chromium --ensure | --print``."""
    parser = argparse.ArgumentParser(
        prog="python -m jivo_widget.testing.chromium",
        description="Find (or, as root on Debian, install) a Chromium for the browser tests.",
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--ensure", action="store_true", help="exit 0 if a Chromium is usable")
    action.add_argument("--print", action="store_true", help="print the Chromium path")
    args = parser.parse_args(argv)
    try:
        choice = find_chromium()
        if choice is None and args.ensure:
            plan = install_plan(InstallFacts.of_this_machine(chromium_usable=False))
            if _run_plan(plan):
                choice = find_chromium()
    except ChromiumNotUsable as exc:
        print(exc, file=sys.stderr)
        return 1
    if choice is None:
        print(NOT_FOUND_HELP, file=sys.stderr)
        return 1
    print(choice.location if args.print else f"Chromium: {_describe(choice)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
