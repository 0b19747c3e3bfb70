// Pocket sdk.Error values (PROTOCOL §1.4, table §4.3): constructor messages, appended details, Go's
// multi-line Error() text with strconv.Quote, and the Sprintf-without-arguments mangling of '%'.
#include <QtTest>

#include "protocol/crypto.h"
#include "protocol/pocketerror.h"

using namespace pocket;

class TestPocketError : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void table_data()
    {
        // PROTOCOL §4.3, message column, for codes whose constructor takes no error argument.
        QTest::addColumn<uint>("code");
        QTest::addColumn<QString>("message");
        const QList<QPair<uint, const char*>> rows = {
            {5, "the GOBEvidence type passed is not valid"},
            {6, "error decoding the string into hex bytes"},
            {8, "the non-native chain is of Length 0"},
            {9, "the block addr is of Length 0"},
            {11, "the service proofs object is empty"},
            {13, "the blockchain in the relay request is not supported for this app"},
            {14, "this node (self) is not responsible for this session provided by the client"},
            {17, "there are less than the minimum session nodes found"},
            {18, "the non-native chain is of Length 0"},
            {23, "the hash is invalid: "},
            {25, "the payload data of the relay request is empty"},
            {26, "the blockchain in the relay request is not supported on this node"},
            {29, "the entropy included in the relay request is invalid"},
            {30, "the relay response payload is empty"},
            {31, "response signing errored out: "},
            {34, "the node public key in the service Proof does not match this nodes public key"},
            {37, "the Proof with specific merkleHash already found, check entropy"},
            {38, "the signature Length is invalid"},
            {39, "the signature could not be message decoded"},
            {40, "the message could not be hex decoded"},
            {41, "the signature could not be verified with the message and pub key"},
            {42, "the public key is not the correct cap"},
            {44, "the self node is not within the world state"},
            {45, "the app could not be found in the world state"},
            {46, "the blockchain requested is not hosted"},
            {47, "invalid hosted chain error"},
            {48, "the node is not found in world state"},
            {49, "the proofs provided are invalid or less than the minimum requirement"},
            {51, "the required params for a nonNative blockchain are invalid"},
            {53, "the chain is not pocket supported"},
            {60, "the block height passed is invalid"},
            {61, "the app public key is invalid"},
            {62, "the merkleHash Length is not valid"},
            {63, "the merkle relayProof combo for the cousin and leaf is invalid"},
            {64, "the address provided is empty"},
            {65, "the claim was not found for the key given"},
            {66, "claim resulted in an invalid merkle Proof"},
            {67, "the merkle tree is empty"},
            {68, "the merkle node cannot be found"},
            {69, "the opportunity of window to submit the Proof has closed because the secret has been revealed"},
            {70, "the address is invalid"},
            {71, "the max number of relays serviced for this node is exceeded"},
            {72, "the cousin and leaf cannot be equal"},
            {73, "the merkle root passed is invalid"},
            {74, "the request hash does not match the payload hash"},
            {75, "the request block height is out of sync with the current block height"},
            {76, "the blockchain in this request is not supported"},
            {83, "the node is not within the session"},
            {90, "the evidence is sealed, either max relays reached or claim already submitted"},
        };
        for (const auto& [code, message] : rows)
            QTest::newRow(qPrintable(QString::number(code))) << code << QString::fromLatin1(message);
    }
    void table()
    {
        QFETCH(uint, code);
        QFETCH(QString, message);
        QCOMPARE(pocketcoreMessage(code), message);
        const PocketError e = PocketError::pocketcore(code);
        QCOMPARE(e.codespace, QStringLiteral("pocketcore"));
        QCOMPARE(e.code, code);
        QCOMPARE(e.message, message);
        // These constructors take no error: a detail does not change the reference text.
        QCOMPARE(PocketError::pocketcore(code, QStringLiteral("ignored")).message, message);
    }

    void details()
    {
        QCOMPARE(PocketError::pocketcore(2, "500").message, QStringLiteral("HTTP status code returned not okay: 500"));
        QCOMPARE(PocketError::pocketcore(28, "request timeout for CHAIN=0021 PATH= METHOD=POST").message,
                 QStringLiteral("error executing the http request: request timeout for CHAIN=0021 PATH= METHOD=POST"));
        QCOMPARE(PocketError::pocketcore(43, "x").message, QStringLiteral("the keybase is invalid: x"));
        QCOMPARE(PocketError::pocketcore(52, crypto::hexDecodeError("zz")).message,
                 QStringLiteral("the hex string could not be decoded: encoding/hex: invalid byte: U+007A 'z'"));
        QCOMPARE(PocketError::pocketcore(52, crypto::hexDecodeError("abc")).message,
                 QStringLiteral("the hex string could not be decoded: encoding/hex: odd length hex string"));
        QCOMPARE(PocketError::pocketcore(20, "e").message, QStringLiteral("unable to filter nodes: e"));
        QCOMPARE(PocketError::pocketcore(21, "e").message, QStringLiteral("error XORing the keys: e"));
        QCOMPARE(PocketError::pocketcore(54, "e").message, QStringLiteral("could not convert hex string to pub key: e"));
        QCOMPARE(PocketError::pocketcore(55, "e").message, QStringLiteral("there was a problem signing the message: e"));
        QCOMPARE(PocketError::pocketcore(57, "e").message, QStringLiteral("unable to marshal object into json: e"));
        // 19 appends without a separator (PROTOCOL §5.1 step 9).
        const QString stored = PocketError::pocketcore(90).errorText();
        QCOMPARE(PocketError::pocketcore(19, stored).message,
                 "this node (self) is not responsible for this session provided by the client" + stored);
        // 4 joins with " : "; the inner text of a 6/42 failure is its multi-line form (§5.1 step 7.8.f).
        QCOMPARE(PocketError::pocketcore(4, PocketError::pocketcore(42).errorText()).message,
                 QStringLiteral("the application authentication token is invalid : ERROR:\nCodespace: pocketcore\nCode: 42\n"
                                "Message: \"the public key is not the correct cap\"\n"));
        QCOMPARE(PocketError::pocketcore(91, "got 16, max 15").message,
                 QStringLiteral("the number of staked chains is over the limit: got 16, max 15"));
        QCOMPARE(pocketcoreMessage(1), QString());
        QCOMPARE(pocketcoreMessage(999), QString());
        // An unknown code keeps the caller's text.
        QCOMPARE(PocketError::pocketcore(999, "custom").message, QStringLiteral("custom"));
    }

    void internal()
    {
        const PocketError e = PocketError::internal("pocket node is currently unavailable");
        QCOMPARE(e.codespace, QStringLiteral("sdk"));
        QCOMPARE(e.code, 1u);
        QCOMPARE(e.message, QStringLiteral("pocket node is currently unavailable"));
        QCOMPARE(PocketError::internal(QString()).message, QStringLiteral("internal error"));
        QCOMPARE(e.toString(), QStringLiteral("sdk/1: pocket node is currently unavailable"));
        QCOMPARE(PocketError::pocketcore(74).toString(),
                 QStringLiteral("pocketcore/74: the request hash does not match the payload hash"));
    }

    void errorText()
    {
        QCOMPARE(PocketError::pocketcore(74).errorText(),
                 QStringLiteral("ERROR:\nCodespace: pocketcore\nCode: 74\nMessage: \"the request hash does not match the payload hash\"\n"));
        QCOMPARE(PocketError::internal("a\"b").errorText(),
                 QStringLiteral("ERROR:\nCodespace: sdk\nCode: 1\nMessage: \"a\\\"b\"\n"));
    }

    void quote_data()
    {
        QTest::addColumn<QString>("input");
        QTest::addColumn<QString>("expected");
        QTest::newRow("plain") << "abc" << "\"abc\"";
        QTest::newRow("escapes") << "a\"b\\c\nd\te\rf" << "\"a\\\"b\\\\c\\nd\\te\\rf\"";
        QTest::newRow("bell etc") << "\a\b\f\v" << "\"\\a\\b\\f\\v\"";
        QTest::newRow("control") << QString(QChar(1)) + QChar(0x1f) + QChar(0) << "\"\\x01\\x1f\\x00\"";
        QTest::newRow("DEL") << QString(QChar(0x7f)) << "\"\\x7f\"";
        QTest::newRow("printable unicode") << QString::fromUtf8("é中🚀") << QString::fromUtf8("\"é中🚀\"");
        QTest::newRow("C1 control") << QString(QChar(0x85)) << "\"\\u0085\"";
        QTest::newRow("NBSP") << QString(QChar(0xA0)) << "\"\\u00a0\"";
        QTest::newRow("soft hyphen") << QString(QChar(0xAD)) << "\"\\u00ad\"";
        QTest::newRow("line separator") << QString(QChar(0x2028)) << "\"\\u2028\"";
        QTest::newRow("BOM") << QString(QChar(0xFEFF)) << "\"\\ufeff\"";
        QTest::newRow("private use") << QString(QChar(0xE000)) << "\"\\ue000\"";
        QTest::newRow("astral noncharacter") << QString::fromUcs4(U"\U0010FFFF", 1) << "\"\\U0010ffff\"";
        QTest::newRow("lone surrogate") << QString(QChar(0xD800)) << QString::fromUtf8("\"\xEF\xBF\xBD\"");
        QTest::newRow("space and slash") << " /'" << "\" /'\"";
    }
    void quote()
    {
        QFETCH(QString, input);
        QFETCH(QString, expected);
        QCOMPARE(goQuote(input), expected);
    }

    void sprintfMangling_data()
    {
        QTest::addColumn<QString>("format");
        QTest::addColumn<QString>("expected");
        QTest::newRow("none") << "no verbs" << "no verbs";
        QTest::newRow("percent percent") << "50%% off" << "50% off";
        QTest::newRow("verb") << "a %s b" << "a %!s(MISSING) b";
        QTest::newRow("verb then percent") << "%d%%" << "%!d(MISSING)%";
        QTest::newRow("flags width precision") << "%-05.2f|" << "%!f(MISSING)|";
        QTest::newRow("space flag") << "100% fail" << "100%!f(MISSING)ail";
        QTest::newRow("dangling") << "100%" << "100%!(NOVERB)";
        QTest::newRow("index") << "%[1]d" << "%!d(BADINDEX)";
        QTest::newRow("star width") << "%*d" << "%!(BADWIDTH)%!d(MISSING)";
        QTest::newRow("star precision") << "%.*d" << "%!(BADPREC)%!d(MISSING)";
        QTest::newRow("bang") << "%!" << "%!!(MISSING)";
        QTest::newRow("unicode verb") << QString::fromUtf8("%é") << QString::fromUtf8("%!é(MISSING)");
    }
    void sprintfMangling()
    {
        QFETCH(QString, format);
        QFETCH(QString, expected);
        QCOMPARE(goSprintfNoArgs(format), expected);
        // sdk.NewError formats its message: the reference shows the mangled text (PROTOCOL §1.4).
        QCOMPARE(PocketError::internal(format).message, expected);
    }
};

QTEST_GUILESS_MAIN(TestPocketError)
#include "tst_pocketerror.moc"
