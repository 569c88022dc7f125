// Date-time values of Verifiable Credentials: XML Schema dateTimeStamp, the type of VC 2.0's
// validFrom/validUntil and of a proof's "created".
//
//   date-time = YYYY "-" MM "-" DD "T" hh ":" mm ":" ss [ "." 1*DIGIT ] ( "Z" / ("+"/"-") hh ":" mm
//   )
//
// Times are whole seconds since 1970-01-01T00:00:00Z (fractions are dropped: every comparison
// the verifier makes is at second precision).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/date.h"
#include "common/status.h"

namespace lcb::vc {

using UnixSeconds = int64_t;

// InvalidArgument naming `pointer` for anything but a dateTimeStamp with a real calendar day
// (years 0001-9999; 24:00:00 and leap seconds are refused).
StatusOr<UnixSeconds> ParseDateTimeStamp(std::string_view text, std::string_view pointer);
// "YYYY-MM-DDThh:mm:ssZ".
std::string FormatDateTime(UnixSeconds t);
// Midnight UTC at the start of `day`: "YYYY-MM-DDT00:00:00Z".
std::string StartOfDay(Days day);
UnixSeconds NowSeconds();

}  // namespace lcb::vc
