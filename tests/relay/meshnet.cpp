#include "meshnet.h"

#include <csignal>

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

#include "protocol/crypto.h"
#include "testsupport.h"

namespace pocket::test {

namespace {

// Markers of a report by ASan, LSan or UBSan (the CI runs the suite with them, tools/test.sh).
constexpr const char* kSanitizerMarkers[] = {
    "ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:", "SUMMARY: AddressSanitizer",
    "SUMMARY: UndefinedBehaviorSanitizer", "WARNING: ThreadSanitizer",
};

QByteArray hexOfString(const QJsonObject& o, const char* key)
{
    return o.value(QLatin1String(key)).toString().toLatin1();
}

TestKey keyFromJson(const QJsonObject& keys, const char* which)
{
    const QJsonObject k = keys.value(QLatin1String(which)).toObject();
    const QByteArray priv = crypto::hexDecode(hexOfString(k, "private_key_hex")).value_or(QByteArray());
    return TestKey{priv, crypto::hexEncode(priv.mid(32))};
}

// A JSON string the way JavaScript's JSON.stringify writes it: only '"', '\\' and controls escaped.
void appendJsString(QByteArray& out, const QByteArray& utf8)
{
    out += '"';
    for (const char c : utf8) {
        const auto u = static_cast<unsigned char>(c);
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
            if (u < 0x20) out += QByteArray("\\u00") + QByteArray::number(u, 16).rightJustified(2, '0');
            else out += c;
        }
    }
    out += '"';
}

} // namespace

QByteArray Answer::header(QByteArrayView name) const
{
    for (const auto& [k, v] : headers)
        if (name.compare(k, Qt::CaseInsensitive) == 0) return v;
    return {};
}

QJsonObject Answer::json() const
{
    return QJsonDocument::fromJson(body).object();
}

// ---- Child ----

Child::~Child()
{
    kill();
}

bool Child::start(const QString& program, const QStringList& args, QString* error)
{
    m_process = std::make_unique<QProcess>();
    m_process->setProgram(program);
    m_process->setArguments(args);
    m_process->setProcessChannelMode(QProcess::SeparateChannels);
    m_process->start();
    if (!m_process->waitForStarted(20000)) {
        *error = QStringLiteral("cannot start %1: %2").arg(program, m_process->errorString());
        return false;
    }
    return true;
}

bool Child::running() const
{
    return m_process && m_process->state() != QProcess::NotRunning;
}

QByteArray Child::stderrText() const
{
    drain();
    return m_stderr;
}

void Child::drain() const
{
    if (!m_process) return;
    m_stdout += m_process->readAllStandardOutput();
    m_stderr += m_process->readAllStandardError();
}

QByteArray Child::takeStdoutLine()
{
    drain();
    const qsizetype nl = m_stdout.indexOf('\n');
    if (nl < 0) return {};
    const QByteArray line = m_stdout.left(nl);
    m_stdout.remove(0, nl + 1);
    return line;
}

void Child::kill()
{
    if (!m_process) return;
    if (m_process->state() != QProcess::NotRunning) {
        m_process->kill();
        m_process->waitForFinished(30000);
    }
    drain();
}

bool Child::terminate(int timeoutMs, int* exitCode)
{
    if (!m_process) return false;
    bool clean = false;
    if (m_process->state() != QProcess::NotRunning) {
        m_process->terminate();
        // Spin the event loop meanwhile: the pipes must keep being read or a chatty child blocks on them.
        waitFor([this] {
            drain();
            return m_process->state() == QProcess::NotRunning;
        }, timeoutMs);
        clean = m_process->state() == QProcess::NotRunning && m_process->exitStatus() == QProcess::NormalExit;
        if (!clean) kill();
    }
    drain();
    if (exitCode) *exitCode = m_process->exitCode();
    return clean;
}

// ---- MeshNet ----

MeshNet::MeshNet() : m_http(std::make_unique<HttpClient>()) {}

