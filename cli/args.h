// Command-line parsing shared by the subcommands: "--key value" and "--key=value" flags,
// "--flag" booleans, positionals. Unknown flags are errors naming the flag.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace lcb {

struct Args {
  std::map<std::string, std::string> flags;  // name without dashes -> value ("" for booleans)
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> repeated;  // every value of a value flag
  // Every value given for a repeatable flag, each also split at commas.
  std::vector<std::string> GetAll(const std::string& name) const {
    std::vector<std::string> out;
    auto it = repeated.find(name);
    if (it == repeated.end()) return out;
    for (const std::string& v : it->second) {
      size_t start = 0;
      while (start <= v.size()) {
        size_t comma = v.find(',', start);
        if (comma == std::string::npos) comma = v.size();
        if (comma > start) out.push_back(v.substr(start, comma - start));
        start = comma + 1;
      }
    }
    return out;
  }
  bool Has(const std::string& name) const { return flags.count(name) > 0; }
  std::string Get(const std::string& name, const std::string& def = "") const {
    auto it = flags.find(name);
    return it == flags.end() ? def : it->second;
  }
};

// `value_flags` take a value; `bool_flags` do not. Returns false with *error set on a problem.
bool ParseArgs(const std::vector<std::string>& argv, const std::set<std::string>& value_flags,
               const std::set<std::string>& bool_flags, Args* out, std::string* error);

}  // namespace lcb
