// The admin API (issue 5 item 5, PROTOCOL §6.2, DECISIONS 8) against a real mesh process and pocket-localnet:
// every route's auth (missing, wrong, right; the received value never echoed), 404/405/400, and each JSON
// shape, compared with what the data directory and the emulator hold.
#include <QSet>
#include <QTest>

#include "admintest.h"

using namespace pocket;
using namespace pocket::test;

namespace {

struct Route
{
    QByteArray method;
    QString route;
};

const QList<Route>& allRoutes()
{
    static const QList<Route> routes{{"GET", "health"},  {"POST", "chains"},  {"POST", "servicers"},
                                     {"POST", "updatechains"}, {"POST", "stop"}, {"GET", "nodes"},
                                     {"GET", "sessions"}, {"GET", "outbox"},  {"GET", "metrics"},
                                     {"GET", "logs"},     {"POST", "reload"}};
    return routes;
}

QSet<QString> keysOf(const QJsonObject& o)
{
    const QStringList k = o.keys();
    return QSet<QString>(k.begin(), k.end());
}

} // namespace

class TestAdminApi : public QObject
{
    Q_OBJECT

private:
    MeshNet m_net;
    qint64 m_entropy = 7100000;

    bool serve(const TestKey& servicer, int n, QString* why)
    {
        const RelayBatch batch = relaysFor(servicer, n, m_entropy);
        m_entropy += n;
        for (int i = 0; i < n; ++i) {
            const QString e = checkRelaySuccess(m_net.postRelay(batch.bodies.at(i)), batch.proofHashes.at(i).toLatin1(),
                                                servicer.publicKeyHex);
            if (!e.isEmpty()) {
                *why = e;
                return false;
            }
        }
        return true;
    }

    static void expectBadRequest(const Answer& a, const QString& mentions)
    {
        QCOMPARE(a.status, 400);
        QCOMPARE(a.header("Content-Type"), QByteArray("application/json; charset=UTF-8"));
        const QJsonObject o = a.json();
        QCOMPARE(o.value("code").toInt(), 400);
        QVERIFY2(o.value("message").toString().contains(mentions), a.body.constData());
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(crypto::init());
        QString error;
        QVERIFY2(m_net.startLocalnet({"--servicers", "2"}, &error), qPrintable(error));
        QVERIFY2(m_net.startMesh(&error), qPrintable(error));
    }

    void cleanupTestCase()
    {
        QString why;
        QVERIFY2(m_net.shutdown(&why), qPrintable(why));
    }

    // DECISIONS 8: missing or wrong Authorization is a 401 on every route, stop included; the value sent is
    // never written back (the reference echoes it).
    void everyRouteNeedsTheToken()
    {
        const QByteArray token = m_net.meshToken();
        QVERIFY(token.size() >= 8);
        QByteArray nearMiss = token;
        nearMiss[nearMiss.size() - 1] = nearMiss.back() == 'x' ? 'y' : 'x';
        const QList<QByteArray> wrong{QByteArray(), "probe-" + token, "Bearer " + token, nearMiss, token.left(token.size() - 1),
                                      "secret-probe-value-1234"};
        for (const Route& r : allRoutes()) {
            for (const QByteArray& sent : wrong) {
                const Answer a = admin(m_net, r.method, r.route, "[]", sent.isEmpty() ? QByteArray() : sent);
                const QString where = QStringLiteral("%1 %2 with \"%3\"").arg(QString::fromLatin1(r.method), r.route,
                                                                            QString::fromLatin1(sent));
                QVERIFY2(a.status == 401, qPrintable(where + ": " + QString::number(a.status) + " " + a.error));
                QCOMPARE(a.body, QByteArray("{\"code\":401,\"message\":\"wrong Authorization\"}\n"));
                QCOMPARE(a.header("Content-Type"), QByteArray("application/json; charset=UTF-8"));
                if (!sent.isEmpty()) QVERIFY2(!a.body.contains(sent), qPrintable(where));
                QVERIFY2(!a.body.contains(token), qPrintable(where));
            }
        }
        QVERIFY2(m_net.meshRunning(), "a refused stop stopped the mesh");
        const QByteArray log = m_net.meshLog();
        QVERIFY2(!log.contains(token), "the mesh token appears in the log");
        QVERIFY2(!log.contains("secret-probe-value-1234"), "a received Authorization value appears in the log");
    }

