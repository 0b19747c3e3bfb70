#pragma once

namespace pocket::app {

// Entry point shared by pocket-mesh-headless and the GUI's command-line mode.
// Sub-commands: start-mesh, validate-config, version. Returns the process exit code.
int runCli(int argc, char** argv);

} // namespace pocket::app
