// Hot reload of keys and chains (issue 5 item 3, PROTOCOL §12.4, DECISIONS 9) with a real mesh process:
// files saved by rename are picked up by the watcher, invalid files keep the last good state (one log line per
// problem), a removed key stops being served while its stored relays are still notified, an added node is
// probed and checked, a removed node stays followed until its relays are notified, interval 0 turns the
// automatic reload of that file off.
#include <QSet>
#include <QTest>

#include "admintest.h"

using namespace pocket;
using namespace pocket::test;

class TestAdminReload : public QObject
{
    Q_OBJECT

private:
    qint64 m_entropy = 8200000;

    static QByteArray keyFileJson(const QJsonArray& nodes) { return QJsonDocument(nodes).toJson(); }

    // The localnet's keys (as written in its key file), captured before a test rewrites the file.
    static QJsonArray localnetKeys(MeshNet& net) { return keyFile(net).first().toObject().value("keys").toArray(); }

    // A key file with key i on node urls[i] (one node per distinct URL, in order); an empty URL leaves key i out.
    static QJsonArray keysOnNodes(const QJsonArray& keys, const QStringList& urls)
    {
        QJsonArray nodes;
        QStringList seen;
        for (int i = 0; i < urls.size(); ++i) {
            if (urls.at(i).isEmpty()) continue;
            const int at = int(seen.indexOf(urls.at(i)));
            if (at < 0) {
                seen.append(urls.at(i));
                nodes.append(QJsonObject{{"name", QStringLiteral("node%1").arg(seen.size())},
                                         {"url", urls.at(i)},
                                         {"keys", QJsonArray{keys.at(i)}}});
            } else {
                QJsonObject n = nodes.at(at).toObject();
                QJsonArray k = n.value("keys").toArray();
                k.append(keys.at(i));
                n.insert("keys", k);
                nodes.replace(at, n);
            }
        }
        return nodes;
    }

    QString localhostUrl(MeshNet& net) const
    {
        QString url = net.emulatorUrl();
        return url.replace(QStringLiteral("127.0.0.1"), QStringLiteral("localhost"));
    }

    RelayBatch serveAll(MeshNet& net, int servicer, int n, QString* why)
    {
        const RelayBatch b = relaysFor(localnetServicer(servicer), n, m_entropy);
        m_entropy += n;
        for (int i = 0; i < n && why->isEmpty(); ++i)
            *why = checkRelaySuccess(net.postRelay(b.bodies.at(i)), b.proofHashes.at(i).toLatin1(),
                                     localnetServicer(servicer).publicKeyHex);
        return b;
    }

    QString refusedAsUnknown(MeshNet& net, int servicer)
    {
        const RelayBatch b = relaysFor(localnetServicer(servicer), 1, m_entropy++);
        return checkRelayError(net.postRelay(b.bodies.first()), 1, "sdk", "failed to find correct servicer PK");
    }

    static void failNotifications(MeshNet& net, bool on)
    {
        if (on)
            net.emulatorAdmin("POST", "/admin/fail", {{"status", 500}, {"ms", 3600000}, {"path", "/v1/private/mesh/relay"}});
        else
            net.emulatorAdmin("POST", "/admin/fail", {{"ms", 0}, {"count", 0}});
    }

    static QSet<QString> evidenceOf(MeshNet& net)
    {
        const QStringList all = evidenceProofHashes(net.evidence());
        return QSet<QString>(all.begin(), all.end());
    }

    static QJsonObject nodeView(MeshNet& net, const QString& url)
    {
        for (const QJsonValue& v : admin(net, "GET", "nodes").json().value("nodes").toArray())
            if (v.toObject().value("url").toString() == url) return v.toObject();
        return {};
    }

    static void finish(MeshNet& net)
    {
        QString why;
        QVERIFY2(net.shutdown(&why), qPrintable(why));
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(crypto::init()); }