    void unknownRoutesAndWrongMethods()
    {
        const Answer unknown = admin(m_net, "GET", "nope");
        QCOMPARE(unknown.status, 404);
        QCOMPARE(unknown.body, QByteArray("404 page not found\n"));
        // The reference's methods (PROTOCOL §6.2): chains/servicers are POST, health is GET.
        const QList<std::pair<Route, QByteArray>> wrong{{{"GET", "chains"}, "OPTIONS, POST"},
                                                        {{"POST", "health"}, "GET, OPTIONS"},
                                                        {{"DELETE", "nodes"}, "GET, OPTIONS"},
                                                        {{"GET", "stop"}, "OPTIONS, POST"},
                                                        {{"GET", "reload"}, "OPTIONS, POST"}};
        for (const auto& [r, allow] : wrong) {
            const Answer a = admin(m_net, r.method, r.route);
            QVERIFY2(a.status == 405, qPrintable(r.route + QString::number(a.status)));
            QCOMPARE(a.header("Allow"), allow);
        }
        QVERIFY(m_net.meshRunning());
    }

    void badQueries()
    {
        expectBadRequest(admin(m_net, "GET", "sessions?limit=0"), "\"limit\"");
        expectBadRequest(admin(m_net, "GET", "sessions?limit=abc"), "got \"abc\"");
        expectBadRequest(admin(m_net, "GET", "sessions?limit=1001"), "from 1 to 1000");
        expectBadRequest(admin(m_net, "GET", "sessions?offset=-1"), "\"offset\"");
        expectBadRequest(admin(m_net, "GET", "sessions?limit=5&limit=6"), "given twice");
        expectBadRequest(admin(m_net, "GET", "sessions?page=2"), "unknown query parameter \"page\"");
        expectBadRequest(admin(m_net, "GET", "nodes?verbose=1"), "unknown query parameter");
        expectBadRequest(admin(m_net, "GET", "logs?level=Z"), "\"level\"");
        expectBadRequest(admin(m_net, "GET", "logs?max=0"), "\"max\"");
        expectBadRequest(admin(m_net, "GET", "outbox?x"), "unknown query parameter");
    }

    void healthShape()
    {
        const Answer a = admin(m_net, "GET", "health");
        QCOMPARE(a.status, 200);
        QCOMPARE(a.header("Content-Type"), QByteArray("application/json; charset=utf-8"));
        QVERIFY(a.body.endsWith("}\n"));
        const QJsonObject h = a.json();
        // The reference's three keys keep their meaning (PROTOCOL §6.2).
        QCOMPARE(h.value("full_nodes").toInt(), 1);
        QCOMPARE(h.value("servicers").toInt(), 2);
        QVERIFY(!h.value("version").toString().isEmpty());
        QVERIFY(h.value("ready").toBool());
        QCOMPARE(h.value("nodes").toArray().first().toObject().value("url").toString(), m_net.emulatorUrl());
    }