MeshNet::~MeshNet()
{
    if (m_mesh) m_mesh->kill();
    m_localnet.kill();
}

bool MeshNet::startLocalnet(const QStringList& extraArgs, QString* error)
{
    if (!m_dir.isValid()) {
        *error = QStringLiteral("no temporary directory");
        return false;
    }
    QStringList args{QStringLiteral("--emulator-port"), QStringLiteral("0"), QStringLiteral("--chain-port"),
                     QStringLiteral("0"), QStringLiteral("--block-ms"), QStringLiteral("0"),
                     QStringLiteral("--datadir"), m_dir.path()};
    args += extraArgs;
    if (!m_localnet.start(buildPath(QStringLiteral("tools/localnet/pocket-localnet")), args, error)) return false;
    QByteArray line;
    waitFor([&] {
        line = m_localnet.takeStdoutLine();
        return !line.isEmpty() || !m_localnet.running();
    }, 60000);
    m_info = QJsonDocument::fromJson(line).object();
    if (!m_info.value(QLatin1String("ready")).toBool()) {
        *error = QStringLiteral("pocket-localnet printed no ready line (got '%1'); stderr: %2")
                     .arg(QString::fromUtf8(line), QString::fromUtf8(m_localnet.stderrText().right(3000)));
        return false;
    }
    return true;
}

bool MeshNet::patchMeshConfig(const QJsonObject& overrides, QString* error)
{
    const QString path = QDir(m_dir.path()).absoluteFilePath(QStringLiteral("config/config.json"));
    bool ok = false;
    QJsonObject config = QJsonDocument::fromJson(readFile(path, &ok)).object();
    if (!ok || config.isEmpty()) {
        *error = QStringLiteral("cannot read ") + path;
        return false;
    }
    for (auto it = overrides.begin(); it != overrides.end(); ++it) config.insert(it.key(), it.value());
    if (!writeFile(m_dir.path(), QStringLiteral("config/config.json"), QJsonDocument(config).toJson())) {
        *error = QStringLiteral("cannot write ") + path;
        return false;
    }
    return true;
}

bool MeshNet::startMesh(QString* error, int readyTimeoutMs)
{
    if (m_mesh) {
        m_mesh->kill();
        m_oldMeshLogs += m_mesh->stderrText();
    }
    m_mesh = std::make_unique<Child>();
    const QStringList args = QStringList{QStringLiteral("start-mesh"), QStringLiteral("--datadir"), m_dir.path()}
                             + m_meshExtraArgs;
    if (!m_mesh->start(buildPath(QStringLiteral("headless/pocket-mesh-headless")), args, error)) return false;
    QJsonObject health;
    const bool ready = waitFor([&] {
        if (!m_mesh->running()) return true;
        health = meshHealth();
        return health.value(QLatin1String("ready")).toBool();
    }, readyTimeoutMs);
    if (!ready || !m_mesh->running()) {
        m_mesh->kill();
        *error = QStringLiteral("the mesh did not become ready (running: %1, health: %2); log:\n%3")
                     .arg(m_mesh->running())
                     .arg(QString::fromUtf8(QJsonDocument(health).toJson(QJsonDocument::Compact)), meshLogTail());
        return false;
    }
    return true;
}

void MeshNet::killMesh()
{
    if (!m_mesh) return;
    m_mesh->kill();
    m_oldMeshLogs += m_mesh->stderrText();
    m_mesh.reset();
}

bool MeshNet::stopMesh(QString* error)
{
    if (!m_mesh) return true;
    int code = -1;
    const bool clean = m_mesh->terminate(60000, &code);
    m_oldMeshLogs += m_mesh->stderrText();
    m_mesh.reset();
    if (!clean || code != 0) {
        *error = QStringLiteral("the mesh did not stop cleanly on SIGTERM (clean %1, exit code %2)").arg(clean).arg(code);
        return false;
    }
    return true;
}

