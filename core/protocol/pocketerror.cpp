#include "protocol/pocketerror.h"

#include <QChar>

namespace pocket {

namespace {

// PROTOCOL §4.3 (geo-mesh:x/pocketcore/types/errors.go): the text each constructor passes to sdk.NewError,
// before the appended Go error text (see PocketError::pocketcore for how details are joined).
const char* baseMessage(quint32 code)
{
    switch (code) {
    case 2: return "HTTP status code returned not okay: ";
    case 4: return "the application authentication token is invalid";
    case 5: return "the GOBEvidence type passed is not valid";
    case 6: return "error decoding the string into hex bytes";
    case 8: return "the non-native chain is of Length 0";
    case 9: return "the block addr is of Length 0";
    case 11: return "the service proofs object is empty";
    case 13: return "the blockchain in the relay request is not supported for this app";
    case 14: return "this node (self) is not responsible for this session provided by the client";
    case 17: return "there are less than the minimum session nodes found";
    case 18: return "the non-native chain is of Length 0";
    case 19: return "this node (self) is not responsible for this session provided by the client";
    case 20: return "unable to filter nodes: ";
    case 21: return "error XORing the keys: ";
    case 22: return "the hash is invalid: ";
    case 23: return "the hash is invalid: ";
    case 25: return "the payload data of the relay request is empty";
    case 26: return "the blockchain in the relay request is not supported on this node";
    case 28: return "error executing the http request: ";
    case 29: return "the entropy included in the relay request is invalid";
    case 30: return "the relay response payload is empty";
    case 31: return "response signing errored out: ";
    case 34: return "the node public key in the service Proof does not match this nodes public key";
    case 37: return "the Proof with specific merkleHash already found, check entropy";
    case 38: return "the signature Length is invalid";
    case 39: return "the signature could not be message decoded";
    case 40: return "the message could not be hex decoded";
    case 41: return "the signature could not be verified with the message and pub key";
    case 42: return "the public key is not the correct cap";
    case 43: return "the keybase is invalid: ";
    case 44: return "the self node is not within the world state";
    case 45: return "the app could not be found in the world state";
    case 46: return "the blockchain requested is not hosted";
    case 47: return "invalid hosted chain error";
    case 48: return "the node is not found in world state";
    case 49: return "the proofs provided are invalid or less than the minimum requirement";
    case 51: return "the required params for a nonNative blockchain are invalid";
    case 52: return "the hex string could not be decoded: ";
    case 53: return "the chain is not pocket supported";
    case 54: return "could not convert hex string to pub key: ";
    case 55: return "there was a problem signing the message: ";
    case 57: return "unable to marshal object into json: ";
    case 60: return "the block height passed is invalid";
    case 61: return "the app public key is invalid";
    case 62: return "the merkleHash Length is not valid";
    case 63: return "the merkle relayProof combo for the cousin and leaf is invalid";
    case 64: return "the address provided is empty";
    case 65: return "the claim was not found for the key given";
    case 66: return "claim resulted in an invalid merkle Proof";
    case 67: return "the merkle tree is empty";
    case 68: return "the merkle node cannot be found";
    case 69: return "the opportunity of window to submit the Proof has closed because the secret has been revealed";
    case 70: return "the address is invalid";
    case 71: return "the max number of relays serviced for this node is exceeded";
    case 72: return "the cousin and leaf cannot be equal";
    case 73: return "the merkle root passed is invalid";
    case 74: return "the request hash does not match the payload hash";
    case 75: return "the request block height is out of sync with the current block height";
    case 76: return "the blockchain in this request is not supported";
    case 77: return "the public key is duplicated in the proof";
    case 78: return "the request hashes included in the proof do not match";
    case 79: return "the application public keys included in the proofs do not match";
    case 80: return "the session block heights included in the proofs do not match";
    case 81: return "the non-native blockchains provided in the proofs do not match";
    case 82: return "no majority can be established between all of the responses";
    case 83: return "the node is not within the session";
    case 84: return "the GOBEvidence type is not supplied in the claim message";
    case 85: return "the PK File is not found";
    case 86: return "the merkle proof is flagged as a replay attack";
    case 87: return "the netid Length is invalid";
    case 88: return "the expiration height included in the claim message is invalid (should not be set)";
    case 89: return "the merkle hash range is invalid";
    case 90: return "the evidence is sealed, either max relays reached or claim already submitted";
    case 91: return "the number of staked chains is over the limit";
    default: return nullptr; // 1, 10, 24, 27, 32, 33, 35, 36, 50, 56, 58, 59: declared, never constructed
    }
}

// Codes whose constructor appends a Go error text directly to the base message.
bool appendsDetail(quint32 code)
{
    switch (code) {
    case 2: case 19: case 20: case 21: case 22: case 28: case 43: case 52: case 54: case 55: case 57:
        return true;
    default: return false;
    }
}

// Go's unicode.IsPrint: categories L, M, N, P, S and the ASCII space.
bool goIsPrint(char32_t r)
{
    if (r == U' ') return true;
    switch (QChar::category(r)) {
    case QChar::Other_Control:
    case QChar::Other_Format:
    case QChar::Other_Surrogate:
    case QChar::Other_PrivateUse:
    case QChar::Other_NotAssigned:
    case QChar::Separator_Space:
    case QChar::Separator_Line:
    case QChar::Separator_Paragraph: return false;
    default: return true;
    }
}

} // namespace

QString pocketcoreMessage(quint32 code)
{
    const char* m = baseMessage(code);
    return m ? QString::fromLatin1(m) : QString();
}

QString goSprintfNoArgs(const QString& format)
{
    // Go's fmt.Sprintf(format) with no arguments (sdk.NewError formats its message that way, PROTOCOL §1.4):
    // "%%" -> "%", any other verb -> "%!v(MISSING)", a dangling "%" -> "%!(NOVERB)".
    if (!format.contains(QLatin1Char('%'))) return format;
    QString out;
    out.reserve(format.size() + 16);
    const qsizetype end = format.size();
    qsizetype i = 0;
    while (i < end) {
        const QChar ch = format.at(i);
        if (ch != QLatin1Char('%')) {
            out.append(ch);
            ++i;
            continue;
        }
        ++i;
        // flags
        while (i < end && QStringView(u"#0+- ").contains(format.at(i))) ++i;
        bool goodArgNum = true;
        // argument index "[n]": always out of range without arguments
        auto argIndex = [&] {
            if (i >= end || format.at(i) != QLatin1Char('[')) return false;
            // Go parseArgNumber: needs "[n]"; width of the consumed text.
            if (end - i < 3) {
                ++i;
                goodArgNum = false;
                return false;
            }
            qsizetype j = i + 1;
            while (j < end && format.at(j) != QLatin1Char(']')) ++j;
            if (j >= end) {
                ++i;
                goodArgNum = false;
                return false;
            }
            i = j + 1;
            goodArgNum = false;
            return true;
        };
        bool afterIndex = argIndex();
        // width
        if (i < end && format.at(i) == QLatin1Char('*')) {
            ++i;
            out.append(QLatin1String("%!(BADWIDTH)"));
            afterIndex = false;
        } else {
            const qsizetype w = i;
            while (i < end && format.at(i).isDigit() && format.at(i).unicode() < 0x80) ++i;
            if (afterIndex && i > w) goodArgNum = false;
        }
        // precision
        if (i + 1 < end && format.at(i) == QLatin1Char('.')) {
            ++i;
            if (afterIndex) goodArgNum = false;
            afterIndex = argIndex();
            if (i < end && format.at(i) == QLatin1Char('*')) {
                ++i;
                out.append(QLatin1String("%!(BADPREC)"));
                afterIndex = false;
            } else {
                while (i < end && format.at(i).isDigit() && format.at(i).unicode() < 0x80) ++i;
            }
        }
        if (!afterIndex) afterIndex = argIndex();
        if (i >= end) {
            out.append(QLatin1String("%!(NOVERB)"));
            break;
        }
        // the verb is one rune
        qsizetype verbLen = 1;
        if (format.at(i).isHighSurrogate() && i + 1 < end && format.at(i + 1).isLowSurrogate()) verbLen = 2;
        const QString verb = format.mid(i, verbLen);
        i += verbLen;
        if (verb == QLatin1String("%")) {
            out.append(QLatin1Char('%'));
        } else if (!goodArgNum) {
            out.append(QLatin1String("%!") + verb + QLatin1String("(BADINDEX)"));
        } else {
            out.append(QLatin1String("%!") + verb + QLatin1String("(MISSING)"));
        }
    }
    return out;
}

PocketError PocketError::pocketcore(quint32 code, const QString& detail)
{
    const char* base = baseMessage(code);
    QString message = base ? QString::fromLatin1(base) : QString();
    if (code == 4) {
        // NewInvalidTokenError: base + " : " + err.Error() (PROTOCOL §5.1 step 7.8.f).
        if (!detail.isEmpty()) message += QStringLiteral(" : ") + detail;
    } else if (code == 91) {
        // NewChainsOverLimitError: "%s: got %d, max %d"; `detail` is "got N, max M".
        if (!detail.isEmpty()) message += QStringLiteral(": ") + detail;
    } else if (appendsDetail(code) || !base) {
        // Constructors that append err.Error() (28, 52, 19 without separator, ...). For codes without a
        // constructor the detail is the whole message.
        message += detail;
    }
    // Other constructors take no error argument: a detail would not appear in the reference text.
    return PocketError{QString::fromLatin1(kCodespacePocketcore), code, goSprintfNoArgs(message)};
}

PocketError PocketError::internal(const QString& message)
{
    // sdk.ErrInternal(msg): an empty text falls back to the default "internal error".
    return PocketError{QString::fromLatin1(kCodespaceSdk), 1,
                       message.isEmpty() ? QStringLiteral("internal error") : goSprintfNoArgs(message)};
}

QString PocketError::errorText() const
{
    // Go: fmt.Sprintf("ERROR:\nCodespace: %s\nCode: %d\nMessage: %#v\n", ...); %#v of a string = strconv.Quote.
    return QStringLiteral("ERROR:\nCodespace: ") + codespace + QStringLiteral("\nCode: ") + QString::number(code)
           + QStringLiteral("\nMessage: ") + goQuote(message) + QLatin1Char('\n');
}

QString PocketError::toString() const
{
    return codespace + QLatin1Char('/') + QString::number(code) + QStringLiteral(": ") + message;
}

QString goQuote(const QString& s)
{
    static constexpr char hex[] = "0123456789abcdef";
    QString out;
    out.reserve(s.size() + 2);
    out.append(QLatin1Char('"'));
    const qsizetype n = s.size();
    for (qsizetype i = 0; i < n; ++i) {
        char32_t r = s.at(i).unicode();
        if (QChar::isHighSurrogate(r) && i + 1 < n && s.at(i + 1).isLowSurrogate()) {
            r = QChar::surrogateToUcs4(s.at(i), s.at(i + 1));
            ++i;
        } else if (QChar::isSurrogate(r)) {
            r = 0xFFFD; // a lone surrogate cannot come from UTF-8; Go would see U+FFFD
        }
        if (r == U'"' || r == U'\\') {
            out.append(QLatin1Char('\\'));
            out.append(QChar(r));
            continue;
        }
        if (goIsPrint(r)) {
            out.append(QString::fromUcs4(&r, 1));
            continue;
        }
        switch (r) {
        case U'\a': out.append(QLatin1String("\\a")); continue;
        case U'\b': out.append(QLatin1String("\\b")); continue;
        case U'\f': out.append(QLatin1String("\\f")); continue;
        case U'\n': out.append(QLatin1String("\\n")); continue;
        case U'\r': out.append(QLatin1String("\\r")); continue;
        case U'\t': out.append(QLatin1String("\\t")); continue;
        case U'\v': out.append(QLatin1String("\\v")); continue;
        default: break;
        }
        if (r < 0x20 || r == 0x7F) {
            out.append(QLatin1String("\\x"));
            out.append(QLatin1Char(hex[r >> 4]));
            out.append(QLatin1Char(hex[r & 0xF]));
        } else if (r < 0x10000) {
            out.append(QLatin1String("\\u"));
            for (int shift = 12; shift >= 0; shift -= 4) out.append(QLatin1Char(hex[(r >> shift) & 0xF]));
        } else {
            out.append(QLatin1String("\\U"));
            for (int shift = 28; shift >= 0; shift -= 4) out.append(QLatin1Char(hex[(r >> shift) & 0xF]));
        }
    }
    out.append(QLatin1Char('"'));
    return out;
}

} // namespace pocket
