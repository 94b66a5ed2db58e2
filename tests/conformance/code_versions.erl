%% The two-version rule: a module has a current and at most one old version; a load while an
%% old version exists is refused with not_purged; purge and soft_purge remove the old version;
%% delete makes the current version old, and is refused while an old one exists; a call to a
%% module without a current version is undef.
-module(code_versions).
-export([main/0]).

src(V) -> "-module(kv). -export([v/0]). v() -> " ++ integer_to_list(V) ++ ". ".

load(V) ->
    case conf:load(src(V)) of
        {module, kv} -> conf:line("load v~w: ok", [V]);
        {error, Why} -> conf:line("load v~w: ~w", [V, Why])
    end.

call() ->
    try kv:v() of V -> conf:line("kv:v() = ~w", [V])
    catch error:undef -> conf:line("kv:v() undef")
    end.

main() ->
    conf:logger(),
    load(1), call(),
    load(2), call(),
    load(3), call(),
    conf:line("old version: ~w", [erlang:check_old_code(kv)]),
    conf:line("purge: ~w", [code:purge(kv)]),
    conf:line("old version: ~w", [erlang:check_old_code(kv)]),
    load(3), call(),
    conf:line("delete: ~w", [code:delete(kv)]),
    conf:line("soft_purge: ~w", [code:soft_purge(kv)]),
    conf:line("delete: ~w", [code:delete(kv)]),
    conf:line("old version: ~w", [erlang:check_old_code(kv)]),
    call(),
    conf:line("delete: ~w", [code:delete(kv)]),
    conf:line("soft_purge: ~w", [code:soft_purge(kv)]),
    conf:line("purge: ~w", [code:purge(kv)]),
    load(4), call(),
    conf:finish(make_ref()).