bool MeshNet::shutdown(QString* why)
{
    QString error;
    if (!stopMesh(&error)) {
        *why = error + QLatin1Char('\n') + meshLogTail();
        return false;
    }
    if (!stopLocalnet(&error)) {
        *why = error;
        return false;
    }
    const QStringList reports = sanitizerReports();
    if (!reports.isEmpty()) {
        *why = reports.join(QLatin1Char('\n'));
        return false;
    }
    return true;
}

bool MeshNet::signalMesh(int signal)
{
    if (!meshRunning()) return false;
    return ::kill(pid_t(m_mesh->process()->processId()), signal) == 0;
}

bool MeshNet::waitMeshExit(int timeoutMs, int* exitCode)
{
    if (!m_mesh) return false;
    const bool exited = waitFor([this] {
        m_mesh->stderrText(); // keep the pipe drained while waiting
        return !m_mesh->running();
    }, timeoutMs);
    if (!exited) return false;
    QProcess* p = m_mesh->process();
    if (exitCode) *exitCode = p->exitStatus() == QProcess::NormalExit ? p->exitCode() : -1;
    m_oldMeshLogs += m_mesh->stderrText();
    m_mesh.reset();
    return true;
}

bool MeshNet::stopLocalnet(QString* error)
{
    int code = -1;
    const bool clean = m_localnet.terminate(60000, &code);
    if (!clean || code != 0) {
        *error = QStringLiteral("pocket-localnet did not stop cleanly on SIGTERM (clean %1, exit code %2)")
                     .arg(clean)
                     .arg(code);
        return false;
    }
    return true;
}

QString MeshNet::meshUrl() const
{
    return m_info.value(QLatin1String("mesh_url")).toString();
}

QString MeshNet::emulatorUrl() const
{
    return m_info.value(QLatin1String("emulator_url")).toString();
}

QString MeshNet::chainUrl() const
{
    return m_info.value(QLatin1String("chain_url")).toString();
}

QByteArray MeshNet::meshToken() const
{
    return m_info.value(QLatin1String("mesh_token")).toString().toUtf8();
}

Answer MeshNet::request(const QByteArray& method, const QString& url, const QByteArray& body,
                        const HttpHeaders& headers, int timeoutMs)
{
    HttpRequest r;
    r.method = method;
    r.url = url.toUtf8();
    r.body = body;
    r.headers = headers;
    return requestAll({r}, timeoutMs).value(0);
}

QList<Answer> MeshNet::requestAll(const QList<HttpRequest>& requests, int timeoutMs)
{
    auto answers = std::make_shared<QList<Answer>>(requests.size());
    auto done = std::make_shared<int>(0);
    QObject context;
    for (int i = 0; i < requests.size(); ++i) {
        HttpRequest r = requests.at(i);
        r.timeoutMs = timeoutMs;
        requestAsync(std::move(r), &context, [answers, done, i](Answer a) {
            (*answers)[i] = std::move(a);
            ++*done;
        });
    }
    waitFor([&] { return *done == requests.size(); }, timeoutMs + 5000);
    for (Answer& a : *answers)
        if (a.status == 0 && a.error.isEmpty()) a.error = QStringLiteral("no answer in time");
    return *answers;
}

void MeshNet::requestAsync(HttpRequest request, QObject* context, std::function<void(Answer)> done)
{
    m_http->send(std::move(request), context, [done = std::move(done)](HttpResult result) {
        Answer a;
        if (result) {
            a.status = result->status;
            a.headers = result->headers;
            a.body = result->body;
        } else {
            a.error = httpErrorKindName(result.error().kind) + QStringLiteral(": ") + result.error().message;
        }
        done(a);
    });
}

HttpRequest MeshNet::relayRequest(const QByteArray& body) const
{
    HttpRequest r;
    r.method = "POST";
    r.url = (meshUrl() + QStringLiteral("/v1/client/relay")).toUtf8();
    r.headers = {{"Content-Type", "application/json"}};
    r.body = body;
    return r;
}

