#pragma once
// Errors are values (STYLE 5): fallible operations return Result<T>, a std::expected carrying a
// pocket error (code, codespace, message). The HTTP layer maps it to a status and body.
#include <expected>

#include "protocol/pocketerror.h"

namespace pocket {

template <typename T>
using Result = std::expected<T, PocketError>;

inline std::unexpected<PocketError> fail(PocketError e) { return std::unexpected<PocketError>(std::move(e)); }

} // namespace pocket
