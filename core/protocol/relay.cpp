#include "protocol/relay.h"

#include <array>
#include <charconv>

#include "protocol/crypto.h"
#include "protocol/gojson.h"
#include "protocol/gojsonscan.h"
#include "protocol/jsonsort.h"

namespace pocket {

namespace {

// Go's field-name matching (encoding/json 1.21): exact name first, else bytes.EqualFold. `name` is an
// ASCII lower-case field tag. Under EqualFold only two non-ASCII runes fold onto ASCII letters:
// U+017F (long s) ~ 's' and U+212A (Kelvin sign) ~ 'k'.
bool fieldNameMatches(QByteArrayView key, const char* name)
{
    qsizetype i = 0;
    const qsizetype n = key.size();
    for (const char* q = name; *q; ++q) {
        if (i >= n) return false;
        const auto c = quint8(key[i]);
        if (c < 0x80) {
            const char lower = (c >= 'A' && c <= 'Z') ? char(c + 32) : char(c);
            if (lower != *q) return false;
            ++i;
            continue;
        }
        if (*q == 's' && c == 0xC5 && i + 1 < n && quint8(key[i + 1]) == 0xBF) {
            i += 2;
            continue;
        }
        if (*q == 'k' && c == 0xE2 && i + 2 < n && quint8(key[i + 1]) == 0x84 && quint8(key[i + 2]) == 0xAA) {
            i += 3;
            continue;
        }
        return false;
    }
    return i == n;
}

// Go json.Unmarshal into types.Relay on input that goCheckValid() accepted (PROTOCOL §1.2). Type errors do
// not stop decoding (Go's saveError); the first one is the result.
class RelayDecoder
{
public:
    explicit RelayDecoder(QByteArrayView json) : m_reader(json) {}

    std::expected<Relay, QString> run()
    {
        Relay relay;
        m_reader.skipWhitespace();
        decodeStruct("types.Relay", [&](QByteArrayView key) {
            if (fieldNameMatches(key, "payload")) {
                enter("Relay", "payload");
                decodePayload(relay.payload);
            } else if (fieldNameMatches(key, "meta")) {
                enter("Relay", "meta");
                decodeStruct("types.RelayMeta", [&](QByteArrayView k) {
                    if (!fieldNameMatches(k, "block_height")) return false;
                    enter("RelayMeta", "block_height");
                    decodeInt64(relay.meta.blockHeight);
                    return true;
                });
            } else if (fieldNameMatches(key, "proof")) {
                enter("Relay", "proof");
                decodeProof(relay.proof);
            } else {
                return false;
            }
            return true;
        });
        if (!m_firstError.isEmpty()) return std::unexpected(m_firstError);
        return relay;
    }

private:
    // Error context (Go's errorContext): the innermost struct type and the JSON field path.
    void enter(const char* structName, const char* field)
    {
        m_struct = structName;
        if (m_depth < int(m_path.size())) m_path[m_depth] = field;
        ++m_depth;
    }

    static QString kindName(char c)
    {
        switch (c) {
        case '"': return QStringLiteral("string");
        case '{': return QStringLiteral("object");
        case '[': return QStringLiteral("array");
        case 't':
        case 'f': return QStringLiteral("bool");
        case 'n': return QStringLiteral("null");
        default: return QStringLiteral("number");
        }
    }

    void typeError(const QString& value, const char* goType)
    {
        if (!m_firstError.isEmpty()) return;
        QString text = QStringLiteral("json: cannot unmarshal ") + value;
        if (m_struct) {
            text += QStringLiteral(" into Go struct field ") + QLatin1String(m_struct) + QLatin1Char('.');
            for (int i = 0; i < m_depth && i < int(m_path.size()); ++i) {
                if (i) text += QLatin1Char('.');
                text += QLatin1String(m_path[i]);
            }
        } else {
            text += QStringLiteral(" into Go value");
        }
        text += QStringLiteral(" of type ") + QLatin1String(goType);
        m_firstError = text;
    }

