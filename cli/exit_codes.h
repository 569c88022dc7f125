// Exit codes of every creditbank subcommand (scripts and interop tools rely on them):
//   0 success (for checks: valid), 1 failure (for checks: invalid; the reason on stderr),
//   2 bad arguments (an unknown flag, a bad value, a missing required flag; usage on stderr).
//   3 unavailable, for the commands that check a running log over HTTP (audit, monitor): the
//     log could not be reached or read (a network error, a timeout, an HTTP 5xx answer, after
//     the CLI's retries), so nothing was judged; 1 stays for a problem found (a fork, an
//     inconsistent or badly signed checkpoint, rewritten history). A cron job alerts on 1 and
//     retries on 3.
#pragma once

namespace lcb {

inline constexpr int kExitOk = 0;
inline constexpr int kExitValid = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitInvalid = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitUnavailable = 3;

}  // namespace lcb
