// The stateless relay checks of PROTOCOL §5.1 step 7 (1-4 and 8): codes, messages and order, and the AAT
// signature cache. Base relays come from the golden vectors (read at run time) and are re-signed with the
// vectors' keys when a test needs a relay that is valid up to the check under test.
#include <QJsonArray>
#include <QJsonObject>
#include <QtTest>
#include <atomic>
#include <thread>

#include "protocol/crypto.h"
#include "protocol/relay.h"
#include "protocol/relayvalidator.h"
#include "testsupport.h"

using namespace pocket;

namespace {

QByteArray utf8(const QJsonValue& v) { return v.toString().toUtf8(); }
QByteArray unhex(const QByteArray& h) { return crypto::hexDecode(h).value_or(QByteArray()); }

} // namespace

class TestRelayValidator : public QObject
{
    Q_OBJECT

private:
    Relay m_base; // a valid relay (first golden case)
    QByteArray m_appKey;
    QByteArray m_clientKey;

    // Re-signs the token and the proof (and recomputes the request hash) so the relay is valid again.
    Relay resigned(Relay r, bool fixRequestHash = true) const
    {
        if (fixRequestHash) r.proof.requestHash = requestHashHex(r.payload, r.meta);
        r.proof.aat.signature = crypto::hexEncode(crypto::sign(m_appKey, unhex(aatHashHex(r.proof.aat))));
        r.proof.signature = crypto::hexEncode(crypto::sign(m_clientKey, proofHash(r.proof)));
        return r;
    }

    static PocketError errorOf(const Result<ValidatedRelay>& v)
    {
        return v ? PocketError{QStringLiteral("none"), 0, QString()} : v.error();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(crypto::init());
        const QJsonObject root = test::goldenVectors().object();
        const QJsonObject c = root["cases"].toArray().at(0).toObject();
        QVERIFY(!c["name"].toString().startsWith("GO_MISMATCH"));
        const auto r = decodeRelay(utf8(c["relay_body"]));
        QVERIFY(r.has_value());
        m_base = *r;
        m_appKey = unhex(utf8(root["keys"].toObject()["app"].toObject()["private_key_hex"]));
        m_clientKey = unhex(utf8(root["keys"].toObject()["client"].toObject()["private_key_hex"]));
        QVERIFY(validateRelayStateless(m_base).has_value());
        QCOMPARE(resigned(m_base), m_base); // deterministic signatures
    }

    void stepsOneToFour_data()
    {
        QTest::addColumn<int>("mutation");
        QTest::addColumn<uint>("code");
        QTest::newRow("7.1 empty data and path") << 0 << 25u;
        QTest::newRow("7.1 beats everything") << 1 << 25u;
        QTest::newRow("7.2 app key not hex") << 2 << 6u;
        QTest::newRow("7.2 app key short") << 3 << 42u;
        QTest::newRow("7.2 app key empty") << 4 << 42u;
        QTest::newRow("7.3 chain empty") << 5 << 8u;
        QTest::newRow("7.3 chain not hex") << 6 << 8u;
        QTest::newRow("7.3 chain odd") << 7 << 8u;
        QTest::newRow("7.3 chain 5 bytes") << 8 << 8u;
        QTest::newRow("7.3 before 7.4") << 9 << 8u;
        QTest::newRow("7.4 upper-case hash") << 10 << 74u;
        QTest::newRow("7.4 payload changed") << 11 << 74u;
        QTest::newRow("7.4 meta changed") << 12 << 74u;
        QTest::newRow("7.4 headers null vs {}") << 13 << 74u;
        QTest::newRow("7.4 before 7.8") << 14 << 74u;
        QTest::newRow("path only is a payload") << 15 << 0u;
        QTest::newRow("chain of 4 bytes") << 16 << 0u;
    }
    void stepsOneToFour()
    {
        QFETCH(int, mutation);
        QFETCH(uint, code);
        Relay r = m_base;
        switch (mutation) {
        case 0: r.payload.data.clear(); r.payload.path.clear(); break;
        case 1:
            r.payload.data.clear();
            r.proof.aat.appPubKey = "zz";
            r.proof.blockchain.clear();
            r.proof.sessionBlockHeight = 0;
            break;
        case 2: r.proof.aat.appPubKey = "zz" + r.proof.aat.appPubKey.mid(2); break;
        case 3: r.proof.aat.appPubKey.chop(2); break;
        case 4: r.proof.aat.appPubKey.clear(); break;
        case 5: r.proof.blockchain.clear(); break;
        case 6: r.proof.blockchain = "00zz"; break;
        case 7: r.proof.blockchain = "002"; break;
        case 8: r.proof.blockchain = "0001020304"; break;
        case 9: r.proof.blockchain.clear(); r.proof.requestHash = "x"; break;
        case 10: r.proof.requestHash = r.proof.requestHash.toUpper(); break;
        case 11: r.payload.data += " "; break;
        case 12: r.meta.blockHeight += 1; break;
        case 13: r.payload.headers = HeaderMap{}; break;
        case 14: r.proof.requestHash.clear(); r.proof.entropy = -1; r.proof.signature.clear(); break;
        case 15: r.payload.data.clear(); r.payload.path = "/v1/query/height"; r = resigned(r); break;
        case 16: r.proof.blockchain = "00010203"; r = resigned(r); break;
        }
        const auto v = validatePayloadAndHash(r);
        if (code == 0) {
            QVERIFY2(v.has_value(), qPrintable(errorOf(v).toString()));
            QVERIFY(validateProof(*v).has_value());
            return;
        }
        QVERIFY(!v.has_value());
        QCOMPARE(v.error().code, code);
        QCOMPARE(v.error().codespace, QStringLiteral("pocketcore"));
        QCOMPARE(v.error().message, pocketcoreMessage(code));
        QCOMPARE(errorOf(validateRelayStateless(r)), v.error());
    }