Answer MeshNet::postRelay(const QByteArray& body)
{
    return requestAll({relayRequest(body)}, 30000).value(0);
}

QJsonObject MeshNet::meshHealth()
{
    const Answer a = request("GET", meshUrl() + QStringLiteral("/v1/private/mesh/health"), {},
                             {{"Authorization", meshToken()}}, 5000);
    return a.status == 200 ? a.json() : QJsonObject();
}

QJsonObject MeshNet::evidence()
{
    return emulatorAdmin("GET", QStringLiteral("/admin/evidence"));
}

QJsonObject MeshNet::emulatorAdmin(const QByteArray& method, const QString& route, const QJsonObject& body)
{
    const QByteArray data = body.isEmpty() ? QByteArray() : QJsonDocument(body).toJson(QJsonDocument::Compact);
    return request(method, emulatorUrl() + route, data, {{"Content-Type", "application/json"}}, 10000).json();
}

QJsonObject MeshNet::chainAdmin(const QByteArray& method, const QString& route, const QJsonObject& body)
{
    const QByteArray data = body.isEmpty() ? QByteArray() : QJsonDocument(body).toJson(QJsonDocument::Compact);
    return request(method, chainUrl() + route, data, {{"Content-Type", "application/json"}}, 10000).json();
}

QByteArray MeshNet::meshLog() const
{
    return m_oldMeshLogs + (m_mesh ? m_mesh->stderrText() : QByteArray());
}

QString MeshNet::meshLogTail(int n) const
{
    const QList<QByteArray> lines = meshLog().split('\n');
    QStringList out;
    for (qsizetype i = std::max<qsizetype>(0, lines.size() - n); i < lines.size(); ++i)
        out.append(QString::fromUtf8(lines.at(i)));
    return out.join(QLatin1Char('\n'));
}

QStringList sanitizerLines(const QByteArray& log)
{
    QStringList found;
    for (const QByteArray& line : log.split('\n')) {
        for (const char* marker : kSanitizerMarkers) {
            if (line.contains(marker)) {
                found.append(QString::fromUtf8(line));
                break;
            }
        }
    }
    return found;
}

QStringList MeshNet::sanitizerReports() const
{
    QStringList found;
    for (const QString& line : sanitizerLines(meshLog())) found.append(QStringLiteral("mesh: ") + line);
    for (const QString& line : sanitizerLines(m_localnet.stderrText())) found.append(QStringLiteral("localnet: ") + line);
    return found;
}

QStringList evidenceProofHashes(const QJsonObject& evidence)
{
    QStringList out;
    for (const QJsonValue& s : evidence.value(QLatin1String("sessions")).toArray()) {
        const QJsonObject servicers = s.toObject().value(QLatin1String("servicers")).toObject();
        for (auto it = servicers.begin(); it != servicers.end(); ++it)
            for (const QJsonValue& h : it.value().toObject().value(QLatin1String("proof_hashes")).toArray())
                out.append(h.toString());
    }
    return out;
}

// ---- relays ----

VectorKeys vectorKeys()
{
    static const QJsonObject vectors = goldenVectors().object();
    const QJsonObject keys = vectors.value(QLatin1String("keys")).toObject();
    VectorKeys k;
    k.app = keyFromJson(keys, "app");
    k.client = keyFromJson(keys, "client");
    k.servicer = keyFromJson(keys, "servicer");
    const QJsonArray cases = vectors.value(QLatin1String("cases")).toArray();
    k.sessionHeight = qint64(cases.first().toObject().value(QLatin1String("session")).toObject()
                                 .value(QLatin1String("session_block_height")).toDouble());
    k.aat.version = "0.0.1";
    k.aat.appPubKey = k.app.publicKeyHex;
    k.aat.clientPubKey = k.client.publicKeyHex;
    k.aat.signature = crypto::hexEncode(crypto::sign(k.app.privateKey, crypto::sha3_256(aatHashInput(k.aat))));
    k.aatSignatureInVectors = vectors.value(QLatin1String("aat")).toObject().value(QLatin1String("signature"))
                                  .toString().toLatin1();
    return k;
}

