// The demo data set of `creditbank demo`: institutions, a catalog of units, programs with
// their policies and conversion rulesets, learners with their records, and the revocations
// and corrections the demo performs. The data lives in cli/demo/demo.json (format:
// cli/demo/README.md), compiled into the binary at build time (EmbeddedDemoJson()); `demo
// --data FILE` loads another file of the same shape. No I/O here besides LoadDemoData:
// cli/demo_requests.h turns the structures into API documents and cli/cmd_demo.cc sends
// them (so the server validates and logs everything).
//
// What ParseDemoData guarantees to the loader (so nothing is looked up in vain):
//  - every unit and program id is "<institution>:<code>" with an institution of the file;
//  - every record's issuer (`issuer`, or the unit's institution) is an institution of the
//    file, and every program a learner looks at is a program of the file;
//  - national IDs are unique, and every revocation and correction names an existing record.
// The server still validates every document (kinds, levels, fields, grades, dates).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace lcb::demo {

struct DemoInstitution {
  std::string id;
  std::string name;
  std::string kind;
  std::optional<double> hours_per_credit;  // unset = the bank's default (16)
  std::vector<std::string> certifies;
};

struct DemoUnit {
  std::string id;  // "<institution>:<code>"
  std::string title;
  std::string kind;
  double credits = 0;
  int level = 0;
  std::string field;  // ISCED-F 2013
  std::optional<double> hours;
  std::optional<int> validity_years;
};

struct DemoRequirement {
  std::string id;
  std::string title;
  std::string kind;  // "course" or "pool"
  double credits = 0;
};

struct DemoCap {
  std::string by;  // kind, issuer, year
  std::vector<std::pair<std::string, double>> limits;
  std::optional<double> default_limit;
  std::vector<std::pair<std::string, int>> max_count;
};

struct DemoPolicy {
  std::optional<double> max_transfer_credits;
  std::optional<double> max_transfer_ratio;
  std::optional<int> min_grade;
  std::optional<int> max_age_years;
  std::vector<DemoCap> caps;
};

// A rule source: {unit} alone, or any of the other fields.
struct DemoSource {
  std::optional<std::string> unit;
  std::optional<std::string> kind;
  std::optional<std::string> field;
  std::optional<int> min_level;
  std::optional<double> min_credits;
  std::optional<std::string> issuer;
};

struct DemoRule {
  std::string id;
  std::string target;
  double grant = 0;
  std::vector<DemoSource> sources;
  std::optional<int> min_grade;
  std::optional<int> max_age_years;
};

struct DemoProgram {
  std::string id;  // "<institution>:<code>"
  std::string title;
  std::string kind;
  double total_credits = 0;
  std::vector<DemoRequirement> requirements;
  DemoPolicy policy;
  std::vector<DemoRule> rules;
};

struct DemoRecord {
  std::string unit;
  std::string scale;
  std::string value;
  std::string completed_on;
  std::optional<std::string> issuer;  // unset = the unit's institution
  std::optional<std::string> attendance;
  std::optional<double> hours;  // unset = not posted (credits come from the unit)
};

struct DemoLearner {
  std::string name;  // display_name
  std::string national_id;
  std::vector<std::string> programs;  // programs the learner looks at (grants go to their
                                      // institutions)
  std::vector<DemoRecord> records;
};

// A record revoked by its issuer; indexes into DemoData::learners and its records.
struct DemoRevocation {
  size_t learner = 0;
  size_t record = 0;
  std::string reason;
};

// A record corrected by its issuer: revoked and replaced by a copy with another grade.
struct DemoCorrection {
  size_t learner = 0;
  size_t record = 0;
  std::string value;  // the corrected grade value (same scale)
  std::string reason;
};

struct DemoData {
  std::vector<DemoInstitution> institutions;
  std::vector<DemoUnit> units;
  std::vector<DemoProgram> programs;
  std::vector<DemoLearner> learners;
  std::vector<DemoRevocation> revocations;
  std::vector<DemoCorrection> corrections;
};

// cli/demo/demo.json as compiled into the binary (generated source, cli/CMakeLists.txt).
std::string_view EmbeddedDemoJson();

// Parses a data file (I-JSON, cli/demo/README.md). InvalidArgument naming the JSON pointer of
// the first offending member ("/learners/3/records/2/unit") when the text is not I-JSON, a
// member is missing, unknown or of the wrong type, or a reference does not resolve.
StatusOr<DemoData> ParseDemoData(std::string_view text);

// The embedded data set when `path` is empty, else the file at `path` (errors name it).
StatusOr<DemoData> LoadDemoData(const std::string& path);

// "DEMO-<national id>-<record index, from 1, two digits>"; the correction of a record is that
// ref with "-C1". Records keep their refs when a learner's list grows at the end.
std::string DemoExternalRef(const DemoLearner& learner, size_t record);

// The institution part of a unit or program id.
std::string InstitutionOf(const std::string& id);

// A record's issuer: `issuer`, else the unit's institution.
std::string IssuerOf(const DemoRecord& r);

}  // namespace lcb::demo