    // POST chains: the reference's raw array in Go struct order, credentials included, no newline.
    void chainsShape()
    {
        const Answer a = admin(m_net, "POST", "chains");
        QCOMPARE(a.status, 200);
        QCOMPARE(a.header("Content-Type"), QByteArray("application/json; charset=UTF-8"));
        QVERIFY(a.body.startsWith("[{\"id\":\""));
        QVERIFY(!a.body.endsWith('\n'));
        const QJsonArray file = jsonArray(readAll(m_net.dataDir() + "/chains.json"));
        const QJsonArray got = jsonArray(a.body);
        QCOMPARE(got.size(), file.size());
        for (int i = 0; i < got.size(); ++i) {
            const QJsonObject g = got.at(i).toObject();
            QCOMPARE(keysOf(g), (QSet<QString>{"id", "url", "basic_auth"}));
            QCOMPARE(g.value("id"), file.at(i).toObject().value("id"));
            QCOMPARE(g.value("url"), file.at(i).toObject().value("url"));
            QCOMPARE(keysOf(g.value("basic_auth").toObject()), (QSet<QString>{"username", "password"}));
        }
        QVERIFY(a.body.contains("\"url\":\"" + m_net.chainUrl().toUtf8() + "\",\"basic_auth\":{\"username\":"));
    }

    void servicersShape()
    {
        const Answer a = admin(m_net, "POST", "servicers");
        QCOMPARE(a.status, 200);
        QCOMPARE(a.header("Content-Type"), QByteArray("application/json; charset=UTF-8"));
        QSet<QString> got;
        for (const QJsonValue& v : jsonArray(a.body)) {
            QCOMPARE(keysOf(v.toObject()), QSet<QString>{"address"});
            got.insert(v.toObject().value("address").toString());
        }
        QSet<QString> hosted;
        for (const QJsonValue& v : m_net.emulatorAdmin("GET", "/admin/servicers").value("servicers").toArray())
            hosted.insert(v.toObject().value("address").toString());
        QCOMPARE(got, hosted);
        QCOMPARE(got, (QSet<QString>{addressOf(localnetServicer(0)), addressOf(localnetServicer(1))}));
    }

    void nodesShape()
    {
        QJsonObject node;
        QVERIFY2(waitFor([&] {
            node = admin(m_net, "GET", "nodes").json().value("nodes").toArray().first().toObject();
            return node.value("status").toString() == "ok" && node.value("connectivity").toBool();
        }, 20000), QJsonDocument(node).toJson().constData());
        QCOMPARE(node.value("url").toString(), m_net.emulatorUrl());
        QCOMPARE(node.value("name").toString(), QStringLiteral("localnet"));
        QCOMPARE(node.value("height").toInteger(), m_net.info().value("height").toInteger());
        QCOMPARE(node.value("blocks_per_session").toInt(), m_net.info().value("blocks_per_session").toInt());
        QCOMPARE(node.value("servicers").toInt(), 2);
        QVERIFY(node.value("available").toBool());
        QCOMPARE(node.value("serving_error").toString(), QString());
        QVERIFY(node.value("last_check_ms").toInteger() > 0);
        QVERIFY(node.value("last_check_age_ms").toInteger() >= 0);
        QCOMPARE(node.value("wrong_chains").toArray(), QJsonArray());
        QCOMPARE(node.value("wrong_servicers").toArray(), QJsonArray());
        QCOMPARE(node.value("retired_only").toBool(), false);
    }

