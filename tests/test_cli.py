"""The command line as a whole: every subcommand answers bad arguments with one line, exit 2."""

import pytest

from linrbp.cli import COMMANDS, main


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_unknown_option_is_one_line_and_exit_2(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--no-such-option"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"linrbp {command}: error:")
    assert "--no-such-option" in err or "required" in err  # a missing argument is named first


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_explains_itself(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    assert len(capsys.readouterr().out.splitlines()) > 3


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().err