    // A key removed from the file (saved by rename) is no longer served; the relays it already answered, held
    // in the outbox while notifications fail, are all delivered afterwards (not dropped as key_removed).
    void removedKeyStillNotified()
    {
        MeshNet net;
        QString error;
        QVERIFY2(net.startLocalnet({"--servicers", "2"}, &error), qPrintable(error));
        QVERIFY2(net.startMesh(&error), qPrintable(error));
        failNotifications(net, true);
        const RelayBatch removed = serveAll(net, 1, 4, &error);
        const RelayBatch kept = serveAll(net, 0, 2, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QVERIFY2(waitFor([&] { return outboxDepth(net) == 6; }, 10000), qPrintable(net.meshLogTail()));

        const QJsonArray keys = localnetKeys(net);
        QVERIFY(saveByRename(net.dataDir(), "key/key.json", keyFileJson(keysOnNodes(keys, {net.emulatorUrl(), {}}))));
        QVERIFY2(waitFor([&] { return servedAddresses(net) == QStringList{addressOf(localnetServicer(0))}; }, 10000),
                 qPrintable(net.meshLogTail()));
        QVERIFY(net.meshLog().contains("keys reloaded (file change): 0 added, 1 removed"));
        const QString refused = refusedAsUnknown(net, 1);
        QVERIFY2(refused.isEmpty(), qPrintable(refused));
        QCOMPARE(nodeView(net, net.emulatorUrl()).value("retired_servicers").toInt(), 1);
        QCOMPARE(nodeView(net, net.emulatorUrl()).value("servicers").toInt(), 1);
        QCOMPARE(admin(net, "GET", "health").json().value("servicers").toInt(), 1);

        failNotifications(net, false);
        QVERIFY2(waitFor([&] { return outboxDepth(net) == 0; }, 60000), qPrintable(net.meshLogTail()));
        const QSet<QString> ev = evidenceOf(net);
        for (const QString& h : removed.proofHashes + kept.proofHashes) QVERIFY2(ev.contains(h), qPrintable(h));
        const QJsonObject perServicer = net.evidence().value("per_servicer").toObject();
        QCOMPARE(perServicer.value(addressOf(localnetServicer(1))).toInt(), 4);
        const QJsonObject reasons = admin(net, "GET", "outbox").json().value("removed_by_reason").toObject();
        QCOMPARE(reasons.value("key_removed").toInt(), 0);
        QCOMPARE(reasons.value("delivered").toInt(), 6);
        // Once nothing is stored for it, the retired key is forgotten; it stays unserved.
        QVERIFY2(waitFor([&] { return nodeView(net, net.emulatorUrl()).value("retired_servicers").toInt() == 0; }, 15000),
                 qPrintable(net.meshLogTail()));
        QVERIFY(refusedAsUnknown(net, 1).isEmpty());
        finish(net);
    }

    // The same across a restart: relays stored for key 1 on node b; while the mesh is stopped, node b and key
    // 1 leave the key file. The restarted mesh still notifies them to node b (followed until they are
    // delivered) instead of dropping them as key_removed, and does not serve key 1.
    void removedWhileStoppedStillNotified()
    {
        MeshNet net;
        QString error;
        QVERIFY2(net.startLocalnet({"--servicers", "2"}, &error), qPrintable(error));
        const QString a = net.emulatorUrl();
        const QString b = localhostUrl(net);
        const QJsonArray keys = localnetKeys(net);
        QVERIFY(writeFile(net.dataDir(), "key/key.json", keyFileJson(keysOnNodes(keys, {a, b}))));
        QVERIFY2(net.startMesh(&error), qPrintable(error));
        // Ready means one node can serve; key 1 lives on node b, which may not have had its first /check yet.
        QVERIFY2(waitFor([&] { return nodeView(net, b).value("available").toBool(); }, 20000), qPrintable(net.meshLogTail()));
        failNotifications(net, true);
        const RelayBatch stored = serveAll(net, 1, 3, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QVERIFY2(waitFor([&] { return outboxDepth(net) == 3; }, 10000), qPrintable(net.meshLogTail()));
        QVERIFY2(net.stopMesh(&error), qPrintable(error));

        QVERIFY(writeFile(net.dataDir(), "key/key.json", keyFileJson(keysOnNodes(keys, {a, {}}))));
        QVERIFY2(net.startMesh(&error), qPrintable(error));
        QCOMPARE(admin(net, "GET", "health").json().value("replayed").toInt(), 3);
        QCOMPARE(servedAddresses(net), QStringList{addressOf(localnetServicer(0))});
        QVERIFY(refusedAsUnknown(net, 1).isEmpty());
        QVERIFY2(waitFor([&] { return nodeView(net, b).value("retired_only").toBool(); }, 10000),
                 qPrintable(net.meshLogTail()));

        failNotifications(net, false);
        QVERIFY2(waitFor([&] { return outboxDepth(net) == 0; }, 60000), qPrintable(net.meshLogTail()));
        const QSet<QString> ev = evidenceOf(net);
        for (const QString& h : stored.proofHashes) QVERIFY2(ev.contains(h), qPrintable(h));
        QCOMPARE(admin(net, "GET", "outbox").json().value("removed_by_reason").toObject().value("key_removed").toInt(), 0);
        QVERIFY2(waitFor([&] { return nodeView(net, b).isEmpty(); }, 15000), qPrintable(net.meshLogTail()));
        finish(net);
    }

    // Broken key and chains files (saved by rename, deleted) never replace the running state; every problem
    // is one log line naming the file, line and element; /reload reports them with 422.
    void invalidFilesKeepTheLastGoodState()
    {
        MeshNet net;
        QString error;
        QVERIFY2(net.startLocalnet({"--servicers", "2"}, &error), qPrintable(error));
        QVERIFY2(net.startMesh(&error), qPrintable(error));
        const QByteArray goodKeys = readAll(net.dataDir() + "/key/key.json");
        const QByteArray goodChains = readAll(net.dataDir() + "/chains.json");
        const QStringList served = servedAddresses(net);
        QCOMPARE(served.size(), 2);

        QVERIFY(saveByRename(net.dataDir(), "key/key.json", goodKeys.left(goodKeys.size() / 2)));
        QVERIFY2(waitFor([&] { return net.meshLog().contains("key/key.json:"); }, 10000), qPrintable(net.meshLogTail()));
        QVERIFY(net.meshLog().contains("- keeping the last good key file (2 servicer keys)"));
        QCOMPARE(servedAddresses(net), served);

        // One bad key among good ones: the element path is named, nothing is applied.
        QJsonArray withBadKey = jsonArray(goodKeys);
        QJsonObject n0 = withBadKey.first().toObject();
        QJsonArray keys = n0.value("keys").toArray();
        keys.replace(1, QStringLiteral("00ff"));
        n0.insert("keys", keys);
        withBadKey.replace(0, n0);
        QVERIFY(saveByRename(net.dataDir(), "key/key.json", keyFileJson(withBadKey)));
        QVERIFY2(waitFor([&] { return net.meshLog().contains("key/key.json:") && net.meshLog().contains("[0].keys[1]"); }, 10000),
                 qPrintable(net.meshLogTail()));
        QCOMPARE(servedAddresses(net), served);
        QVERIFY(!net.meshLog().contains("00ff"));

        const Answer r = admin(net, "POST", "reload");
        QCOMPARE(r.status, 422);
        const QJsonObject report = r.json();
        QVERIFY(!report.value("ok").toBool());
        QCOMPARE(report.value("key_count").toInt(), 2);
        const QJsonObject keysReport = report.value("keys").toObject();
        QVERIFY(!keysReport.value("applied").toBool());
        const QJsonObject firstError = keysReport.value("errors").toArray().first().toObject();
        QCOMPARE(firstError.value("file").toString(), QStringLiteral("key/key.json"));
        QCOMPARE(firstError.value("key").toString(), QStringLiteral("[0].keys[1]"));
        QVERIFY(firstError.value("line").toInt() > 0);
        QString why;
        serveAll(net, 0, 1, &why);
        serveAll(net, 1, 1, &why);
        QVERIFY2(why.isEmpty(), qPrintable(why));

        // chains.json: an invalid id, then no file at all.
        const QByteArray chainsBefore = admin(net, "POST", "chains").body;
        QVERIFY(saveByRename(net.dataDir(), "chains.json", "[{\"id\":\"zz\",\"url\":\"http://127.0.0.1:1\"}]"));
        QVERIFY2(waitFor([&] { return net.meshLog().contains("- keeping the last good chains (2 chains)"); }, 10000),
                 qPrintable(net.meshLogTail()));
        QCOMPARE(admin(net, "POST", "chains").body, chainsBefore);
        QVERIFY(QFile::remove(net.dataDir() + "/chains.json"));
        const QJsonObject missing = admin(net, "POST", "reload").json();
        QVERIFY(missing.value("chains").toObject().value("errors").toArray().first().toObject().value("message")
                    .toString().contains("file not found"));
        QCOMPARE(admin(net, "POST", "chains").body, chainsBefore);
        serveAll(net, 0, 1, &why);
        QVERIFY2(why.isEmpty(), qPrintable(why));

        // Good files again: applied, nothing changed, 200.
        QVERIFY(saveByRename(net.dataDir(), "key/key.json", goodKeys));
        QVERIFY(saveByRename(net.dataDir(), "chains.json", goodChains));
        const Answer ok = admin(net, "POST", "reload");
        QCOMPARE(ok.status, 200);
        QVERIFY(ok.json().value("ok").toBool());
        QVERIFY(!ok.json().value("changed").toBool());
        QVERIFY(net.meshRunning());
        finish(net);
    }

    // A node added to the key file is probed (?verify=true) and checked at once and its key served; a node
    // removed from it stops serving its key but stays followed until its stored relays are delivered.
    void addedNodeCheckedRemovedNodeDrained()
    {
        MeshNet net;
        QString error;
        QVERIFY2(net.startLocalnet({"--servicers", "2"}, &error), qPrintable(error));
        const QString a = net.emulatorUrl();
        const QString b = localhostUrl(net); // the same emulator under another node URL: another node
        const QJsonArray keys = localnetKeys(net);
        QVERIFY(writeFile(net.dataDir(), "key/key.json", keyFileJson(keysOnNodes(keys, {a, {}}))));
        QVERIFY2(net.startMesh(&error), qPrintable(error));
        QCOMPARE(servedAddresses(net), QStringList{addressOf(localnetServicer(0))});
        const int verifyBefore = net.emulatorAdmin("GET", "/admin/state").value("requests").toObject()
                                     .value("verify").toInt(-1);

        QVERIFY(saveByRename(net.dataDir(), "key/key.json", keyFileJson(keysOnNodes(keys, {a, b}))));
        QJsonObject added;
        QVERIFY2(waitFor([&] {
            added = nodeView(net, b);
            return added.value("status").toString() == "ok" && added.value("connectivity").toBool();
        }, 20000), qPrintable(QJsonDocument(added).toJson() + net.meshLogTail()));
        QCOMPARE(added.value("servicers").toInt(), 1);
        QCOMPARE(added.value("name").toString(), QStringLiteral("node2"));
        QVERIFY(added.value("last_check_ms").toInteger() > 0);
        QCOMPARE(admin(net, "GET", "health").json().value("full_nodes").toInt(), 2);
        if (verifyBefore >= 0) // the emulator counts ?verify=true probes: three more for the new node
            QVERIFY(net.emulatorAdmin("GET", "/admin/state").value("requests").toObject().value("verify").toInt()
                    >= verifyBefore + 3);
        QString why;
        serveAll(net, 1, 1, &why);
        QVERIFY2(why.isEmpty(), qPrintable(why));
        // That relay reaches node b first (else it would join the three held below).
        QVERIFY2(waitFor([&] { return outboxDepth(net) == 0; }, 10000), qPrintable(net.meshLogTail()));

        // Relays of key 1 wait for node b; node b leaves the file.
        failNotifications(net, true);
        const RelayBatch waiting = serveAll(net, 1, 3, &why);
        QVERIFY2(why.isEmpty(), qPrintable(why));
        QVERIFY2(waitFor([&] { return outboxDepth(net) == 3; }, 10000), qPrintable(net.meshLogTail()));
        QVERIFY(saveByRename(net.dataDir(), "key/key.json", keyFileJson(keysOnNodes(keys, {a, {}}))));
        QVERIFY2(waitFor([&] { return nodeView(net, b).value("retired_only").toBool(); }, 10000),
                 qPrintable(net.meshLogTail()));
        QCOMPARE(nodeView(net, b).value("retired_servicers").toInt(), 1);
        QCOMPARE(nodeView(net, b).value("servicers").toInt(), 0);
        QVERIFY(refusedAsUnknown(net, 1).isEmpty());
        const QJsonObject reload = admin(net, "POST", "reload").json();
        QCOMPARE(reload.value("node_count").toInt(), 1);

        failNotifications(net, false);
        QVERIFY2(waitFor([&] { return outboxDepth(net) == 0; }, 60000), qPrintable(net.meshLogTail()));
        const QSet<QString> ev = evidenceOf(net);
        for (const QString& h : waiting.proofHashes) QVERIFY2(ev.contains(h), qPrintable(h));
        QCOMPARE(admin(net, "GET", "outbox").json().value("removed_by_reason").toObject().value("key_removed").toInt(), 0);
        // Then node b is no longer followed.
        QVERIFY2(waitFor([&] { return nodeView(net, b).isEmpty(); }, 15000), qPrintable(net.meshLogTail()));
        QCOMPARE(admin(net, "GET", "health").json().value("full_nodes").toInt(), 1);
        finish(net);
    }

    // chains.json saved by rename is applied; with chains_hot_reload_interval 0 it is not watched (the keys
    // still are), and POST /reload still applies it.
    void chainsReloadAndIntervalZero()
    {
        MeshNet net;
        QString error;
        QVERIFY2(net.startLocalnet({"--servicers", "2"}, &error), qPrintable(error));
        QVERIFY2(net.patchMeshConfig({{"chains_hot_reload_interval", 0}}, &error), qPrintable(error));
        QVERIFY2(net.startMesh(&error), qPrintable(error));
        const QJsonArray keys = localnetKeys(net);
        const QByteArray url = net.chainUrl().toUtf8();
        const QByteArray threeChains = "[{\"id\":\"0021\",\"url\":\"" + url + "\"},{\"id\":\"0001\",\"url\":\"" + url
                                       + "\"},{\"id\":\"0005\",\"url\":\"" + url + "\"}]";
        QVERIFY(saveByRename(net.dataDir(), "chains.json", threeChains));
        // A key change after it is seen by the watcher; by then a watched chains file would have been too.
        QVERIFY(saveByRename(net.dataDir(), "key/key.json", keyFileJson(keysOnNodes(keys, {net.emulatorUrl(), {}}))));
        QVERIFY2(waitFor([&] { return servedAddresses(net).size() == 1; }, 10000), qPrintable(net.meshLogTail()));
        QCOMPARE(jsonArray(admin(net, "POST", "chains").body).size(), 2);
        QVERIFY(!net.meshLog().contains("chains reloaded"));

        const QJsonObject r = admin(net, "POST", "reload").json();
        QCOMPARE(r.value("chains_added").toArray(), QJsonArray{"0005"});
        QCOMPARE(r.value("chain_count").toInt(), 3);
        QCOMPARE(jsonArray(admin(net, "POST", "chains").body).size(), 3);
        QVERIFY(net.meshLog().contains("chains reloaded (admin API): added [0005], removed [], updated []"));
        finish(net);
    }

    // With the default intervals the chains file is watched: a rename-save is applied within moments.
    void chainsWatched()
    {
        MeshNet net;
        QString error;
        QVERIFY2(net.startLocalnet({}, &error), qPrintable(error));
        QVERIFY2(net.startMesh(&error), qPrintable(error));
        const QByteArray url = net.chainUrl().toUtf8();
        QVERIFY(saveByRename(net.dataDir(), "chains.json",
                             "[{\"id\":\"0021\",\"url\":\"" + url + "\",\"basic_auth\":{\"username\":\"u\",\"password\":\"p\"}}]"));
        QVERIFY2(waitFor([&] { return jsonArray(admin(net, "POST", "chains").body).size() == 1; }, 10000),
                 qPrintable(net.meshLogTail()));
        QVERIFY(net.meshLog().contains("chains reloaded (file change): added [], removed [0001], updated [0021]"));
        QVERIFY(!net.meshLog().contains("\"p\"")); // no credential in the log
        QString why;
        serveAll(net, 0, 1, &why);
        QVERIFY2(why.isEmpty(), qPrintable(why));
        finish(net);
    }
};

QTEST_GUILESS_MAIN(TestAdminReload)
#include "tst_admin_reload.moc"