    // Decodes an object into a struct: `field(key)` decodes the value of a known field and returns true;
    // unknown keys are skipped. A struct is never reset: duplicate keys merge into it, and null is a no-op.
    template <typename Field>
    void decodeStruct(const char* goType, Field&& field)
    {
        const char c = m_reader.peek();
        if (c == 'n') {
            m_reader.skipValue();
            return;
        }
        if (c != '{') {
            typeError(kindName(c), goType);
            m_reader.skipValue();
            return;
        }
        m_reader.advance();
        m_reader.skipWhitespace();
        if (m_reader.peek() == '}') {
            m_reader.advance();
            return;
        }
        QByteArray key;
        while (!m_reader.atEnd()) {
            key.clear();
            m_reader.skipWhitespace();
            m_reader.readString(key);
            m_reader.skipWhitespace();
            m_reader.advance(); // ':'
            m_reader.skipWhitespace();
            const char* savedStruct = m_struct;
            const int savedDepth = m_depth;
            if (!field(QByteArrayView(key))) m_reader.skipValue();
            m_struct = savedStruct;
            m_depth = savedDepth;
            m_reader.skipWhitespace();
            const char d = m_reader.peek();
            m_reader.advance();
            if (d != ',') return; // '}'
        }
    }

    void decodeString(QByteArray& out)
    {
        const char c = m_reader.peek();
        if (c == '"') {
            out.clear();
            m_reader.readString(out);
            return;
        }
        if (c != 'n') typeError(kindName(c), "string"); // null leaves the field as it is
        m_reader.skipValue();
    }

    void decodeInt64(qint64& out)
    {
        const char c = m_reader.peek();
        if (c == '-' || (c >= '0' && c <= '9')) {
            // Go: strconv.ParseInt(literal, 10, 64); a fraction, an exponent or overflow is a type error
            // that quotes the literal (PROTOCOL §1.2, §15.4: never through double).
            const QByteArrayView text = m_reader.readNumberText();
            qint64 v = 0;
            const auto res = std::from_chars(text.data(), text.data() + text.size(), v);
            if (res.ec != std::errc() || res.ptr != text.data() + text.size()) {
                typeError(QStringLiteral("number ") + QString::fromLatin1(text), "int64");
                return;
            }
            out = v;
            return;
        }
        if (c != 'n') typeError(kindName(c), "int64");
        m_reader.skipValue();
    }

    void decodeHeaders(std::optional<HeaderMap>& headers)
    {
        const char c = m_reader.peek();
        if (c == 'n') {
            headers.reset(); // null sets a map to nil
            m_reader.skipValue();
            return;
        }
        if (c != '{') {
            typeError(kindName(c), "map[string]string");
            m_reader.skipValue();
            return;
        }
        if (!headers) headers.emplace(); // an existing map is reused (duplicate "headers" keys merge)
        m_reader.advance();
        m_reader.skipWhitespace();
        if (m_reader.peek() == '}') {
            m_reader.advance();
            return;
        }
        QByteArray key;
        while (!m_reader.atEnd()) {
            key.clear();
            m_reader.skipWhitespace();
            m_reader.readString(key);
            m_reader.skipWhitespace();
            m_reader.advance(); // ':'
            m_reader.skipWhitespace();
            // Each element decodes into a fresh zero string: null stores "", last duplicate wins.
            QByteArray value;
            const char v = m_reader.peek();
            if (v == '"') {
                m_reader.readString(value);
            } else {
                if (v != 'n') typeError(kindName(v), "string");
                m_reader.skipValue();
            }
            (*headers)[key] = std::move(value);
            m_reader.skipWhitespace();
            const char d = m_reader.peek();
            m_reader.advance();
            if (d != ',') return;
        }
    }

    void decodePayload(Payload& p)
    {
        decodeStruct("types.Payload", [&](QByteArrayView key) {
            if (fieldNameMatches(key, "data")) {
                enter("Payload", "data");
                decodeString(p.data);
            } else if (fieldNameMatches(key, "method")) {
                enter("Payload", "method");
                decodeString(p.method);
            } else if (fieldNameMatches(key, "path")) {
                enter("Payload", "path");
                decodeString(p.path);
            } else if (fieldNameMatches(key, "headers")) {
                enter("Payload", "headers");
                decodeHeaders(p.headers);
            } else {
                return false;
            }
            return true;
        });
    }

    void decodeProof(RelayProof& proof)
    {
        decodeStruct("types.RelayProof", [&](QByteArrayView key) {
            if (fieldNameMatches(key, "request_hash")) {
                enter("RelayProof", "request_hash");
                decodeString(proof.requestHash);
            } else if (fieldNameMatches(key, "entropy")) {
                enter("RelayProof", "entropy");
                decodeInt64(proof.entropy);
            } else if (fieldNameMatches(key, "session_block_height")) {
                enter("RelayProof", "session_block_height");
                decodeInt64(proof.sessionBlockHeight);
            } else if (fieldNameMatches(key, "servicer_pub_key")) {
                enter("RelayProof", "servicer_pub_key");
                decodeString(proof.servicerPubKey);
            } else if (fieldNameMatches(key, "blockchain")) {
                enter("RelayProof", "blockchain");
                decodeString(proof.blockchain);
            } else if (fieldNameMatches(key, "aat")) {
                enter("RelayProof", "aat");
                decodeAat(proof.aat);
            } else if (fieldNameMatches(key, "signature")) {
                enter("RelayProof", "signature");
                decodeString(proof.signature);
            } else {
                return false;
            }
            return true;
        });
    }

