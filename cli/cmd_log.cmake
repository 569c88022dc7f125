# Offline log/note verification commands (cli/cmd_log.h) and the CLI11 helpers they parse with
# (cli/cli_app.h). Included by the tests of crypto/ and by whoever builds the `creditbank`
# binary; the guard makes double inclusion harmless.
if(NOT TARGET lcb_cli_log)
  find_package(CLI11 CONFIG REQUIRED)
  add_library(lcb_cli_log STATIC ${CMAKE_CURRENT_LIST_DIR}/cmd_log.cc
                                 ${CMAKE_CURRENT_LIST_DIR}/cli_app.cc)
  add_library(lcb::cli_log ALIAS lcb_cli_log)
  target_include_directories(lcb_cli_log PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(lcb_cli_log PUBLIC lcb::crypto CLI11::CLI11)
  lcb_target_defaults(lcb_cli_log)
endif()
