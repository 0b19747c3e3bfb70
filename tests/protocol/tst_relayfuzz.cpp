// Mutates the golden relay bodies at random (fixed seed) and feeds them to the decoder, the JSON sorter and the
// validator: nothing may crash or hang, and whatever decodes must survive encode -> decode unchanged.
#include <QJsonArray>
#include <QJsonObject>
#include <QtTest>
#include <random>

#include "protocol/crypto.h"
#include "protocol/gojsonscan.h"
#include "protocol/jsonsort.h"
#include "protocol/relay.h"
#include "protocol/relayvalidator.h"
#include "testsupport.h"

using namespace pocket;

class TestRelayFuzz : public QObject
{
    Q_OBJECT

private:
    QList<QByteArray> m_bodies;

    static QByteArray mutate(QByteArray s, std::mt19937& rng)
    {
        static const QByteArray interesting = QByteArray("{}[]\",:\\0123456789-+.eEtrufalsn \t\n/u", 36)
                                              + QByteArray("\x00\x01\x7f\x80\xbf\xc0\xc3\xe2\xed\xf0\xf4\xff", 12);
        auto pick = [&](qsizetype n) { return n <= 0 ? 0 : qsizetype(rng() % quint32(n)); };
        const int rounds = 1 + int(rng() % 4);
        for (int round = 0; round < rounds; ++round) {
            const qsizetype pos = pick(s.size() + 1);
            switch (rng() % 8) {
            case 0: // flip a bit
                if (!s.isEmpty()) s[pick(s.size())] = char(s[pick(s.size())] ^ (1 << (rng() % 8)));
                break;
            case 1: // insert an interesting byte
                s.insert(pos, interesting[pick(interesting.size())]);
                break;
            case 2: // replace with an interesting byte
                if (!s.isEmpty()) s[pick(s.size())] = interesting[pick(interesting.size())];
                break;
            case 3: // delete a range
                s.remove(pos, 1 + pick(8));
                break;
            case 4: // duplicate a range
                if (!s.isEmpty()) {
                    const qsizetype from = pick(s.size());
                    s.insert(pos, s.mid(from, 1 + pick(40)));
                }
                break;
            case 5: // truncate
                s.truncate(pos);
                break;
            case 6: // swap two bytes
                if (s.size() > 1) std::swap(s[pick(s.size())], s[pick(s.size())]);
                break;
            case 7: // replace a digit run with a big or fractional number
                if (!s.isEmpty()) {
                    static const char* numbers[] = {"9223372036854775807", "9223372036854775808", "-1", "1.5",
                                                    "1e3", "-0", "\"7\"", "null", "[]", "{}"};
                    const qsizetype at = s.indexOf(':', pick(s.size()));
                    if (at >= 0) {
                        qsizetype end = at + 1;
                        while (end < s.size() && ((s[end] >= '0' && s[end] <= '9') || s[end] == '-')) ++end;
                        s.replace(at + 1, end - at - 1, numbers[rng() % 10]);
                    }
                }
                break;
            }
        }
        return s;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(crypto::init());
        const QJsonArray cases = test::goldenVectors().object()["cases"].toArray();
        for (const auto& c : cases) m_bodies << c.toObject()["relay_body"].toString().toUtf8();
        QVERIFY(m_bodies.size() >= 8);
    }

    void mutatedBodies()
    {
        std::mt19937 rng(20240930);
        AatSignatureCache cache;
        int decoded = 0;
        int failed = 0;
        const int iterations = 4000;
        for (int i = 0; i < iterations; ++i) {
            const QByteArray body = mutate(m_bodies[i % m_bodies.size()], rng);
            const auto relay = decodeRelay(body);
            const auto syntax = goCheckValid(body);
            if (!relay) {
                ++failed;
                QVERIFY2(!relay.error().isEmpty(), body.constData());
                // A syntax error is reported iff the scanner rejects the input (empty body aside).
                if (syntax) QCOMPARE(relay.error(), *syntax);
                else QVERIFY2(relay.error().startsWith("json: cannot unmarshal "), qPrintable(relay.error()));
            } else {
                ++decoded;
                QVERIFY2(!syntax || body.isEmpty(), body.constData());
                const QByteArray wire = encodeRelay(*relay);
                const auto again = decodeRelay(wire);
                QVERIFY2(again.has_value(), body.constData());
                QVERIFY2(*again == *relay, body.constData());
                QCOMPARE(encodeRelay(*again), wire);
                (void)validateRelayStateless(*relay, &cache); // must not crash whatever the content
            }
            // The generic sorter on the same garbage: no crash, and a sorted result is stable.
            if (const auto sorted = goSortJsonObject(body)) QCOMPARE(goSortJsonObject(*sorted).value_or("<fail>"), *sorted);
        }
        qInfo("decoded %d, rejected %d of %d mutated bodies", decoded, failed, iterations);
        // The mutations must exercise both paths, or the test proves nothing.
        QVERIFY(decoded > iterations / 20);
        QVERIFY(failed > iterations / 20);
    }

    void randomBytes()
    {
        std::mt19937 rng(7);
        for (int i = 0; i < 2000; ++i) {
            QByteArray junk(int(rng() % 64), Qt::Uninitialized);
            for (char& c : junk) c = char(rng() % 256);
            const auto relay = decodeRelay(junk);
            const auto syntax = goCheckValid(junk);
            if (syntax && !junk.isEmpty()) QCOMPARE(relay.has_value() ? QString() : relay.error(), *syntax);
            if (!syntax && !relay) QVERIFY2(relay.error().startsWith("json: cannot unmarshal "), qPrintable(relay.error()));
            QCOMPARE(goReencodeJson(junk).has_value(), !syntax.has_value());
            (void)goSortJsonObject(junk);
        }
    }
};

QTEST_GUILESS_MAIN(TestRelayFuzz)
#include "tst_relayfuzz.moc"
