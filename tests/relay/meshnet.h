#pragma once
// Fixture of the relay integration tests (issue 4 item 8): a real pocket-localnet (servicer emulator + mock
// chain) and a real `pocket-mesh-headless start-mesh` on the data directory localnet wrote, both on
// 127.0.0.1. Every byte the children write to stderr is kept, so a test can fail on a sanitizer report
// (the ASan build sanitizes the children too). Both children are killed when the fixture is destroyed,
// also after a failed QVERIFY.
//
// Also: a blocking HTTP helper on the project's HttpClient (raw bodies, no transparent rewriting) and a
// relay builder that signs with the golden vectors' keys through the protocol core.
#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QProcess>
#include <QSet>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>
#include <functional>
#include <memory>
#include <optional>
#include <utility>

#include "http/httpclient.h"
#include "protocol/relay.h"

namespace pocket::test {

struct Answer
{
    int status = 0; // 0: no HTTP answer (see error)
    QString error;
    HttpHeaders headers;
    QByteArray body;

    QByteArray header(QByteArrayView name) const;
    QJsonObject json() const; // empty when the body is not a JSON object
};

// One child process with its whole stderr and stdout kept.
class Child
{
public:
    Child() = default;
    ~Child();
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    bool start(const QString& program, const QStringList& args, QString* error);
    bool running() const;
    void kill();                                 // SIGKILL, waits for the exit
    bool terminate(int timeoutMs, int* exitCode); // SIGTERM, waits; false if it had to be killed
    QProcess* process() { return m_process.get(); }
    QByteArray takeStdoutLine();                 // one complete line or empty
    QByteArray stderrText() const; // everything so far (reads what the pipe holds)

private:
    void drain() const;
    std::unique_ptr<QProcess> m_process;
    mutable QByteArray m_stdout; // filled from the pipes by drain()
    mutable QByteArray m_stderr;
};

class MeshNet
{
public:
    MeshNet();
    ~MeshNet();
    MeshNet(const MeshNet&) = delete;
    MeshNet& operator=(const MeshNet&) = delete;

    // pocket-localnet with --block-ms 0, a temporary --datadir and `extraArgs`; waits for its JSON line.
    bool startLocalnet(const QStringList& extraArgs, QString* error);
    // Merges keys into <datadir>/config/config.json before the mesh starts (e.g. client_rpc_max_bytes_size).
    bool patchMeshConfig(const QJsonObject& overrides, QString* error);
    // pocket-mesh-headless start-mesh --datadir <dir> [extra args]; waits until /v1/private/mesh/health says ready.
    bool startMesh(QString* error, int readyTimeoutMs = 90000);
    void setMeshExtraArgs(const QStringList& args) { m_meshExtraArgs = args; } // e.g. --simulateRelay
    void killMesh(); // SIGKILL
    // Graceful stops; false (with the reason) when the exit was not clean.
    bool stopMesh(QString* error);
    bool stopLocalnet(QString* error);
    // The end of every integration test: both stopped gracefully and no sanitizer report in any child's log.
    // False with the reason (and the mesh log tail when the mesh did not stop cleanly).
    bool shutdown(QString* why);
    // Waits until the mesh exits by itself (e.g. after POST /v1/private/mesh/stop); false on timeout. Its log
    // stays in meshLog().
    bool waitMeshExit(int timeoutMs, int* exitCode);

    const QJsonObject& info() const { return m_info; }
    QString meshUrl() const;
    QString emulatorUrl() const;
    QString chainUrl() const;
    QByteArray meshToken() const;
    QString dataDir() const { return m_dir.path(); }
    bool meshRunning() const { return m_mesh && m_mesh->running(); }
    // Sends `signal` to the running mesh process; false when no mesh runs.
    bool signalMesh(int signal);
    bool localnetRunning() const { return m_localnet.running(); }

