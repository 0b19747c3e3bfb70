#pragma once
// Guard against test functions that compile but never run. Qt 6.4.2's moc mis-tokenises some raw string
// literals inside a class body (e.g. ones holding `//` or escaped quotes) and silently drops every slot after
// them; QTest runs only what moc registered, so CTest still reports success. A test calls testSlotMismatch()
// in initTestCase with the names it declares, written out by hand (not derived through moc):
//     const QString why = test::testSlotMismatch(this, {"a", "b"});
//     QVERIFY2(why.isEmpty(), qPrintable(why));
// Header-only so it needs no change to the meshtestsupport library's source list.
#include <QMetaMethod>
#include <QMetaObject>
#include <QObject>
#include <QString>
#include <QStringList>

namespace pocket::test {

// The test functions QTest would run for `testObject`, in declaration order: private slots without
// parameters, minus initTestCase/cleanupTestCase/init/cleanup and the *_data providers (QTest's own filter).
inline QStringList registeredTestSlots(const QObject* testObject)
{
    static const QStringList hooks{QStringLiteral("initTestCase"), QStringLiteral("cleanupTestCase"),
                                   QStringLiteral("init"), QStringLiteral("cleanup")};
    QStringList names;
    const QMetaObject* mo = testObject->metaObject();
    for (int i = 0; i < mo->methodCount(); ++i) {
        const QMetaMethod m = mo->method(i);
        if (m.methodType() != QMetaMethod::Slot || m.access() != QMetaMethod::Private
            || m.parameterCount() != 0)
            continue;
        const QString name = QString::fromLatin1(m.name());
        if (hooks.contains(name) || name.endsWith(QLatin1String("_data")))
            continue;
        names << name;
    }
    return names;
}

// Empty if the registered test functions are exactly `expected` (any order); otherwise a message giving both
// counts and naming each missing (declared, not registered by moc) and unexpected (registered, unlisted) one.
inline QString testSlotMismatch(const QObject* testObject, const QStringList& expected)
{
    const QStringList registered = registeredTestSlots(testObject);
    QStringList missing;
    for (const QString& name : expected)
        if (!registered.contains(name))
            missing << name;
    QStringList unexpected;
    for (const QString& name : registered)
        if (!expected.contains(name))
            unexpected << name;
    if (missing.isEmpty() && unexpected.isEmpty() && registered.size() == expected.size())
        return {};
    return QStringLiteral("%1 test slots registered by moc, %2 expected; missing (check moc, e.g. raw "
                          "strings in the class body): [%3]; not in the expected list: [%4]")
        .arg(registered.size())
        .arg(expected.size())
        .arg(missing.join(QLatin1String(", ")), unexpected.join(QLatin1String(", ")));
}

} // namespace pocket::test
