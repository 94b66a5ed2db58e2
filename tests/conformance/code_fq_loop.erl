%% A loop that calls itself fully qualified (kv:fq()) moves to the new version at its next
%% iteration; a loop that calls itself locally (lo()) stays on the old version until purge
%% kills it. Each process answers with the tag of the version it runs.
-module(code_fq_loop).
-export([main/0]).

src(Tag) ->
    "-module(kv). -export([fq/0, lo/0]). "
    "fq() -> receive {ask, From} -> From ! {answer, " ++ Tag ++ "}, kv:fq() end. "
    "lo() -> receive {ask, From} -> From ! {answer, " ++ Tag ++ "}, lo() end. ".

ask(Name, P) ->
    P ! {ask, self()},
    receive {answer, A} -> conf:line("~s answers ~w", [Name, A]) end.

main() ->
    conf:logger(),
    {module, kv} = conf:load(src("v1")),
    F = spawn(kv, fq, []),
    L = spawn(kv, lo, []),
    ask("fq", F), ask("local", L),
    {module, kv} = conf:load(src("v2")),
    ask("fq", F), ask("fq", F), ask("local", L), ask("local", L),
    conf:line("soft_purge: ~w", [code:soft_purge(kv)]),
    Ref = erlang:monitor(process, L),
    conf:line("purge: ~w", [code:purge(kv)]),
    receive {'DOWN', Ref, process, L, Reason} -> conf:line("local down: ~w", [Reason]) end,
    {module, kv} = conf:load(src("v3")),
    ask("fq", F), ask("fq", F),
    conf:line("soft_purge: ~w", [code:soft_purge(kv)]),
    conf:line("fq alive: ~w", [is_process_alive(F)]),
    conf:finish(make_ref()).