    Answer request(const QByteArray& method, const QString& url, const QByteArray& body = {},
                   const HttpHeaders& headers = {}, int timeoutMs = 30000);
    // Several requests at once (the mesh answers them concurrently); answers in request order.
    QList<Answer> requestAll(const QList<HttpRequest>& requests, int timeoutMs = 60000);
    // Sends without waiting: `done` runs (in this thread's event loop, e.g. inside waitFor) with the answer.
    void requestAsync(HttpRequest request, QObject* context, std::function<void(Answer)> done);
    Answer postRelay(const QByteArray& body);
    HttpRequest relayRequest(const QByteArray& body) const;

    QJsonObject meshHealth(); // empty when the mesh does not answer
    QJsonObject evidence();
    QJsonObject emulatorAdmin(const QByteArray& method, const QString& route, const QJsonObject& body = {});
    QJsonObject chainAdmin(const QByteArray& method, const QString& route, const QJsonObject& body = {});

    // Lines of every child's stderr (every mesh run included) that are sanitizer reports.
    QStringList sanitizerReports() const;
    QByteArray meshLog() const;
    QByteArray localnetLog() const { return m_localnet.stderrText(); }
    // The last `n` lines of the mesh log, for failure messages.
    QString meshLogTail(int n = 30) const;

private:
    QTemporaryDir m_dir;
    QStringList m_meshExtraArgs;
    Child m_localnet;
    std::unique_ptr<Child> m_mesh;
    QByteArray m_oldMeshLogs; // stderr of mesh runs that ended
    QJsonObject m_info;
    std::unique_ptr<HttpClient> m_http;
};

// The lines of `log` that are sanitizer reports (ASan, LSan, UBSan "runtime error:", TSan).
QStringList sanitizerLines(const QByteArray& log);

// Every proof hash in the emulator's /admin/evidence answer (all sessions, all servicers), in order.
QStringList evidenceProofHashes(const QJsonObject& evidence);

// The golden vectors' keys and AAT (read from the vectors file at run time).
struct TestKey
{
    QByteArray privateKey; // 64 bytes, seed || public key
    QByteArray publicKeyHex;
};
struct VectorKeys
{
    TestKey app;
    TestKey client;
    TestKey servicer;
    qint64 sessionHeight = 0; // the cases' session height
    Aat aat;                  // signed here with the app key
    QByteArray aatSignatureInVectors;
};
VectorKeys vectorKeys();
// A key whose seed is sha256(label).
TestKey testKeyFromLabel(const QByteArray& label);
// The same keys with another app (its own AAT, signed with that app key): another app, other sessions.
VectorKeys withApp(const VectorKeys& keys, const TestKey& app);

// A relay signed like a client: request hash computed the Go way (pocket::requestHashHex), proof signed
// with the client key over the proof hash (protocol core).
Relay craftRelay(const VectorKeys& keys, const Payload& payload, qint64 sessionHeight, qint64 entropy,
                 const QByteArray& chain = "0021", std::optional<qint64> blockHeight = std::nullopt);
void signProof(Relay& relay, const TestKey& client); // after changing the proof
QByteArray proofHashHexOf(const Relay& relay);

// The JSON a JavaScript client would send: no HTML escaping, U+2028/U+2029 raw, headers in `headerOrder`
// (not sorted); the SDK's key order. `headerOrder` empty = the map's order.
QByteArray jsRelayBody(const Relay& relay, const QList<std::pair<QByteArray, QByteArray>>& headerOrder = {});

// Checks a 200 answer of /v1/client/relay: {"response","signature"} whose signature verifies with the
// servicer key over the response hash (PROTOCOL §3.4). Returns an empty string when fine, else why not.
QString checkRelaySuccess(const Answer& answer, const QByteArray& proofHashHex, const QByteArray& servicerPubKeyHex,
                          QByteArray* response = nullptr);
// Checks a DECISIONS 1 error answer: HTTP 400, {"dispatch":null|{...},"error":{"code","codespace","message"}}
// with exactly these keys. Empty when fine, else why not.
QString checkRelayError(const Answer& answer, int code, const QString& codespace,
                        const QString& message = QString(), bool dispatchMustBeNull = true);

} // namespace pocket::test
