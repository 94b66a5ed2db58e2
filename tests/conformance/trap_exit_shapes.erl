%% The {'EXIT', Pid, Reason} messages a trapping process gets from linked processes that end
%% normally, are killed (killed), end with kill themselves (kill: trappable), or end with a
%% custom reason; and what an untrapped normal exit signal does (nothing).
-module(trap_exit_shapes).
-export([main/0]).
got(Label, Pid) ->
    receive {'EXIT', Pid, Reason} -> conf:line("~s EXIT ~w", [Label, Reason]) end.
main() ->
    conf:logger(),
    process_flag(trap_exit, true),
    A = spawn_link(fun() -> ok end), got(normal, A),
    B = spawn_link(fun() -> receive _ -> ok end end), exit(B, kill), got(killed, B),
    C = spawn_link(fun() -> exit(kill) end), got(self_kill, C),
    D = spawn_link(fun() -> exit({custom, 1, [x]}) end), got(custom, D),
    E = spawn(fun() -> receive _ -> ok end end),
    Ref = erlang:monitor(process, E),
    exit(E, normal),
    %% is_process_alive/1 is ordered after the exit signal this process sent to E (ERTS 10+).
    conf:line("untrapped normal: alive ~w", [is_process_alive(E)]),
    exit(E, stop),
    receive {'DOWN', Ref, process, E, Why} -> conf:line("then DOWN ~w", [Why]) end,
    conf:finish(make_ref()).
