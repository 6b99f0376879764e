; Inno Setup script: the Windows installer of Engram, from the folder the PyInstaller build leaves
; in dist\Engram. A per-user install by default (no administrator needed; the setup offers an
; all-users install too), a Start-menu shortcut, an optional desktop shortcut and an optional
; PATH entry for engram-cli. Uninstalling removes the program, its login entry and its PATH entry;
; the user's data (%LOCALAPPDATA%\Engram) stays.
;   build: iscc /DAppVersion=0.1.0 packaging\windows\engram.iss   (packaging/build-windows.ps1 does it)
; Written from the Inno Setup documentation; it has not been run: this project's machines are Linux.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif

[Setup]
AppId={{7D3A2C8E-5B1F-4E6A-9C0D-2F8B4A6E1D35}
AppName=Engram
AppVersion={#AppVersion}
AppVerName=Engram {#AppVersion}
AppPublisher=Engram developers
DefaultDirName={autopf}\Engram
DefaultGroupName=Engram
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir=..\..\dist
OutputBaseFilename=Engram-{#AppVersion}-setup
SetupIconFile=..\..\build\icons\engram.ico
UninstallDisplayIcon={app}\Engram.exe
UninstallDisplayName=Engram
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ChangesEnvironment=yes
CloseApplications=yes

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "addtopath"; Description: "Add engram-cli to PATH (for the command line)"; GroupDescription: "Command line:"; Flags: unchecked

[Files]
Source: "..\..\dist\Engram\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\Engram"; Filename: "{app}\Engram.exe"; AppUserModelID: "org.engram.Engram"; Comment: "A private, encrypted memory of what you see on your screen"
Name: "{autodesktop}\Engram"; Filename: "{app}\Engram.exe"; Tasks: desktopicon

[Registry]
Root: HKCU; Subkey: "Environment"; ValueType: expandsz; ValueName: "Path"; ValueData: "{olddata};{app}"; Tasks: addtopath; Check: NotOnPath(ExpandConstant('{app}'))

[Run]
Filename: "{app}\Engram.exe"; Description: "{cm:LaunchProgram,Engram}"; Flags: nowait postinstall skipifsilent

[Code]
const
  RunKey = 'Software\Microsoft\Windows\CurrentVersion\Run';
  EnvKey = 'Environment';

function NotOnPath(Dir: string): Boolean;
var
  Path: string;
begin
  if not RegQueryStringValue(HKCU, EnvKey, 'Path', Path) then
    Result := True
  else
    Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Path) + ';') = 0;
end;

procedure RemoveFromPath(Dir: string);
var
  Path: string;
  At: Integer;
begin
  if not RegQueryStringValue(HKCU, EnvKey, 'Path', Path) then
    Exit;
  Path := ';' + Path + ';';
  At := Pos(';' + Uppercase(Dir) + ';', Uppercase(Path));
  if At = 0 then
    Exit;
  Delete(Path, At, Length(Dir) + 1);
  Path := Copy(Path, 2, Length(Path) - 2);
  RegWriteExpandStringValue(HKCU, EnvKey, 'Path', Path);
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if CurUninstallStep = usPostUninstall then
  begin
    { The login entry Settings wrote (app/autostart/registry.py) would start a program that is gone. }
    RegDeleteValue(HKCU, RunKey, 'Engram');
    RegDeleteValue(HKCU, 'Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run', 'Engram');
    RemoveFromPath(ExpandConstant('{app}'));
  end;
end;