    // Sessions (paged), the outbox and the metrics after relays for both servicers.
    void sessionsOutboxMetrics()
    {
        QString why;
        QVERIFY2(serve(localnetServicer(0), 3, &why), qPrintable(why));
        QVERIFY2(serve(localnetServicer(1), 2, &why), qPrintable(why));
        QVERIFY2(waitFor([&] { return m_net.evidence().value("total_accepted").toInt() == 5; }, 30000),
                 qPrintable(m_net.meshLogTail()));

        QJsonObject all;
        QVERIFY2(waitFor([&] {
            // The servicer's evidence may count a relay before the mesh has read the notification's answer.
            all = admin(m_net, "GET", "sessions").json();
            qint64 deliveredSoFar = 0;
            for (const QJsonValue& s : all.value("sessions").toArray()) {
                if (s.toObject().value("state").toString() != "valid") return false;
                deliveredSoFar += s.toObject().value("relays_delivered").toInteger();
            }
            return all.value("total").toInt() == 2 && deliveredSoFar == 5;
        }, 20000), QJsonDocument(all).toJson().constData());
        QCOMPARE(all.value("offset").toInt(), 0);
        QCOMPARE(all.value("limit").toInt(), 100);
        QSet<QString> servicers;
        qint64 delivered = 0;
        for (const QJsonValue& v : all.value("sessions").toArray()) {
            const QJsonObject s = v.toObject();
            QCOMPARE(keysOf(s), (QSet<QString>{"app_public_key", "chain", "created_ms", "error", "key", "node_url",
                                               "relays_admitted", "relays_delivered", "relays_in_flight",
                                               "remaining_relays", "servicer_address", "servicer_public_key",
                                               "session_height", "state", "validation_attempts"}));
            QCOMPARE(s.value("chain").toString(), QStringLiteral("0021"));
            QCOMPARE(s.value("app_public_key").toString().toLatin1(), vectorKeys().app.publicKeyHex);
            QCOMPARE(s.value("session_height").toInteger(), vectorKeys().sessionHeight);
            QVERIFY(s.value("error").isNull());
            QVERIFY(s.value("remaining_relays").toInteger() > 0);
            QCOMPARE(s.value("node_url").toString(), m_net.emulatorUrl());
            servicers.insert(s.value("servicer_address").toString());
            delivered += s.value("relays_delivered").toInteger();
        }
        QCOMPARE(servicers, (QSet<QString>{addressOf(localnetServicer(0)), addressOf(localnetServicer(1))}));
        QCOMPARE(delivered, 5);

        // Pages: one at a time, in a stable order, then past the end.
        const QJsonObject p0 = admin(m_net, "GET", "sessions?offset=0&limit=1").json();
        const QJsonObject p1 = admin(m_net, "GET", "sessions?offset=1&limit=1").json();
        const QJsonObject p2 = admin(m_net, "GET", "sessions?offset=2&limit=1").json();
        QCOMPARE(p0.value("sessions").toArray().size(), 1);
        QCOMPARE(p1.value("sessions").toArray().size(), 1);
        QCOMPARE(p2.value("sessions").toArray().size(), 0);
        QCOMPARE(p2.value("total").toInt(), 2);
        QCOMPARE(p0.value("sessions").toArray().first().toObject().value("key"),
                 all.value("sessions").toArray().at(0).toObject().value("key"));
        QCOMPARE(p1.value("sessions").toArray().first().toObject().value("key"),
                 all.value("sessions").toArray().at(1).toObject().value("key"));

        QJsonObject outbox;
        QVERIFY2(waitFor([&] {
            outbox = admin(m_net, "GET", "outbox").json();
            return outbox.value("removed_by_reason").toObject().value("delivered").toInt() == 5;
        }, 20000), QJsonDocument(outbox).toJson().constData());
        QCOMPARE(outbox.value("depth").toInt(), 0);
        QCOMPARE(outbox.value("delivered").toInt(), 5);
        QCOMPARE(outbox.value("in_flight").toInt(), 0);
        QCOMPARE(outbox.value("oldest_age_ms").toInt(), 0);
        QCOMPARE(keysOf(outbox.value("removed_by_reason").toObject()),
                 (QSet<QString>{"delivered", "rejected", "session_invalid", "expired", "key_removed", "undecodable"}));
        QCOMPARE(outbox.value("database").toObject().value("stored").toInt(), 5);
        QVERIFY(outbox.value("database").toObject().value("open").toBool());
        const QJsonArray nodes = outbox.value("nodes").toArray();
        QCOMPARE(nodes.size(), 1);
        QCOMPARE(nodes.first().toObject().value("url").toString(), m_net.emulatorUrl());
        QCOMPARE(nodes.first().toObject().value("name").toString(), QStringLiteral("localnet"));
        QCOMPARE(nodes.first().toObject().value("delivered").toInt(), 5);
        QCOMPARE(nodes.first().toObject().value("removed_by_reason").toObject().value("delivered").toInt(), 5);
        QCOMPARE(nodes.first().toObject().value("depth").toInt(), 0);
        QCOMPARE(nodes.first().toObject().value("oldest_pending_age_ms").toInt(), 0);

        // The metrics snapshot is the Prometheus exposition as JSON; the scrape endpoint agrees.
        const QJsonObject m = admin(m_net, "GET", "metrics").json();
        QVERIFY(m.value("available").toBool());
        QCOMPARE(m.value("totals").toObject().value("relays").toInt(), 5);
        QCOMPARE(m.value("totals").toObject().value("notifications").toInt(), 5); // the notifier's observer
        QJsonObject relayCount;
        for (const QJsonValue& f : m.value("families").toArray())
            if (f.toObject().value("name").toString() == "pocketcore_geo_mesh_relay_count") relayCount = f.toObject();
        QCOMPARE(relayCount.value("type").toString(), QStringLiteral("counter"));
        double served = 0, notified = 0;
        for (const QJsonValue& s : relayCount.value("samples").toArray()) {
            const QJsonObject labels = s.toObject().value("labels").toObject();
            if (labels.value("is_notify").toString() == "false") served += s.toObject().value("value").toDouble();
            else notified += s.toObject().value("value").toDouble();
            QCOMPARE(labels.value("chain_id").toString(), QStringLiteral("0021"));
        }
        QCOMPARE(served, 5.0);
        QCOMPARE(notified, 5.0);
        const QString scrapeUrl =
            QStringLiteral("http://127.0.0.1:%1/metrics").arg(m_net.info().value("metrics_port").toInt());
        const Answer scrape = m_net.request("GET", scrapeUrl);
        QCOMPARE(scrape.status, 200);
        QVERIFY(scrape.body.contains("pocketcore_geo_mesh_relay_count{"));
    }

