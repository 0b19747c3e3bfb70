#pragma once
#include <QMainWindow>

namespace pocket::gui {

// For now: version and build information. The dashboard (servicers, sessions, queue depth, live metrics)
// arrives in its own issue and talks to the core only through the admin API (STYLE 2).
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
};

} // namespace pocket::gui
