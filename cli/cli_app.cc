#include "cli/cli_app.h"

#include <cstdio>
#include <cstdlib>

namespace lcb {
namespace {

constexpr const char* kVersion = "creditbank 0.1.0";
constexpr size_t kHelpColumn = 26;

// Prints a parse error and returns kExitUsage. CLI11 (2.1) checks required options before it
// reports words nobody claimed, and lists those in reverse order; an unclaimed word is the
// likelier mistake ("--sever URL" leaves --server missing, "log frob" leaves a subcommand
// missing), so it is named first, in the order given.
int UsageError(const CLI::App& app, const CLI::ParseError& e) {
  const std::vector<std::string> left = app.remaining(/*recurse=*/true);
  const bool names_leftovers = dynamic_cast<const CLI::RequiredError*>(&e) != nullptr ||
                               dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr;
  if (left.empty() || !names_leftovers) {
    app.exit(e);
    return kExitUsage;
  }
  std::string words;
  for (const std::string& word : left) words += (words.empty() ? "" : " ") + word;
  app.exit(CLI::ExtrasError((left.size() > 1 ? "The following arguments were not expected: "
                                             : "The following argument was not expected: ") +
                                words,
                            CLI::ExitCodes::ExtrasError));
  return kExitUsage;
}

}  // namespace

void AddServerFlags(CLI::App* cmd, ServerFlags* flags, bool server_required,
                    const std::string& token_help) {
  CLI::Option* server =
      cmd->add_option("--server", flags->server, "the bank's URL, http://HOST:PORT or https://...")
          ->type_name("URL");
  if (server_required) server->required();
  cmd->add_option("--token", flags->token, token_help)
      ->type_name("TOKEN")
      ->envname("CREDITBANK_TOKEN");
  cmd->add_option("--ca", flags->ca, "PEM trust anchor for https")->type_name("FILE");
  cmd->add_flag("--insecure", flags->insecure, "https without certificate verification (tests)");
}

void ConfigureApp(CLI::App& app) {
  app.name("creditbank");
  app.description("creditbank: a learning-credit bank with a signed transparency log");
  app.require_subcommand(1);
  app.set_version_flag("--version", kVersion);
  app.get_formatter()->label("Usage", "usage");
  app.get_formatter()->column_width(kHelpColumn);
}

int ParseAndRun(CLI::App& app, const std::vector<std::string>& args, const int& exit_code) {
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 pops from the back
  try {
    app.parse(reversed);
  } catch (const CLI::Success& e) {  // --help, --help-all, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return UsageError(app, e);
  }
  return exit_code;
}

int RunCommand(AddCommandFn add, const std::vector<std::string>& args) {
  CLI::App app;
  ConfigureApp(app);
  int code = kExitUsage;
  add(app, &code);
  std::vector<std::string> full = {app.get_subcommand(0)->get_name()};
  full.insert(full.end(), args.begin(), args.end());
  return ParseAndRun(app, full, code);
}

}  // namespace lcb