    void stepEight_data()
    {
        QTest::addColumn<int>("mutation");
        QTest::addColumn<uint>("code");
        QTest::addColumn<QString>("message");
        const QString token = QStringLiteral("the application authentication token is invalid : ");
        QTest::newRow("a session height 0") << 0 << 60u << pocketcoreMessage(60);
        QTest::newRow("a session height negative, before b") << 1 << 60u << pocketcoreMessage(60);
        QTest::newRow("b servicer key not hex") << 2 << 6u << pocketcoreMessage(6);
        QTest::newRow("b servicer key length") << 3 << 42u << pocketcoreMessage(42);
        QTest::newRow("e entropy negative") << 4 << 29u << pocketcoreMessage(29);
        QTest::newRow("e before f") << 5 << 29u << pocketcoreMessage(29);
        QTest::newRow("f version missing") << 6 << 4u << token + "the application authentication token version is missing";
        QTest::newRow("f version unsupported") << 7 << 4u << token + "the application authentication token version is not supported";
        QTest::newRow("f client key empty") << 8 << 4u << token + "the client public key included in the AAT is not valid";
        QTest::newRow("f client key not hex") << 9 << 4u << token + PocketError::pocketcore(6).errorText();
        QTest::newRow("f client key length") << 10 << 4u << token + PocketError::pocketcore(42).errorText();
        QTest::newRow("f AAT signature wrong") << 11 << 4u << token + "the application signature on the AAT is not valid";
        QTest::newRow("f AAT signature not hex") << 12 << 4u << token + "the application signature on the AAT is not valid";
        QTest::newRow("f AAT signature short") << 13 << 4u << token + "the application signature on the AAT is not valid";
        QTest::newRow("f AAT signed by another key") << 14 << 4u << token + "the application signature on the AAT is not valid";
        QTest::newRow("g signature not hex") << 15 << 39u << pocketcoreMessage(39);
        QTest::newRow("g signature length") << 16 << 38u << pocketcoreMessage(38);
        QTest::newRow("g signature wrong") << 17 << 41u << pocketcoreMessage(41);
        QTest::newRow("g signed by the app") << 18 << 41u << pocketcoreMessage(41);
        QTest::newRow("g proof field changed after signing") << 19 << 41u << pocketcoreMessage(41);
        QTest::newRow("entropy 0 is valid") << 20 << 0u << QString();
        QTest::newRow("entropy max is valid") << 21 << 0u << QString();
        QTest::newRow("upper-case signature hex is valid") << 22 << 0u << QString();
    }
    void stepEight()
    {
        QFETCH(int, mutation);
        QFETCH(uint, code);
        QFETCH(QString, message);
        Relay r = m_base;
        switch (mutation) {
        case 0: r.proof.sessionBlockHeight = 0; r = resigned(r); break;
        case 1: r.proof.sessionBlockHeight = -5; r.proof.servicerPubKey = "zz"; r = resigned(r); break;
        case 2: r.proof.servicerPubKey = "zz" + r.proof.servicerPubKey.mid(2); r = resigned(r); break;
        case 3: r.proof.servicerPubKey += "00"; r = resigned(r); break;
        case 4: r.proof.entropy = -1; r = resigned(r); break;
        case 5: r.proof.entropy = std::numeric_limits<qint64>::min(); r.proof.aat.version.clear(); r = resigned(r); break;
        case 6: r.proof.aat.version.clear(); r = resigned(r); break;
        case 7: r.proof.aat.version = "0.0.2"; r = resigned(r); break;
        case 8: r.proof.aat.clientPubKey.clear(); r = resigned(r); break;
        case 9: r.proof.aat.clientPubKey = "z" + r.proof.aat.clientPubKey.mid(1); r = resigned(r); break;
        case 10: r.proof.aat.clientPubKey.chop(2); r = resigned(r); break;
        case 11:
            r.proof.aat.signature[0] = r.proof.aat.signature[0] == 'a' ? 'b' : 'a';
            r.proof.signature = crypto::hexEncode(crypto::sign(m_clientKey, proofHash(r.proof)));
            break;
        case 12: r.proof.aat.signature = "zz"; break;
        case 13: r.proof.aat.signature.chop(2); break;
        case 14:
            r.proof.aat.signature = crypto::hexEncode(crypto::sign(m_clientKey, unhex(aatHashHex(r.proof.aat))));
            break;
        case 15: r.proof.signature = "xyz"; break;
        case 16: r.proof.signature.chop(2); break;
        case 17: r.proof.signature[5] = r.proof.signature[5] == '0' ? '1' : '0'; break;
        case 18: r.proof.signature = crypto::hexEncode(crypto::sign(m_appKey, proofHash(r.proof))); break;
        case 19: r.proof.entropy += 1; break;
        case 20: r.proof.entropy = 0; r = resigned(r); break;
        case 21: r.proof.entropy = std::numeric_limits<qint64>::max(); r = resigned(r); break;
        case 22: r.proof.signature = r.proof.signature.toUpper(); break; // Go's hex decoding accepts it
        }
        // Steps 7.1-7.4 pass: these mutations only touch the proof.
        const auto v = validatePayloadAndHash(r);
        QVERIFY2(v.has_value(), qPrintable(errorOf(v).toString()));
        const auto result = validateProof(*v);
        if (code == 0) {
            QVERIFY2(result.has_value(), qPrintable(result ? QString() : result.error().toString()));
            return;
        }
        QVERIFY(!result.has_value());
        QCOMPARE(result.error().code, code);
        QCOMPARE(result.error().message, message);
        QCOMPARE(errorOf(validateRelayStateless(r)), result.error());
    }