    void decodeAat(Aat& aat)
    {
        decodeStruct("types.AAT", [&](QByteArrayView key) {
            if (fieldNameMatches(key, "version")) {
                enter("AAT", "version");
                decodeString(aat.version);
            } else if (fieldNameMatches(key, "app_pub_key")) {
                enter("AAT", "app_pub_key");
                decodeString(aat.appPubKey);
            } else if (fieldNameMatches(key, "client_pub_key")) {
                enter("AAT", "client_pub_key");
                decodeString(aat.clientPubKey);
            } else if (fieldNameMatches(key, "signature")) {
                enter("AAT", "signature");
                decodeString(aat.signature);
            } else {
                return false;
            }
            return true;
        });
    }

    GoJsonReader m_reader;
    QString m_firstError;
    const char* m_struct = nullptr;
    std::array<const char*, 4> m_path{};
    int m_depth = 0;
};

void writeHeaders(GoJsonWriter& w, const std::optional<HeaderMap>& headers)
{
    if (!headers) {
        w.null();
        return;
    }
    // std::map<QByteArray> iterates in byte-wise key order, like Go's sorted map keys (PROTOCOL §1.1.2).
    w.beginObject();
    for (const auto& [k, v] : *headers) w.key(k).string(v);
    w.endObject();
}

void writePayload(GoJsonWriter& w, const Payload& p)
{
    // Payload.MarshalJSON: data, method, path, headers — headers always present (PROTOCOL §3.1).
    w.beginObject();
    w.key("data").string(p.data);
    w.key("method").string(p.method);
    w.key("path").string(p.path);
    w.key("headers");
    writeHeaders(w, p.headers);
    w.endObject();
}

QByteArray sha3Hex(QByteArrayView data)
{
    return crypto::hexEncode(crypto::sha3_256(data));
}

} // namespace

std::expected<Relay, QString> decodeRelay(QByteArrayView json)
{
    // PopModel: an empty body is not an error, the relay stays zero-valued (PROTOCOL §1.2).
    if (json.isEmpty()) return Relay{};
    // Go's Unmarshal checks the syntax of the whole input before it decodes anything.
    if (auto syntaxError = goCheckValid(json)) return std::unexpected(*syntaxError);
    return RelayDecoder(json).run();
}

QByteArray encodeRelay(const Relay& relay)
{
    const auto& p = relay.payload;
    const auto& proof = relay.proof;
    GoJsonWriter w(p.data.size() + p.path.size() + 800);
    w.beginObject();
    w.key("payload");
    writePayload(w, p);
    w.key("meta").beginObject().key("block_height").integer(relay.meta.blockHeight).endObject();
    // RelayProof wire order (pocket.pb.go field order, PROTOCOL §5.2.1).
    w.key("proof").beginObject();
    w.key("request_hash").string(proof.requestHash);
    w.key("entropy").integer(proof.entropy);
    w.key("session_block_height").integer(proof.sessionBlockHeight);
    w.key("servicer_pub_key").string(proof.servicerPubKey);
    w.key("blockchain").string(proof.blockchain);
    w.key("aat").beginObject();
    w.key("version").string(proof.aat.version);
    w.key("app_pub_key").string(proof.aat.appPubKey);
    w.key("client_pub_key").string(proof.aat.clientPubKey);
    w.key("signature").string(proof.aat.signature);
    w.endObject();
    w.key("signature").string(proof.signature);
    w.endObject();
    w.endObject();
    return w.take();
}

QByteArray requestHashInput(const Payload& payload, const RelayMeta& meta)
{
    GoJsonWriter w(payload.data.size() + payload.path.size() + 128);
    w.beginObject();
    w.key("payload");
    writePayload(w, payload);
    w.key("meta").beginObject().key("block_height").integer(meta.blockHeight).endObject();
    w.endObject();
    return w.take();
}

QByteArray requestHashHex(const Payload& payload, const RelayMeta& meta)
{
    return sha3Hex(requestHashInput(payload, meta));
}

QByteArray aatHashInput(const Aat& aat)
{
    GoJsonWriter w(256);
    w.beginObject();
    w.key("version").string(aat.version);
    w.key("app_pub_key").string(aat.appPubKey);
    w.key("client_pub_key").string(aat.clientPubKey);
    w.key("signature").string(""); // always emptied (PROTOCOL §3.2)
    w.endObject();
    return w.take();
}

QByteArray aatHashHex(const Aat& aat)
{
    return sha3Hex(aatHashInput(aat));
}

QByteArray proofHashInput(const RelayProof& proof, QByteArrayView aatHashHex)
{
    // PROTOCOL §3.3: an order different from the wire order, signature forced to "", token = AAT hash hex.
    GoJsonWriter w(400);
    w.beginObject();
    w.key("entropy").integer(proof.entropy);
    w.key("session_block_height").integer(proof.sessionBlockHeight);
    w.key("servicer_pub_key").string(proof.servicerPubKey);
    w.key("blockchain").string(proof.blockchain);
    w.key("signature").string("");
    w.key("token").string(aatHashHex);
    w.key("request_hash").string(proof.requestHash);
    w.endObject();
    return w.take();
}

QByteArray proofHash(const RelayProof& proof)
{
    return crypto::sha3_256(proofHashInput(proof, aatHashHex(proof.aat)));
}

QByteArray responseHashInput(QByteArrayView response, QByteArrayView proofHashHex)
{
    // PROTOCOL §3.4: keys signature, payload, Proof (capital P), in that order.
    GoJsonWriter w(response.size() + 160);
    w.beginObject();
    w.key("signature").string("");
    w.key("payload").string(response);
    w.key("Proof").string(proofHashHex);
    w.endObject();
    return w.take();
}

QByteArray sessionHeaderHashInput(QByteArrayView appPubKey, QByteArrayView chain, qint64 sessionHeight)
{
    GoJsonWriter w(160);
    w.beginObject();
    w.key("app_public_key").string(appPubKey);
    w.key("chain").string(chain);
    w.key("session_height").integer(sessionHeight);
    w.endObject();
    return w.take();
}

QByteArray sessionHeaderHashHex(QByteArrayView appPubKey, QByteArrayView chain, qint64 sessionHeight)
{
    return sha3Hex(sessionHeaderHashInput(appPubKey, chain, sessionHeight));
}

QByteArray signResponse(QByteArrayView privateKey64, QByteArrayView response, QByteArrayView proofHashHex)
{
    if (privateKey64.size() != crypto::kPrivateKeySize) return {};
    // The servicer signs the raw 32-byte digest, not its hex (PROTOCOL §1.3, §15.3).
    const QByteArray digest = crypto::sha3_256(responseHashInput(response, proofHashHex));
    return crypto::hexEncode(crypto::sign(privateKey64, digest));
}

QByteArray relaySuccessBody(QByteArrayView response, QByteArrayView signatureHex)
{
    // §1.5: Go marshals, re-parses and re-encodes the reply: keys sorted (response < signature), HTML
    // escaping, invalid UTF-8 ends up as a raw U+FFFD (the re-parse decodes the "\ufffd" escape), "\n" at the end.
    QByteArray out;
    out.reserve(response.size() + signatureHex.size() + 40);
    out.append("{\"response\":");
    appendGoJsonString(out, goValidUtf8(response));
    out.append(",\"signature\":");
    appendGoJsonString(out, goValidUtf8(signatureHex));
    out.append("}\n");
    return out;
}

QByteArray relayErrorBody(const PocketError& error, QByteArrayView dispatchJson)
{
    // DECISIONS 1: {"dispatch":...,"error":{"code":N,"codespace":"...","message":"<plain>"}}\n — keys sorted
    // at every depth as §1.5 writes them; a dispatch passes through the same generic re-encoding.
    QByteArray out;
    out.reserve(error.message.size() + dispatchJson.size() + 80);
    out.append("{\"dispatch\":");
    std::optional<QByteArray> dispatch;
    if (!dispatchJson.isEmpty()) dispatch = goReencodeJson(dispatchJson);
    out.append(dispatch ? *dispatch : QByteArray("null"));
    out.append(",\"error\":{\"code\":");
    out.append(QByteArray::number(error.code));
    out.append(",\"codespace\":");
    appendGoJsonString(out, error.codespace.toUtf8());
    out.append(",\"message\":");
    appendGoJsonString(out, error.message.toUtf8());
    out.append("}}\n");
    return out;
}

} // namespace pocket
