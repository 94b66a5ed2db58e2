# Turns a Lua file into a C source defining `const char NAME[]` with its text (NUL-terminated)
# and `const size_t NAME_len`, so the binary carries its Lua preludes.
# Usage: cmake -DIN=file.lua -DOUT=file.c -DNAME=symbol -P embed.cmake
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
string(LENGTH "${hex}" hex_len)
math(EXPR len "${hex_len} / 2")
file(WRITE "${OUT}" "/* Generated from ${IN} by embed.cmake: do not edit. */\n#include <stddef.h>\n"
  "const char ${NAME}[] = {\n${bytes}0};\nconst size_t ${NAME}_len = ${len};\n")
