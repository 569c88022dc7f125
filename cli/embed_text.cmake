# Writes a C++ source defining `std::string_view FUNCTION()` (declared in HEADER) that returns
# the bytes of the file INPUT, so the binary carries the file with no source tree beside it.
#
#   cmake -D INPUT=file -D OUTPUT=file.cc -D HEADER=dir/x.h -D FUNCTION=ns::Name -P embed_text.cmake
#
# The bytes go in as a hex array (any content, no quoting rules); the output is deterministic.
foreach(var INPUT OUTPUT HEADER FUNCTION)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "embed_text.cmake: -D ${var}=... is required")
  endif()
endforeach()
file(READ "${INPUT}" hex HEX)
get_filename_component(input_name "${INPUT}" NAME)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
string(REPEAT "[0-9a-f]" 32 sixteen_bytes)
string(REGEX REPLACE "(${sixteen_bytes})" "\\1\n" hex "${hex}")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${input_name} by cli/embed_text.cmake; do not edit.\n"
  "#include \"${HEADER}\"\n\n"
  "namespace {\nconst unsigned char kBytes[${size} + 1] = {\n${bytes}0};\n}  // namespace\n\n"
  "std::string_view ${FUNCTION}() {\n"
  "  return std::string_view(reinterpret_cast<const char*>(kBytes), ${size});\n}\n")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
