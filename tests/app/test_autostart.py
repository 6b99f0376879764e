"""Starting at login: the XDG autostart file Settings, onboarding and `engram autostart` write
and remove (in the config home the root conftest gives each test), and the macOS LaunchAgent."""

from __future__ import annotations

import os
import plistlib
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from app import autostart, firstrun, runtime
from app.autostart import AutostartError
from app.autostart.launchd import LaunchAgent
from app.autostart.xdg import XdgAutostart, quote
from app.cli import main
from app.paths import Paths
from assets import ASSETS

PACKAGED = runtime.Install(runtime.FROZEN, Path("/opt/engram"), ("/opt/engram/engram",))


@pytest.fixture
def entry() -> Path:
    return Path(os.environ["XDG_CONFIG_HOME"]) / "autostart" / "engram.desktop"


def test_the_installed_build_starts_itself_in_the_tray(tmp_path):
    assert autostart.login_command(Paths.resolve(None), PACKAGED) == ["/opt/engram/engram", "app", "--hidden"]
    assert autostart.login_command(Paths(tmp_path / "my data"), PACKAGED) == [
        "/opt/engram/engram", "--data-dir", str(tmp_path / "my data"), "app", "--hidden"]
    folder = tmp_path / "autostart"
    XdgAutostart(folder).enable(autostart.login_command(None, PACKAGED), Path("/opt/engram/engram.svg"))
    assert (folder / "engram.desktop").read_text() == (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Version=1.0\n"
        "Name=Engram\n"
        "Comment=Your private memory of what you see on screen; starts in the tray\n"
        "Exec=/opt/engram/engram app --hidden\n"
        "TryExec=/opt/engram/engram\n"
        "Icon=/opt/engram/engram.svg\n"
        "Terminal=false\n"
        "Categories=Utility;\n"
        "X-GNOME-Autostart-enabled=true\n")
    assert (folder / "engram.desktop").stat().st_mode & 0o777 == 0o644


def test_cli_switches_it_on_for_a_source_install_and_off_again(tmp_path, entry):
    home = tmp_path / "data dir"
    runner = CliRunner()
    result = runner.invoke(main, ["--data-dir", str(home), "autostart", "on"])
    assert result.exit_code == 0, result.output
    assert result.output == f"Engram starts when you log in ({entry}).\n"
    script = Path(sys.executable).parent / "engram"  # this virtualenv's console script
    lines = entry.read_text().splitlines()
    assert f'Exec={script} --data-dir "{home}" app --hidden' in lines
    assert f"TryExec={script}" in lines and f"Icon={ASSETS / 'icons' / 'engram.svg'}" in lines
    assert runner.invoke(main, ["autostart"]).output.startswith("Engram starts when you log in")
    result = runner.invoke(main, ["autostart", "off"])
    assert result.output == "Engram does not start when you log in.\n" and not entry.exists()
    assert runner.invoke(main, ["autostart", "off"]).exit_code == 0  # nothing to remove is no error


def test_a_data_directory_named_by_engram_home_is_named_in_the_entry(tmp_path, entry, monkeypatch):
    monkeypatch.setenv("ENGRAM_HOME", str(tmp_path / "elsewhere"))  # at login nobody sets it
    assert CliRunner().invoke(main, ["autostart", "on"]).exit_code == 0
    assert f"--data-dir {tmp_path / 'elsewhere'} app --hidden" in entry.read_text()
    assert autostart.login_command(Paths.platform_default(), PACKAGED) == ["/opt/engram/engram", "app", "--hidden"]


def test_an_entry_the_desktop_switched_off_counts_as_off(entry):
    autostart.set_enabled(True)
    assert autostart.enabled()
    entry.write_text(entry.read_text() + "Hidden=true\n")
    assert not autostart.enabled()


def test_exec_arguments_are_quoted_as_the_desktop_entry_spec_says():
    assert quote("/opt/engram/engram") == "/opt/engram/engram"
    assert quote("/home/sam/My Data") == '"/home/sam/My Data"'
    assert quote('/tmp/a "b" $HOME\\x') == '"/tmp/a \\"b\\" \\$HOME\\\\x"'
    assert quote("/tmp/100%") == "/tmp/100%%"


def test_an_unwritable_config_folder_is_a_clear_error(tmp_path):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the folder should be")
    with pytest.raises(AutostartError, match=f"cannot write {blocked / 'autostart' / 'engram.desktop'}"):
        XdgAutostart(blocked / "autostart").enable(["/opt/engram/engram"], Path("/x.svg"))


def test_onboarding_writes_the_entry_when_asked(tmp_path, entry):
    from tests.conftest import FAST_KDF

    paths = Paths(tmp_path / "d")
    firstrun.create(paths, firstrun.FirstRun("a long pass phrase", start_at_login=False), FAST_KDF).close()
    assert not entry.exists()
    other = Paths(tmp_path / "e")
    firstrun.create(other, firstrun.FirstRun("a long pass phrase", start_at_login=True), FAST_KDF).close()
    assert f'--data-dir {other.root} app --hidden' in entry.read_text()


def test_the_macos_login_item_is_a_launch_agent_that_runs_once_at_login(tmp_path):
    agent = LaunchAgent(tmp_path)
    app = "/Applications/Engram.app/Contents/MacOS/Engram"
    agent.enable([app, "app", "--hidden"], Path("unused"))
    assert plistlib.loads((tmp_path / "org.engram.Engram.plist").read_bytes()) == {
        "Label": "org.engram.Engram", "ProgramArguments": [app, "app", "--hidden"], "RunAtLoad": True,
        "KeepAlive": False, "ProcessType": "Interactive", "LimitLoadToSessionType": "Aqua"}
    assert agent.enabled()
    agent.disable()
    assert not agent.enabled() and list(tmp_path.iterdir()) == []


def test_a_frozen_build_names_its_own_executable(monkeypatch):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    install = runtime.current()
    assert install.kind == "frozen" and install.command == (str(Path(sys.executable).absolute()),)
