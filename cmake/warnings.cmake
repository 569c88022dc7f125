# Warnings applied to every project target through lcb_target_defaults().
function(lcb_target_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
endfunction()

# lcb_test(name SOURCES sources... LIBS libs... [TIMEOUT seconds] [BOTH_BACKENDS]) adds a
# GoogleTest executable registered with ctest; each test may take TIMEOUT seconds (300 unless
# said). BOTH_BACKENDS registers every test a second time as postgres/<test>, run with
# LCB_TEST_STORAGE=postgres: the same code against the PostgreSQL backend on the ctest fixture's
# server (tests/integration/test_server.h makes one database per bank directory).
function(lcb_test name)
  cmake_parse_arguments(T "BOTH_BACKENDS" "TIMEOUT" "SOURCES;LIBS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  add_executable(${name} ${T_SOURCES})
  lcb_target_defaults(${name})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest_main)
  # Tests that read the third-party vectors find them at run time (tests/crypto/test_util.h).
  target_compile_definitions(${name} PRIVATE LCB_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT ${T_TIMEOUT})
  if(T_BOTH_BACKENDS)
    target_link_libraries(${name} PRIVATE lcb_pg_testing)
    target_compile_definitions(${name} PRIVATE LCB_TEST_BOTH_BACKENDS=1)
    gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 TEST_PREFIX postgres/
      PROPERTIES TIMEOUT ${T_TIMEOUT} FIXTURES_REQUIRED postgres LABELS postgres
                 ENVIRONMENT "LCB_TEST_STORAGE=postgres;LCB_PG_SERVER_FILE=${LCB_PG_STATE_FILE}")
  endif()
endfunction()
