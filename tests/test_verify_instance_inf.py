"""verify --check NAME --instance K on an instance whose error is inf (a run that did not
converge, an invalid error value): one summary line, no crash on the JSON form of inf."""

from linrbp.cli import main

CLAIM_FILE = '''
import linrbp

linrbp.register(linrbp.Claim(
    id="my-inf-instance", title="A check whose instances all fail", reference="test",
    statement="nothing", checks=[linrbp.Check("never", 1e-8, lambda rng: {"x": 1.0},
                                              error=lambda inst: float("inf"), samples=3)]))
'''


def test_instance_with_infinite_error_prints_its_summary(tmp_path, capsys):
    f = tmp_path / "inf_claim.py"
    f.write_text(CLAIM_FILE)
    assert main(["verify", "--claims", str(f), "--check", "never", "--instance", "2", "--workers", "1"]) == 1
    captured = capsys.readouterr()
    assert "instance 2: error inf > tolerance 1.0e-08" in captured.out, captured.out
    assert "Unknown format code" not in captured.err and "error:" not in captured.err, captured.err
