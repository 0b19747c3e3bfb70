#include "validateconfig.h"

#include "config/datadir.h"

namespace pocket::app {

int runValidateConfig(const QString& dataDir, QTextStream& out, QTextStream& err)
{
    const DataDirResult loaded = loadDataDirectory(dataDir);
    if (!loaded) {
        int errors = 0;
        int warnings = 0;
        for (const ConfigIssue& issue : loaded.error()) {
            err << (issue.isWarning ? "warning: " : "error: ") << issue.toString() << "\n";
            (issue.isWarning ? warnings : errors) += 1;
        }
        err << errors << (errors == 1 ? " error" : " errors") << ", " << warnings
            << (warnings == 1 ? " warning" : " warnings")
            << ": pocket-mesh would not start with this data directory\n";
        err.flush();
        return 1;
    }
    out << QString::fromUtf8(renderMaskedDataDir(*loaded));
    out.flush();
    for (const ConfigIssue& issue : loaded->warnings)
        err << "warning: " << issue.toString() << "\n";
    int keys = 0;
    for (const ServicerNode& node : loaded->nodes)
        keys += int(node.keys.size());
    err << "configuration OK: " << loaded->nodes.size() << " servicer node(s), " << keys << " key(s), "
        << loaded->chains.size() << " chain(s), " << loaded->warnings.size() << " warning(s)\n";
    err.flush();
    return 0;
}

} // namespace pocket::app
