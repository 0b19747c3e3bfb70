#include "cli.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QTextStream>

#include "config/meshconfig.h"
#include "protocol/crypto.h"
#include "startmesh.h"
#include "validateconfig.h"

namespace pocket::app {

namespace {

QString defaultDataDir()
{
    // Same default as `pocket start-mesh` (PROTOCOL §12.1).
    return QDir::home().filePath(QStringLiteral(".pocket"));
}

void printUsage(QTextStream& err)
{
    err << "usage: pocket-mesh-headless <command> [options]\n"
           "commands:\n"
           "  start-mesh --datadir DIR [--simulateRelay]   run the mesh node\n"
           "  validate-config --datadir DIR                check a data directory and print the resolved config\n"
           "  version                                      print the version\n";
    err.flush();
}

} // namespace

int runCli(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("pocket-mesh"));
    QCoreApplication::setApplicationVersion(QStringLiteral(POCKET_MESH_VERSION));
    QTextStream out(stdout);
    QTextStream err(stderr);

    QStringList args = QCoreApplication::arguments();
    if (args.size() < 2) {
        printUsage(err);
        return 2;
    }
    const QString command = args.takeAt(1);

    QCommandLineParser parser;
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    const QCommandLineOption dataDirOption(QStringLiteral("datadir"), QStringLiteral("data directory"),
                                           QStringLiteral("DIR"), defaultDataDir());
    const QCommandLineOption simulateOption(QStringLiteral("simulateRelay"),
                                            QStringLiteral("serve /v1/client/sim"));
    parser.addOption(dataDirOption);
    parser.addOption(simulateOption);
    if (!parser.parse(args)) {
        err << "error: " << parser.errorText() << "\n";
        printUsage(err);
        return 2;
    }
    if (!crypto::init()) {
        err << "error: libsodium failed to initialise\n";
        return 1;
    }

    if (command == QLatin1String("version") || command == QLatin1String("--version")) {
        out << "pocket-mesh " << POCKET_MESH_VERSION << " (Qt " << qVersion() << ")\n";
        return 0;
    }
    if (command == QLatin1String("config-table")) {
        // Regenerates docs/config.md from the declaration table (core/config/meshconfig.cpp).
        out << configMarkdownDocument();
        return 0;
    }
    if (command == QLatin1String("validate-config"))
        return runValidateConfig(parser.value(dataDirOption), out, err);
    if (command == QLatin1String("start-mesh"))
        return runStartMesh(parser.value(dataDirOption), parser.isSet(simulateOption), err);
    err << "error: unknown command '" << command << "'\n";
    printUsage(err);
    return 2;
}

} // namespace pocket::app
