"""Issue 15's "Done when" motion figures, from benchmarks/brick_fidelity.py (not timed: it is the
simulated outcome that is checked, never how fast it ran)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def figures() -> dict:
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "brick_fidelity.py"), "--json"], cwd=ROOT,
                         capture_output=True, text=True, timeout=600, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_straight_returns_with_its_profile_and_stops_on_the_mark(figures):
    assert figures["straight_profile_s"] == pytest.approx(3.0)  # 500 mm at 200 mm/s, 400 mm/s^2
    assert abs(figures["straight_time_s"] / figures["straight_profile_s"] - 1) <= 0.10
    assert abs(figures["straight_error_mm"]) <= 5.0  # ground truth
    assert abs(figures["straight_skid_mm"]) <= 5.0  # ground truth against the wheels' own count


def test_turn_360_by_ground_truth(figures):
    assert abs(figures["turn_time_s"] / figures["turn_profile_s"] - 1) <= 0.10
    assert abs(figures["turn_error_deg"]) <= 3.0


def test_run_angle_overshoot_and_final_error(figures):
    assert abs(figures["run_angle_time_s"] / figures["run_angle_profile_s"] - 1) <= 0.10
    assert figures["run_angle_overshoot_deg"] <= 2.0  # encoder degrees
    assert abs(figures["run_angle_final_error_deg"]) <= 1.0
