%% A process that loops in a fun its module made as it ran (a named fun inside start/0) runs
%% that module's code: once a new version is loaded, soft_purge refuses and purge kills it
%% (its DOWN says killed); a process in the same loop made by the new version is left alone.
%% The driver waits on answers and DOWN messages, never on time.
-module(code_local_fun).
-export([main/0]).

src(Tag) ->
    "-module(kv). -export([start/0]). "
    "start() -> Loop = fun Loop() -> receive {ask, From} -> From ! {answer, " ++ Tag ++ "}, "
    "Loop() end end, Loop(). ".

ask(P) ->
    P ! {ask, self()},
    receive {answer, A} -> A end.

main() ->
    conf:logger(),
    {module, kv} = conf:load(src("v1")),
    P = spawn(kv, start, []),
    Ref = erlang:monitor(process, P),
    conf:line("old process answers ~w", [ask(P)]),
    {module, kv} = conf:load(src("v2")),
    Q = spawn(kv, start, []),
    conf:line("new process answers ~w", [ask(Q)]),
    conf:line("old process answers ~w", [ask(P)]),
    conf:line("check_process_code old: ~w", [erlang:check_process_code(P, kv)]),
    conf:line("check_process_code new: ~w", [erlang:check_process_code(Q, kv)]),
    conf:line("soft_purge: ~w", [code:soft_purge(kv)]),
    conf:line("purge: ~w", [code:purge(kv)]),
    receive {'DOWN', Ref, process, P, Reason} -> conf:line("old process down: ~w", [Reason]) end,
    conf:line("new process alive: ~w", [is_process_alive(Q)]),
    conf:line("new process answers ~w", [ask(Q)]),
    conf:finish(make_ref()).