    void hashRelayWithoutChecks()
    {
        const auto v = validatePayloadAndHash(m_base);
        QVERIFY(v.has_value());
        const ValidatedRelay h = hashRelay(m_base);
        QCOMPARE(h.relay, v->relay);
        QCOMPARE(h.requestHashHex, v->requestHashHex);
        QCOMPARE(h.aatHashHex, v->aatHashHex);
        QCOMPARE(h.proofHash, v->proofHash);
        QCOMPARE(h.proofHashHex, v->proofHashHex);
        // The request hash is the Go one, whatever the relay claims.
        Relay claimed = m_base;
        claimed.proof.requestHash = "x";
        QCOMPARE(hashRelay(claimed).requestHashHex, v->requestHashHex);
        QVERIFY(hashRelay(claimed).proofHashHex != v->proofHashHex);
    }

    void aatChecksStandalone()
    {
        // Unreachable after step 7.2 (an empty app key fails there), but AAT.Validate's text is the reference's,
        // typo included (geo-mesh:x/pocketcore/types/errors.go MissingApplicationPublicKeyError).
        Aat aat = m_base.proof.aat;
        aat.appPubKey.clear();
        QCOMPARE(validateAat(aat, aatHashHex(aat)).value_or(QString()),
                 QStringLiteral("the applicaiton public key included in the AAT is not valid"));
        aat.appPubKey = "zz";
        QCOMPARE(validateAat(aat, aatHashHex(aat)).value_or(QString()), PocketError::pocketcore(6).errorText());
        QVERIFY(!validateAat(m_base.proof.aat, aatHashHex(m_base.proof.aat)).has_value());
    }