    void logsShape()
    {
        const QByteArray token = m_net.meshToken();
        const Answer a = admin(m_net, "GET", "logs?max=50");
        QCOMPARE(a.status, 200);
        const QJsonObject o = a.json();
        QVERIFY(!a.body.contains(token));
        const QJsonArray lines = o.value("lines").toArray();
        if (!o.value("available").toBool()) {
            QCOMPARE(lines.size(), 0); // the process did not give the node its log ring
            return;
        }
        QVERIFY(lines.size() > 0 && lines.size() <= 50);
        bool listening = false;
        for (const QJsonValue& v : lines) {
            const QJsonObject l = v.toObject();
            QVERIFY(!l.value("text").toString().contains('\n'));
            listening = listening || l.value("message").toString().contains("listening on port");
        }
        QVERIFY2(listening || lines.size() == 50, a.body.constData());
        const QJsonObject warnings = admin(m_net, "GET", "logs?level=W").json();
        for (const QJsonValue& v : warnings.value("lines").toArray())
            QVERIFY(QStringList({"W", "E"}).contains(v.toObject().value("level").toString()));
        const qint64 last = o.value("last_seq").toInteger();
        const QJsonObject after = admin(m_net, "GET", QStringLiteral("logs?after=%1&level=E").arg(last)).json();
        for (const QJsonValue& v : after.value("lines").toArray()) QVERIFY(v.toObject().value("seq").toInteger() > last);
    }

