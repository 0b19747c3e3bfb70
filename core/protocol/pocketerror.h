#pragma once
// Pocket "sdk.Error" values: codespace + code + message (PROTOCOL §1.4, code table §4.3).
#include <QByteArray>
#include <QString>

namespace pocket {

inline constexpr char kCodespacePocketcore[] = "pocketcore";
inline constexpr char kCodespaceSdk[] = "sdk";

struct PocketError
{
    QString codespace; // "pocketcore" or "sdk"
    quint32 code = 0;
    QString message; // plain message (what appears after "Message:")

    bool operator==(const PocketError&) const = default;

    // A pocketcore error with the constructor message of PROTOCOL §4.3 for `code`, with `detail`
    // appended the way the reference appends its Go error text (e.g. 28, 52, 4).
    static PocketError pocketcore(quint32 code, const QString& detail = {});
    // Root codespace "sdk" code 1 (ErrInternal) with a custom text.
    static PocketError internal(const QString& message);

    // Go's multi-line Error() text: "ERROR:\nCodespace: cs\nCode: n\nMessage: <Go-quoted message>\n".
    QString errorText() const;
    // Plain one-line form for logs: "pocketcore/74: the request hash does not match the payload hash".
    QString toString() const;
};

// The constructor message of a pocketcore code (PROTOCOL §4.3), empty for unknown codes.
QString pocketcoreMessage(quint32 code);

// Go strconv.Quote of a UTF-8 string (used inside errorText()).
QString goQuote(const QString& s);

// Go's fmt.Sprintf(format) with no arguments: sdk.NewError formats its message this way, so a '%' in a
// message is mangled ("%s" -> "%!s(MISSING)", "%%" -> "%", trailing "%" -> "%!(NOVERB)"), PROTOCOL §1.4.
// pocketcore() and internal() apply it.
QString goSprintfNoArgs(const QString& format);

} // namespace pocket
