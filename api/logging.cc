#include "api/logging.h"

#include <atomic>
#include <cstdio>
#include <mutex>

#include "common/date.h"

namespace lcb {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::mutex g_mu;
const char* Name(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}
}  // namespace

void SetLogLevel(const std::string& level) {
  LogLevel l = LogLevel::kInfo;
  if (level == "debug") l = LogLevel::kDebug;
  else if (level == "warn") l = LogLevel::kWarn;
  else if (level == "error") l = LogLevel::kError;
  g_level = static_cast<int>(l);
}

bool LogEnabled(LogLevel level) { return static_cast<int>(level) >= g_level.load(); }

void LogJson(LogLevel level, const std::string& msg, nlohmann::json fields) {
  if (!LogEnabled(level)) return;
  nlohmann::json line = {{"ts", NowRfc3339()}, {"level", Name(level)}, {"msg", msg}};
  for (auto it = fields.begin(); it != fields.end(); ++it) line[it.key()] = it.value();
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  text.push_back('\n');
  std::lock_guard<std::mutex> lock(g_mu);
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

}  // namespace lcb
