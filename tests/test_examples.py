"""The four example sites, each running its own test suite as a user would run it
(`cd examples/NAME && pytest`): a real server on 127.0.0.1, Chromium with jivo_mock, sign-in,
identity, sign-out, the webhook receiver. Each in a subprocess: their settings, conftests and
servers are their own."""

from __future__ import annotations

import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
#: Each example's tests, by name: the suite must run all of them.
EXPECTED = {
    "django_site": {
        "test_anonymous_visitors_get_the_widget_without_identity[chromium]",
        "test_signed_in_customers_are_identified[chromium]",
        "test_signing_out_clears_the_chat_history[chromium]",
        "test_no_widget_on_the_sign_in_page[chromium]",
        "test_chat_accepted_gets_the_crm_card",
        "test_the_setup_passes_djangos_checks",
    },
    "flask_site": {
        "test_anonymous_visitors_get_the_widget_without_identity[chromium]",
        "test_signed_in_customers_are_identified[chromium]",
        "test_signing_out_clears_the_chat_history[chromium]",
        "test_no_widget_on_the_sign_in_page[chromium]",
        "test_chat_accepted_gets_the_crm_card",
    },
    "static_site": {
        "test_anonymous_visitors_get_the_widget_under_a_hash_csp[chromium]",
        "test_signed_in_customers_are_identified[chromium]",
        "test_signing_out_clears_the_chat_history[chromium]",
        "test_chat_accepted_gets_the_crm_card",
    },
}
EXPECTED["fastapi_site"] = EXPECTED["flask_site"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_suite_passes(name: str, tmp_path: Path) -> None:
    report = tmp_path / "report.xml"
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}"],
        cwd=EXAMPLES / name,
        capture_output=True,
        text=True,
        timeout=600,
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    outcomes = {
        case.attrib["name"]: [c.tag for c in case if c.tag in ("failure", "error", "skipped")]
        for case in ET.parse(report).iter("testcase")
    }
    assert set(outcomes) == EXPECTED[name]
    assert all(not tags for tags in outcomes.values()), outcomes  # no failure, error or skip
    print(f"{name}: {len(outcomes)} tests in {elapsed:.1f} s")