TestKey testKeyFromLabel(const QByteArray& label)
{
    const QByteArray seed = crypto::sha256(label);
    const QByteArray pub = crypto::publicKeyFromSeed(seed);
    return TestKey{seed + pub, crypto::hexEncode(pub)};
}

VectorKeys withApp(const VectorKeys& keys, const TestKey& app)
{
    VectorKeys k = keys;
    k.app = app;
    k.aat.appPubKey = app.publicKeyHex;
    k.aat.signature = crypto::hexEncode(crypto::sign(app.privateKey, crypto::sha3_256(aatHashInput(k.aat))));
    k.aatSignatureInVectors.clear();
    return k;
}

void signProof(Relay& relay, const TestKey& client)
{
    const QByteArray aatHash = aatHashHex(relay.proof.aat);
    relay.proof.signature =
        crypto::hexEncode(crypto::sign(client.privateKey, crypto::sha3_256(proofHashInput(relay.proof, aatHash))));
}

Relay craftRelay(const VectorKeys& keys, const Payload& payload, qint64 sessionHeight, qint64 entropy,
                 const QByteArray& chain, std::optional<qint64> blockHeight)
{
    Relay r;
    r.payload = payload;
    r.meta.blockHeight = blockHeight.value_or(sessionHeight); // what the SDK sends (vectors' session note)
    r.proof.entropy = entropy;
    r.proof.sessionBlockHeight = sessionHeight;
    r.proof.servicerPubKey = keys.servicer.publicKeyHex;
    r.proof.blockchain = chain;
    r.proof.aat = keys.aat;
    r.proof.requestHash = requestHashHex(r.payload, r.meta); // the Go way (PROTOCOL §3.1)
    signProof(r, keys.client);
    return r;
}

QByteArray proofHashHexOf(const Relay& relay)
{
    return crypto::hexEncode(proofHash(relay.proof));
}

QByteArray jsRelayBody(const Relay& relay, const QList<std::pair<QByteArray, QByteArray>>& headerOrder)
{
    QByteArray b;
    b += "{\"payload\":{\"data\":";
    appendJsString(b, relay.payload.data);
    b += ",\"method\":";
    appendJsString(b, relay.payload.method);
    b += ",\"path\":";
    appendJsString(b, relay.payload.path);
    b += ",\"headers\":";
    if (!relay.payload.headers) {
        b += "null";
    } else {
        QList<std::pair<QByteArray, QByteArray>> order = headerOrder;
        if (order.isEmpty())
            for (const auto& [k, v] : *relay.payload.headers) order.append({k, v});
        b += '{';
        for (qsizetype i = 0; i < order.size(); ++i) {
            if (i) b += ',';
            appendJsString(b, order.at(i).first);
            b += ':';
            appendJsString(b, order.at(i).second);
        }
        b += '}';
    }
    b += "},\"meta\":{\"block_height\":" + QByteArray::number(relay.meta.blockHeight) + "},\"proof\":{\"entropy\":"
         + QByteArray::number(relay.proof.entropy)
         + ",\"session_block_height\":" + QByteArray::number(relay.proof.sessionBlockHeight) + ",\"servicer_pub_key\":";
    appendJsString(b, relay.proof.servicerPubKey);
    b += ",\"blockchain\":";
    appendJsString(b, relay.proof.blockchain);
    b += ",\"aat\":{\"version\":";
    appendJsString(b, relay.proof.aat.version);
    b += ",\"app_pub_key\":";
    appendJsString(b, relay.proof.aat.appPubKey);
    b += ",\"client_pub_key\":";
    appendJsString(b, relay.proof.aat.clientPubKey);
    b += ",\"signature\":";
    appendJsString(b, relay.proof.aat.signature);
    b += "},\"signature\":";
    appendJsString(b, relay.proof.signature);
    b += ",\"request_hash\":";
    appendJsString(b, relay.proof.requestHash);
    b += "}}";
    return b;
}

