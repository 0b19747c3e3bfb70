#include "validateconfig.h"

namespace pocket::app {

int runValidateConfig(const QString& dataDir, QTextStream& out, QTextStream& err)
{
    err << "error: validate-config is being written (issue 2)\n";
    return 1;
}

} // namespace pocket::app
