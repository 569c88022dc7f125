#include "cli/args.h"

namespace lcb {

bool ParseArgs(const std::vector<std::string>& argv, const std::set<std::string>& value_flags,
               const std::set<std::string>& bool_flags, Args* out, std::string* error) {
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.rfind("--", 0) != 0 || a == "--") {
      out->positional.push_back(a);
      continue;
    }
    std::string name = a.substr(2), value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    if (bool_flags.count(name)) {
      if (has_value) {
        *error = "--" + name + " takes no value";
        return false;
      }
      out->flags[name] = "";
    } else if (value_flags.count(name)) {
      if (!has_value) {
        if (i + 1 >= argv.size()) {
          *error = "--" + name + " needs a value";
          return false;
        }
        value = argv[++i];
      }
      out->flags[name] = value;
      out->repeated[name].push_back(value);
    } else {
      *error = "unknown option --" + name;
      return false;
    }
  }
  return true;
}

}  // namespace lcb
