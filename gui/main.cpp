// pocket-mesh: the desktop dashboard. With a sub-command (start-mesh, validate-config, version) it behaves
// like pocket-mesh-headless; without one it opens the window.
#include <QApplication>

#include "cli.h"
#include "mainwindow.h"

int main(int argc, char** argv)
{
    if (argc > 1) return pocket::app::runCli(argc, argv);
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("pocket-mesh"));
    pocket::gui::MainWindow window;
    window.show();
    if (qEnvironmentVariableIsSet("POCKET_MESH_GUI_SMOKE")) // tests: prove the window comes up, then quit
        QMetaObject::invokeMethod(&app, &QApplication::quit, Qt::QueuedConnection);
    return app.exec();
}
