#pragma once
// Answers the reference writes the same way everywhere (PROTOCOL §1.5, §2.2, §2.3, §6.4), for handlers
// and for the server itself.
#include <QByteArray>
#include <QByteArrayView>

#include "server/responder.h"
#include "server/serverrequest.h"

namespace pocket::http {

// Go's http.StatusText ("Not Found"); "" for unknown codes.
QByteArray statusText(int status);

// WriteErrorResponse (PROTOCOL §1.5): {"code":<code>,"message":"<msg>"}\n, Go-escaped.
QByteArray jsonErrorBody(int code, QByteArrayView messageUtf8);
// Content-Type of WriteErrorResponse / WriteRaw: "application/json; charset=UTF-8".
inline constexpr char kJsonUpperUtf8[] = "application/json; charset=UTF-8";
// Content-Type of WriteJSONResponse and Go's sniffed text: "...; charset=utf-8".
inline constexpr char kJsonLowerUtf8[] = "application/json; charset=utf-8";
inline constexpr char kTextPlainUtf8[] = "text/plain; charset=utf-8";
// Sends jsonErrorBody(status, message) with status `status` and kJsonUpperUtf8.
void sendJsonError(const Responder& responder, int status, QByteArrayView messageUtf8,
                   HttpHeaderList extraHeaders = {});

// Go's http.Error: text/plain; charset=utf-8, X-Content-Type-Options: nosniff, body text + "\n".
void sendGoHttpError(const Responder& responder, int status, QByteArrayView text, HttpHeaderList extraHeaders = {});

// The CORS headers of every /v1/client/relay POST answer, success or error (PROTOCOL §2.2). Not on the
// automatic OPTIONS answer, nor on 413/503 produced outside the handler (PROTOCOL §2.3, §6.3).
void addRelayCorsHeaders(HttpHeaderList& headers);
HttpHeaderList relayCorsHeaders();

// The body of the 413 answer (PROTOCOL §6.4), including the trailing newline.
QByteArray bodyTooLargeBody(qint64 maxBodyBytes);
// The body of the handler-timeout 503 (Go TimeoutHandler with client_rpc_timeout, PROTOCOL §2.3).
inline constexpr char kHandlerTimeoutBody[] = "server Timeout Handling Request";

} // namespace pocket::http
