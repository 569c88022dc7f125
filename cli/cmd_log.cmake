# Offline log/note verification commands (cli/cmd_log.h). Included by the tests of crypto/
# and by whoever builds the `creditbank` binary; the guard makes double inclusion harmless.
if(NOT TARGET lcb_cli_log)
  add_library(lcb_cli_log STATIC ${CMAKE_CURRENT_LIST_DIR}/cmd_log.cc)
  add_library(lcb::cli_log ALIAS lcb_cli_log)
  target_include_directories(lcb_cli_log PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(lcb_cli_log PUBLIC lcb::crypto)
  lcb_target_defaults(lcb_cli_log)
endif()
