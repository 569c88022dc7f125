// Exit codes of every creditbank subcommand (scripts and interop tools rely on them):
//   0 success (for checks: valid), 1 failure (for checks: invalid; the reason on stderr),
//   2 bad arguments (an unknown flag, a bad value, a missing required flag; usage on stderr).
#pragma once

namespace lcb {

inline constexpr int kExitOk = 0;
inline constexpr int kExitValid = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitInvalid = 1;
inline constexpr int kExitUsage = 2;

}  // namespace lcb
