/*
 * Lua values <-> terms, and the pid and reference userdata of the Lua binding.
 *
 * From Lua to a term:  integer -> integer; float -> float; boolean -> atom true/false;
 * string of at most 255 bytes -> atom, longer -> binary (cl.bin(s) forces a binary);
 * table with keys 1..n only -> tuple ({} is the empty tuple); cl.list{...} -> list;
 * any other table -> map (keys sorted in term order, so pairs order never matters);
 * pid (light userdata) / ref (userdata) -> pid / reference; cl._ -> the atom '_' (a wildcard in patterns).
 * nil inside a table cannot happen (Lua drops it); a function, coroutine or other userdata is
 * an error naming the path to the offending value ("message[2].f: cannot send a function").
 * From a term to Lua: atoms and binaries -> strings (atoms true/false -> booleans, undefined
 * stays "undefined"); tuples and lists -> arrays (lists carry the metatable cl.list so they
 * convert back to lists); maps -> tables; pids -> light userdata, refs -> userdata.
 */
#ifndef CRASHLAB_LTERM_H
#define CRASHLAB_LTERM_H

#include <lua.h>

#include "term.h"

#define SCN_PID_MT "crashlab.pid"
#define SCN_REF_MT "crashlab.ref"
#define SCN_LIST_MT "crashlab.list"
#define SCN_BIN_MT "crashlab.bin"

/* Registers the metatables (pid, ref, list, bin) and the wildcard. Call once per state. */
void scn_lterm_open(lua_State *L);
/* Pushes the wildcard value cl._ */
void scn_push_wildcard(lua_State *L);
/* Whether the value at idx is the wildcard. */
bool scn_is_wildcard(lua_State *L, int idx);

void scn_push_pid(lua_State *L, ac_pid pid);
void scn_push_ref(lua_State *L, ac_ref ref);
/* Pushes an array of the keys of the table at idx in crashlab's fixed order, which no
 * address or hash seed affects: numbers, strings (bytewise), booleans, references, pids (the
 * wildcard first); then, unless strict, other keys by type alone. Strict, any other key raises
 * "pairs: a table with T keys has no deterministic order". Returns the count. Used by pairs,
 * next and message conversion. */
lua_Integer scn_push_sorted_keys(lua_State *L, int idx, bool strict);
/* A registered name at idx (a string without NUL bytes), or raises. */
const char *scn_check_name(lua_State *L, int idx);
/* The pid at idx, or raises a Lua error ("bad argument #n ... pid expected"). */
ac_pid scn_check_pid(lua_State *L, int idx);
/* 1 and *out if idx is a pid, else 0. */
int scn_to_pid(lua_State *L, int idx, ac_pid *out);
int scn_to_ref(lua_State *L, int idx, ac_ref *out);

/*
 * Appends the value at idx to b as one term. Returns 0, or an AC_E code with a message in
 * err ("what[path]: reason"); `what` names the value for the message ("message"). Never raises
 * (Lua errors are not thrown while b holds memory); needs LUA_MINSTACK free slots per level.
 */
int scn_lua_to_term(lua_State *L, int idx, ac_tbuf *b, const char *what, char *err,
                    size_t err_cap);
/* Pushes the Lua value of t. May raise a memory error (no C resources are held). */
void scn_push_term(lua_State *L, ac_term t);

#endif