    void cacheSkipsOnlyTheAatSignature()
    {
        AatSignatureCache cache(10);
        QVERIFY(validateRelayStateless(m_base, &cache).has_value());
        QCOMPARE(cache.size(), 1);
        QCOMPARE(cache.misses(), 1u);
        QVERIFY(validateRelayStateless(m_base, &cache).has_value());
        QCOMPARE(cache.hits(), 1u);

        // Same token, forged AAT signature: the cache entry is for the real signature, so it is verified and fails.
        Relay forged = m_base;
        forged.proof.aat.signature[0] = forged.proof.aat.signature[0] == 'a' ? 'b' : 'a';
        forged.proof.signature = crypto::hexEncode(crypto::sign(m_clientKey, proofHash(forged.proof)));
        const auto f = validateRelayStateless(forged, &cache);
        QVERIFY(!f.has_value());
        QCOMPARE(f.error().code, 4u);

        // A cached token does not excuse a bad client signature: it is checked on every relay.
        Relay badClient = m_base;
        badClient.proof.signature[3] = badClient.proof.signature[3] == '0' ? '1' : '0';
        const auto b = validateRelayStateless(badClient, &cache);
        QVERIFY(!b.has_value());
        QCOMPARE(b.error().code, 41u);

        // Version and key checks still run before the cache is consulted.
        Relay badVersion = m_base;
        badVersion.proof.aat.version = "9";
        QCOMPARE(errorOf(validateRelayStateless(badVersion, &cache)).code, 4u);

        // Another relay of the same token (new entropy): valid, served from the cache.
        Relay next = m_base;
        next.proof.entropy = 12345;
        next = resigned(next);
        const quint64 hitsBefore = cache.hits();
        QVERIFY(validateRelayStateless(next, &cache).has_value());
        QCOMPARE(cache.hits(), hitsBefore + 1);
        QCOMPARE(cache.size(), 1);
    }

    void cacheIsBoundedLru()
    {
        AatSignatureCache cache(2);
        QCOMPARE(cache.capacity(), 2);
        cache.insert("a", "sa");
        cache.insert("b", "sb");
        QVERIFY(cache.contains("a", "sa")); // a is now the most recent
        cache.insert("c", "sc");            // evicts b
        QCOMPARE(cache.size(), 2);
        QVERIFY(cache.contains("a", "sa"));
        QVERIFY(!cache.contains("b", "sb"));
        QVERIFY(cache.contains("c", "sc"));
        QVERIFY(!cache.contains("c", "other"));
        cache.insert("c", "other"); // replaced, not added
        QCOMPARE(cache.size(), 2);
        QVERIFY(cache.contains("c", "other"));
        QCOMPARE(AatSignatureCache(0).capacity(), 1);
    }

    void cacheIsThreadSafe()
    {
        AatSignatureCache cache(64);
        std::atomic<int> failures{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t) {
            threads.emplace_back([&, t] {
                for (int i = 0; i < 2000; ++i) {
                    const QByteArray key = QByteArray::number((i * 7 + t) % 100);
                    cache.insert(key, "s" + key);
                    if (cache.contains(key, "s" + key) && !cache.contains(key, "x")) continue;
                    // Another thread may have evicted the key in between: only a wrong positive is a failure.
                    if (cache.contains(key, "x")) ++failures;
                }
            });
        }
        for (auto& th : threads) th.join();
        QCOMPARE(failures.load(), 0);
        QVERIFY(cache.size() <= 64);
        QCOMPARE(cache.hits() + cache.misses() > 0, true);
    }

    void concurrentValidation()
    {
        AatSignatureCache cache;
        std::atomic<int> accepted{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&] {
                for (int i = 0; i < 25; ++i) accepted += validateRelayStateless(m_base, &cache).has_value();
            });
        for (auto& th : threads) th.join();
        QCOMPARE(accepted.load(), 100);
        QCOMPARE(cache.size(), 1);
    }
};

QTEST_GUILESS_MAIN(TestRelayValidator)
#include "tst_relayvalidator.moc"
