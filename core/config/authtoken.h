#pragma once
// Auth token files (PROTOCOL §4.2): {"Value": "<token>", "Issued": "<RFC 3339>"}, keys matched
// case-insensitively (a Go struct with untagged fields). auth_token_file protects the mesh's own private
// routes; servicer_auth_token_file is sent to servicers as the bare Authorization header. DECISIONS 8: a
// missing or empty mesh token keeps the private admin routes closed (a warning says how to create the file);
// a missing servicer token is a warning (the servicer will answer 401). The token value never appears in a
// message.
#include "config/configissue.h"

#include <optional>
#include <QDateTime>
#include <QString>

namespace pocket {

enum class AuthTokenRole
{
    Mesh,
    Servicer
};

struct AuthToken
{
    bool filePresent = false;
    QString value; // secret: never logged, dumped or echoed
    std::optional<QDateTime> issued;

    bool isUsable() const { return !value.isEmpty(); }
};

// Go time.Time JSON decoding (RFC 3339, strict: "2006-01-02T15:04:05[.frac](Z|±hh:mm)"); nullopt when
// invalid.
std::optional<QDateTime> parseRfc3339(const QString& text);

// Parses auth file text. Issued must be RFC 3339, null or absent.
ConfigResult<AuthToken> parseAuthToken(const QByteArray& json, const QString& file);

// Reads `path`. Missing file: a warning (role-specific), empty token. Unreadable or invalid: an error.
ConfigResult<AuthToken> loadAuthToken(const QString& path, const QString& file, AuthTokenRole role);

} // namespace pocket