    // updatechains replaces the table as a whole or not at all, and persists it (DECISIONS 9: atomically).
    void updateChains()
    {
        const QString file = m_net.dataDir() + "/chains.json";
        const QByteArray before = readAll(file);
        const QByteArray chainsBefore = admin(m_net, "POST", "chains").body;
        const QByteArray url = m_net.chainUrl().toUtf8();

        const Answer badId = admin(m_net, "POST", "updatechains",
                                   "[{\"id\":\"0021\",\"url\":\"" + url + "\"},{\"id\":\"zz\",\"url\":\"" + url + "\"}]");
        QCOMPARE(badId.status, 400);
        QCOMPARE(badId.body, QByteArray("{\"code\":400,\"message\":\"invalid ID: zz in network identifier in json\"}\n"));
        expectBadRequest(admin(m_net, "POST", "updatechains", "[{\"id\":\"0021\""), "invalid JSON");
        expectBadRequest(admin(m_net, "POST", "updatechains", "[{\"id\":\"0021\",\"url\":\"ftp://x\"}]"), "url");
        expectBadRequest(admin(m_net, "POST", "updatechains", "{\"id\":\"0021\"}"), "expected a JSON array");
        QCOMPARE(readAll(file), before);
        QCOMPARE(admin(m_net, "POST", "chains").body, chainsBefore);

        const QByteArray table = "[{\"id\":\"0021\",\"url\":\"" + url + "\"},{\"id\":\"0005\",\"url\":\"" + url
                                 + "\",\"basic_auth\":{\"username\":\"u\",\"password\":\"p\"}}]";
        const Answer ok = admin(m_net, "POST", "updatechains", table);
        QCOMPARE(ok.status, 200);
        QCOMPARE(ok.body, "{\"0005\":{\"basic_auth\":{\"password\":\"p\",\"username\":\"u\"},\"id\":\"0005\",\"url\":\"" + url
                              + "\"},\"0021\":{\"basic_auth\":{\"password\":\"\",\"username\":\"\"},\"id\":\"0021\",\"url\":\""
                              + url + "\"}}\n");
        const QJsonArray written = jsonArray(readAll(file));
        QCOMPARE(written.size(), 2);
        QCOMPARE(written.at(1).toObject().value("id").toString(), QStringLiteral("0005"));
        QCOMPARE(written.at(1).toObject().value("basic_auth").toObject().value("password").toString(), QStringLiteral("p"));
        QCOMPARE(jsonArray(admin(m_net, "POST", "chains").body), written);
        QVERIFY(!QFileInfo::exists(file + ".swp"));

        // The new table is in use: 0001 is gone (26), 0021 is still served.
        VectorKeys keys = vectorKeys();
        Payload p;
        p.data = "{\"jsonrpc\":\"2.0\",\"method\":\"eth_chainId\",\"params\":[],\"id\":1}";
        p.method = "POST";
        const Relay gone = craftRelay(keys, p, keys.sessionHeight, ++m_entropy, "0001");
        QCOMPARE(m_net.postRelay(jsRelayBody(gone)).json().value("error").toObject().value("code").toInt(), 26);
        QString why;
        QVERIFY2(serve(localnetServicer(0), 1, &why), qPrintable(why));

        // Back to the original table.
        QCOMPARE(admin(m_net, "POST", "updatechains", before).status, 200);
        QCOMPARE(jsonArray(admin(m_net, "POST", "chains").body), jsonArray(before));
    }

    void reloadWithoutChanges()
    {
        const Answer a = admin(m_net, "POST", "reload");
        QCOMPARE(a.status, 200);
        const QJsonObject r = a.json();
        QVERIFY(r.value("ok").toBool());
        QVERIFY(!r.value("changed").toBool());
        QCOMPARE(r.value("reason").toString(), QStringLiteral("admin API"));
        QCOMPARE(r.value("key_count").toInt(), 2);
        QCOMPARE(r.value("keys").toObject().value("file").toString(), QStringLiteral("key/key.json"));
        QVERIFY(r.value("keys").toObject().value("applied").toBool());
        QVERIFY(r.value("chains").toObject().value("applied").toBool());
        QCOMPARE(r.value("keys_removed").toArray(), QJsonArray());
    }
};

QTEST_GUILESS_MAIN(TestAdminApi)
#include "tst_admin_api.moc"
