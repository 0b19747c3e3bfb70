#include "mainwindow.h"

#include <QFormLayout>
#include <QLabel>
#include <QSysInfo>
#include <qcustomplot.h>
#include <sodium.h>

namespace pocket::gui {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent)
{
    setWindowTitle(QStringLiteral("pocket-mesh %1").arg(QStringLiteral(POCKET_MESH_VERSION)));
    auto* central = new QWidget(this);
    auto* form = new QFormLayout(central);
    form->addRow(QStringLiteral("Version"), new QLabel(QStringLiteral(POCKET_MESH_VERSION)));
    form->addRow(QStringLiteral("Qt"), new QLabel(QString::fromLatin1(qVersion())));
    form->addRow(QStringLiteral("libsodium"), new QLabel(QString::fromLatin1(sodium_version_string())));
    form->addRow(QStringLiteral("QCustomPlot"), new QLabel(QStringLiteral(QCUSTOMPLOT_VERSION_STR)));
    form->addRow(QStringLiteral("Compiler"), new QLabel(QStringLiteral(__VERSION__)));
    form->addRow(QStringLiteral("Built"), new QLabel(QStringLiteral(__DATE__ " " __TIME__)));
    form->addRow(QStringLiteral("System"), new QLabel(QSysInfo::prettyProductName()));
    setCentralWidget(central);
}

} // namespace pocket::gui
