// pocket-mesh-headless: the mesh node as a daemon (thin executable over meshcore, STYLE 1).
#include "cli.h"

int main(int argc, char** argv)
{
    return pocket::app::runCli(argc, argv);
}
