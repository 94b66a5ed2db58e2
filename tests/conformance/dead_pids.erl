%% A monitor on a dead pid gives DOWN noproc at once; linking to a dead pid gives a trapping
%% process {'EXIT', Pid, noproc} and kills a non-trapping one with noproc.
-module(dead_pids).
-export([main/0]).
main() ->
    conf:logger(),
    process_flag(trap_exit, true),
    Dead = spawn(fun() -> ok end),
    %% Wait until it is dead, by a monitor whose DOWN (normal or noproc) is not logged.
    R0 = erlang:monitor(process, Dead),
    receive {'DOWN', R0, process, Dead, _} -> ok end,
    Ref = erlang:monitor(process, Dead),
    receive {'DOWN', Ref, process, Dead, R1} -> conf:line("monitor dead: DOWN ~w", [R1]) end,
    link(Dead),
    receive {'EXIT', Dead, R2} -> conf:line("link dead, trapping: EXIT ~w", [R2]) end,
    {Helper, HRef} = spawn_monitor(fun() -> link(Dead), conf:line("not reached") end),
    %% Erlang's reason carries a stack trace, crashlab's a file:line: compare the error itself.
    receive {'DOWN', HRef, process, Helper, {R3, _Stack}} -> conf:line("link dead, not trapping: dies ~w", [R3]) end,
    conf:finish(make_ref()).
