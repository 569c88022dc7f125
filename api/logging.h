// Structured logs: one JSON object per line on stderr. Never pass secrets (tokens, national
// IDs, private keys) in fields.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace lcb {

enum class LogLevel { kDebug = 0, kInfo, kWarn, kError };

void SetLogLevel(const std::string& level);  // "debug", "info", "warn", "error"
bool LogEnabled(LogLevel level);
// Writes {"ts", "level", "msg", ...fields} as one line.
void LogJson(LogLevel level, const std::string& msg, nlohmann::json fields = nlohmann::json::object());

}  // namespace lcb
