#pragma once
// Go's generic JSON re-encoding: json_sort_relay_responses (PROTOCOL §10.3, vectors A.5) and the
// WriteJSONResponse re-encoding of §1.5 (keys sorted at every depth, numbers through float64).
#include <QByteArray>
#include <QByteArrayView>
#include <optional>

namespace pocket {

// Parses `body` as a JSON object (or `null`) like Go's json.Unmarshal into map[string]interface{} and
// re-encodes it with json.Marshal. Returns nullopt when Go would fail (not an object, invalid JSON,
// trailing garbage): the caller then keeps the body unchanged.
std::optional<QByteArray> goSortJsonObject(QByteArrayView body);

// The same for any JSON value (arrays and scalars too): used to write §1.5-style replies.
std::optional<QByteArray> goReencodeJson(QByteArrayView body);

// Go's float64 formatting in encoding/json (shortest round-trip; 'e' outside [1e-6, 1e21)).
QByteArray goFormatFloat(double v);

} // namespace pocket