QString checkRelaySuccess(const Answer& answer, const QByteArray& proofHashHex, const QByteArray& servicerPubKeyHex,
                          QByteArray* responseOut)
{
    const QString body = QString::fromUtf8(answer.body.left(600));
    if (answer.status != 200) return QStringLiteral("HTTP %1 (%2): %3").arg(answer.status).arg(answer.error, body);
    if (!answer.body.endsWith('\n')) return QStringLiteral("no trailing newline: ") + body;
    if (!answer.header("Content-Type").startsWith("application/json"))
        return QStringLiteral("content type ") + QString::fromLatin1(answer.header("Content-Type"));
    const QJsonObject o = answer.json();
    if (o.keys() != QStringList{QStringLiteral("response"), QStringLiteral("signature")})
        return QStringLiteral("keys are not exactly response, signature: ") + body;
    if (!o.value(QLatin1String("response")).isString() || !o.value(QLatin1String("signature")).isString())
        return QStringLiteral("response/signature are not strings: ") + body;
    const QByteArray response = o.value(QLatin1String("response")).toString().toUtf8();
    const auto signature = crypto::hexDecode(o.value(QLatin1String("signature")).toString().toLatin1());
    const auto publicKey = crypto::hexDecode(servicerPubKeyHex);
    if (!signature || signature->size() != 64) return QStringLiteral("signature is not 64 bytes of hex: ") + body;
    if (!publicKey) return QStringLiteral("bad servicer key");
    const QByteArray digest = crypto::sha3_256(responseHashInput(response, proofHashHex));
    if (!crypto::verify(*publicKey, digest, *signature))
        return QStringLiteral("the servicer signature does not verify: ") + body;
    if (responseOut) *responseOut = response;
    return {};
}

QString checkRelayError(const Answer& answer, int code, const QString& codespace, const QString& message,
                        bool dispatchMustBeNull)
{
    const QString body = QString::fromUtf8(answer.body.left(600));
    if (answer.status != 400) return QStringLiteral("HTTP %1 (%2), not 400: %3").arg(answer.status).arg(answer.error, body);
    if (!answer.header("Content-Type").startsWith("application/json"))
        return QStringLiteral("content type ") + QString::fromLatin1(answer.header("Content-Type"));
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(answer.body, &parseError);
    if (!doc.isObject()) return QStringLiteral("not a JSON object: ") + body;
    const QJsonObject o = doc.object();
    if (o.keys() != QStringList{QStringLiteral("dispatch"), QStringLiteral("error")})
        return QStringLiteral("keys are not exactly dispatch, error (DECISIONS 1): ") + body;
    const QJsonValue dispatch = o.value(QLatin1String("dispatch"));
    if (dispatchMustBeNull ? !dispatch.isNull() : !(dispatch.isNull() || dispatch.isObject()))
        return QStringLiteral("unexpected dispatch: ") + body;
    const QJsonObject error = o.value(QLatin1String("error")).toObject();
    if (error.keys() != QStringList{QStringLiteral("code"), QStringLiteral("codespace"), QStringLiteral("message")})
        return QStringLiteral("error keys are not exactly code, codespace, message: ") + body;
    if (!error.value(QLatin1String("code")).isDouble() || error.value(QLatin1String("code")).toInt() != code)
        return QStringLiteral("code is not %1: ").arg(code) + body;
    if (error.value(QLatin1String("codespace")).toString() != codespace)
        return QStringLiteral("codespace is not %1: ").arg(codespace) + body;
    const QString m = error.value(QLatin1String("message")).toString();
    if (m.isEmpty() || m.startsWith(QLatin1String("ERROR:")))
        return QStringLiteral("message is empty or the multi-line Error() text, not plain: ") + body;
    if (!message.isNull() && m != message) return QStringLiteral("message is not '%1': ").arg(message) + body;
    return {};
}

} // namespace pocket::test
