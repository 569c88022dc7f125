// creditbank: one binary, many subcommands (cli/cli_app.h declares them with CLI11).
#include <string>
#include <vector>

#include "cli/cli_app.h"

int main(int argc, char** argv) {
  return lcb::RunCreditbank(std::vector<std::string>(argv + 1, argv + argc));
}
