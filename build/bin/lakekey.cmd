@echo off
rem lakekey command-line tool, as shipped inside the tray app (see electron-builder.yml).
rem RunAsNode is off in the app, so this runs the bundled CLI with Node.js 20+ from LAKEKEY_NODE or PATH.
setlocal
set "LAKEKEY_CLI=%~dp0..\app.asar.unpacked\dist\main\cli\lakekey.js"
if defined LAKEKEY_NODE goto run
where node >nul 2>nul
if errorlevel 1 (
  echo lakekey: Node.js 20 or later is needed to run the lakekey command. Install it, or set LAKEKEY_NODE to node.exe. 1>&2
  exit /b 2
)
set "LAKEKEY_NODE=node"
:run
"%LAKEKEY_NODE%" "%LAKEKEY_CLI%" %*
exit /b %ERRORLEVEL%
