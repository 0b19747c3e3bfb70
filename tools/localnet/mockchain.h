#pragma once
// The mock blockchain node of the local network: JSON-RPC over HTTP (POST /) and a REST echo (any other
// path or method), with injectable latency, HTTP 500s and hangs, a record of the exact requests it got
// (for tests), and a fixed-answer fast mode (for the benchmark). Admin routes: see README.md.
// Threading: a MockChain and everything it owns live in one thread (its own QThread in the launcher).
#include <QByteArray>
#include <QHostAddress>
#include <QJsonObject>
#include <QObject>
#include <deque>

#include "localhttpserver.h"

namespace pocket::localnet {

struct MockChainConfig
{
    int latencyMs = 0;       // added before every answer
    double errorRate = 0.0;  // fraction of chain requests answered with HTTP 500
    double hangRate = 0.0;   // fraction of chain requests never answered
    bool fixedAnswer = false; // benchmark mode: always fixedBody, no parsing, no recording
    QByteArray fixedBody = R"({"id":1,"jsonrpc":"2.0","result":"0x10"})";
    qint64 height = 17000000; // what eth_blockNumber answers (hex)
    bool record = true;
    int maxRecords = 10000; // oldest records are dropped beyond this

    QJsonObject toJson() const;
    // Applies the keys present in `o` (latency_ms, error_rate, hang_rate, fixed, fixed_body, height,
    // record, max_records); returns an error text for a wrong type, empty on success.
    QString apply(const QJsonObject& o);
};

class MockChain : public QObject
{
    Q_OBJECT
public:
    explicit MockChain(MockChainConfig config, QObject* parent = nullptr);

    // Listens on address:port (0 = free port); returns the port or 0. Call in the owner thread (the one
    // this object was moved to; construction may happen in another).
    quint16 start(const QHostAddress& address, quint16 port);
    quint16 port() const;

private:
    struct Record
    {
        qint64 seq = 0;
        QByteArray method;
        QByteArray path;
        QByteArray query;
        HeaderList headers;
        QByteArray body;
    };

    void handle(const HttpRequest& request, HttpReply reply);
    void handleAdmin(const HttpRequest& request, HttpReply reply);
    void answerChain(const HttpRequest& request, HttpReply reply);
    QByteArray chainResponse(const HttpRequest& request) const;
    QJsonValue rpcCall(const QJsonValue& call) const;
    QByteArray requestsJson() const;

    MockChainConfig m_config;
    LocalHttpServer* m_server = nullptr;
    std::deque<Record> m_records;
    qint64 m_seq = 0;
    qint64 m_dropped = 0;
    qint64 m_errorsInjected = 0;
    qint64 m_hangsInjected = 0;
};

} // namespace pocket::localnet
