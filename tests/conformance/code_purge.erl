%% A process that runs the old version (a local loop) keeps soft_purge from removing it, and
%% is killed by purge (its DOWN says killed); a process that runs the current version is left
%% alone. The driver waits on answers and DOWN messages, never on time.
-module(code_purge).
-export([main/0]).

src(Tag) ->
    "-module(kv). -export([loop/0]). "
    "loop() -> receive {ask, From} -> From ! {answer, " ++ Tag ++ "}, loop() end. ".

ask(P) ->
    P ! {ask, self()},
    receive {answer, A} -> A end.

main() ->
    conf:logger(),
    {module, kv} = conf:load(src("v1")),
    P = spawn(kv, loop, []),
    Ref = erlang:monitor(process, P),
    conf:line("old process answers ~w", [ask(P)]),
    {module, kv} = conf:load(src("v2")),
    conf:line("soft_purge: ~w", [code:soft_purge(kv)]),
    conf:line("old process answers ~w", [ask(P)]),
    Q = spawn(kv, loop, []),
    conf:line("new process answers ~w", [ask(Q)]),
    conf:line("soft_purge: ~w", [code:soft_purge(kv)]),
    conf:line("purge: ~w", [code:purge(kv)]),
    receive {'DOWN', Ref, process, P, Reason} -> conf:line("old process down: ~w", [Reason]) end,
    conf:line("new process alive: ~w", [is_process_alive(Q)]),
    conf:line("new process answers ~w", [ask(Q)]),
    conf:line("soft_purge: ~w", [code:soft_purge(kv)]),
    conf:line("purge: ~w", [code:purge(kv)]),
    {module, kv} = conf:load(src("v3")),
    conf:line("purge: ~w", [code:purge(kv)]),
    conf:line("new process alive: ~w", [is_process_alive(Q)]),
    conf:finish(make_ref()).
