#include "localnetprocess.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QUrl>

#include "protocol/crypto.h"
#include "testsupport.h"

namespace pocket::test {

QByteArray HttpResult::header(QByteArrayView name) const
{
    for (const auto& [k, v] : headers) {
        if (name.compare(k, Qt::CaseInsensitive) == 0) return v;
    }
    return {};
}

QJsonObject HttpResult::json() const
{
    return QJsonDocument::fromJson(body).object();
}

QJsonArray HttpResult::jsonArray() const
{
    return QJsonDocument::fromJson(body).array();
}

HttpResult httpRequest(const QByteArray& method, const QString& url, const QByteArray& body, const Headers& headers,
                       int timeoutMs)
{
    HttpResult result;
    QNetworkAccessManager nam; // a fresh manager: a fresh connection for every request
    QNetworkRequest request{QUrl(url)};
    request.setTransferTimeout(timeoutMs);
    for (const auto& [k, v] : headers) request.setRawHeader(k, v);
    QElapsedTimer clock;
    clock.start();
    QNetworkReply* reply = nam.sendCustomRequest(request, method, body);
    waitFor([reply] { return reply->isFinished(); }, timeoutMs + 2000);
    result.elapsedMs = clock.elapsed();
    if (!reply->isFinished()) {
        reply->abort();
        result.transportError = true;
        result.errorString = QStringLiteral("no answer");
        delete reply;
        return result;
    }
    const QVariant status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
    result.status = status.isValid() ? status.toInt() : 0;
    result.transportError = !status.isValid();
    result.errorString = reply->errorString();
    result.body = reply->readAll();
    for (const auto& h : reply->rawHeaderPairs()) result.headers.append(h);
    delete reply;
    return result;
}

LocalnetProcess::~LocalnetProcess()
{
    stop();
}

bool LocalnetProcess::start(const QStringList& args, QString* error)
{
    const QString exe = buildPath(QStringLiteral("tools/localnet/pocket-localnet"));
    QStringList all{QStringLiteral("--emulator-port"), QStringLiteral("0"), QStringLiteral("--chain-port"),
                    QStringLiteral("0"), QStringLiteral("--datadir"), m_dir.path()};
    all += args;
    m_process.setProgram(exe);
    m_process.setArguments(all);
    m_process.setProcessChannelMode(QProcess::SeparateChannels);
    m_process.start();
    if (!m_process.waitForStarted(10000)) {
        *error = QStringLiteral("cannot start %1: %2").arg(exe, m_process.errorString());
        return false;
    }
    const bool ready = waitFor([this] {
        return m_process.canReadLine() || m_process.state() == QProcess::NotRunning;
    }, 20000);
    if (!ready || !m_process.canReadLine()) {
        *error = QStringLiteral("pocket-localnet did not print its ready line; stderr: ")
            + QString::fromUtf8(m_process.readAllStandardError());
        return false;
    }
    const QByteArray line = m_process.readLine();
    m_info = QJsonDocument::fromJson(line).object();
    if (!m_info.value("ready").toBool()) {
        *error = QStringLiteral("unexpected ready line: ") + QString::fromUtf8(line);
        return false;
    }
    return true;
}

void LocalnetProcess::stop()
{
    if (m_process.state() != QProcess::NotRunning) {
        m_process.kill();
        m_process.waitForFinished(10000);
    }
}

bool LocalnetProcess::stopGracefully(QString* error)
{
    m_process.terminate();
    if (!m_process.waitForFinished(15000)) {
        *error = QStringLiteral("pocket-localnet did not exit after SIGTERM");
        stop();
        return false;
    }
    if (m_process.exitStatus() != QProcess::NormalExit || m_process.exitCode() != 0) {
        *error = QStringLiteral("pocket-localnet exited with %1; stderr: %2")
                     .arg(m_process.exitCode())
                     .arg(QString::fromUtf8(m_process.readAllStandardError().right(4000)));
        return false;
    }
    return true;
}

QJsonObject LocalnetProcess::admin(const QByteArray& method, const QString& route, const QJsonObject& body)
{
    const QByteArray data = body.isEmpty() ? QByteArray() : QJsonDocument(body).toJson(QJsonDocument::Compact);
    return httpRequest(method, emulatorUrl() + route, data, {{"Content-Type", "application/json"}}).json();
}

QJsonObject LocalnetProcess::chainAdmin(const QByteArray& method, const QString& route, const QJsonObject& body)
{
    const QByteArray data = body.isEmpty() ? QByteArray() : QJsonDocument(body).toJson(QJsonDocument::Compact);
    return httpRequest(method, chainUrl() + route, data, {{"Content-Type", "application/json"}}).json();
}

TestKey testKeyFromHex(const QByteArray& privateKeyHex)
{
    const QByteArray priv = crypto::hexDecode(privateKeyHex).value_or(QByteArray());
    return TestKey{priv, crypto::hexEncode(priv.mid(32))};
}

TestKey testKeyFromLabel(const QByteArray& label)
{
    const QByteArray seed = crypto::sha256(label);
    const QByteArray pub = crypto::publicKeyFromSeed(seed);
    return TestKey{seed + pub, crypto::hexEncode(pub)};
}

TestKey vectorsKey(const char* which)
{
    const QJsonObject keys = goldenVectors().object().value("keys").toObject();
    return testKeyFromHex(keys.value(QLatin1String(which)).toObject().value("private_key_hex").toString().toLatin1());
}

void resignProof(Relay& relay, const TestKey& client)
{
    const QByteArray aatHash = aatHashHex(relay.proof.aat);
    relay.proof.signature =
        crypto::hexEncode(crypto::sign(client.privateKey, crypto::sha3_256(proofHashInput(relay.proof, aatHash))));
}

Relay buildRelay(const RelaySpec& spec)
{
    Relay r;
    r.payload.data = spec.data;
    r.payload.method = spec.method;
    r.payload.path = spec.path;
    r.meta.blockHeight = spec.blockHeight;
    r.proof.entropy = spec.entropy;
    r.proof.sessionBlockHeight = spec.sessionHeight;
    r.proof.servicerPubKey = spec.servicerPubKeyHex;
    r.proof.blockchain = spec.chain;
    r.proof.aat.version = "0.0.1";
    r.proof.aat.appPubKey = spec.app.publicKeyHex;
    r.proof.aat.clientPubKey = spec.client.publicKeyHex;
    r.proof.aat.signature =
        crypto::hexEncode(crypto::sign(spec.app.privateKey, crypto::sha3_256(aatHashInput(r.proof.aat))));
    r.proof.requestHash = requestHashHex(r.payload, r.meta);
    resignProof(r, spec.client);
    return r;
}

} // namespace pocket::test
